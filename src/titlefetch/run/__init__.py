"""Input lines -> futures -> results: the scheduler, host slots, the dedupe store, the
executors (threads, processes, a Dask cluster) and get_title(), the function workers run."""
