"""Pure Polars: snapshot loading and every indicator calculation. No Streamlit, no page layout."""
