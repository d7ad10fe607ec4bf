"""Importers and the demo generator: source files in, verified Parquet snapshots out (`python -m ingest …`)."""
