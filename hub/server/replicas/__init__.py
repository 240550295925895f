"""The read replica in the serving process: which requests may read from it (``routing``),
and who wrote in the last seconds (``writers``)."""

from hub.server.replicas.routing import ReadRouting

__all__ = ["ReadRouting"]
