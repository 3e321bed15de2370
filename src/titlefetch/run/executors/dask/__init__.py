"""The dask backend: a Dask cluster, running or local, as one more concurrent.futures.Executor.

Calls wait by host in lanes (_lanes), are cut into batches of one host's calls (_batching) and
run on the cluster's workers: on each worker a feed runs what it is sent and sends each outcome
back as its call ends (_feeds, and on the worker _on_workers); _cluster connects to the cluster
or starts a local one. Only _cluster and _feeds import distributed, so connect_cluster is
imported on first use: the other backends never load Dask.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from titlefetch.run.executors.dask._batching import BatchingExecutor
from titlefetch.run.executors.dask._lanes import WAVES

if TYPE_CHECKING:
    from titlefetch.run.executors.dask._cluster import connect_cluster

__all__ = ["WAVES", "BatchingExecutor", "connect_cluster"]


def __getattr__(name: str) -> Any:
    if name == "connect_cluster":
        from titlefetch.run.executors.dask._cluster import connect_cluster

        return connect_cluster
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
