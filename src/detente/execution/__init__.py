"""Running the coder over many documents: a local process pool or a Dask cluster."""
