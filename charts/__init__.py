"""Pure chart builders: tidy Polars frames in, Altair charts out. No Streamlit import, so the board
pack reuses them. One palette (palette.py)."""
