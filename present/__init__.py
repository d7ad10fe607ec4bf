"""The presentation layer: how the dashboard's figures read, with no Streamlit import, shared by the app (ui/,
pages/), the PDF and the slides (boardpack/). It turns metrics' tidy frames into display tables, sentences and
figures (a chart's Vega-Lite spec with its description, table twin and CSV); it never reads a snapshot's files and
never computes a figure itself."""
