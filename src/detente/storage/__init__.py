"""The DuckDB event store, its schema, Parquet views, near-duplicates and queries."""
