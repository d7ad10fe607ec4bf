"""Streamlit pieces shared by pages: global state, cached metric wrappers, banners, chart-or-table blocks and downloads.

No statistics here and no direct Parquet reads: those live in metrics/.
"""
