"""Reads from a streaming replica of the PostgreSQL database, while it is healthy.

``HUB_DATABASE_REPLICA_URL`` names the replica. Each statement goes to one server
(``hub.database``, asked through ``routing``): a read of a request that may read from the
replica goes there while ``monitor`` finds it healthy (``replica``: answering, in recovery,
and no further behind the primary than ``HUB_REPLICA_MAX_LAG_SECONDS``, measured by ``lag``);
everything else goes to the primary: writes and transactions, the reads of a request that
wrote, and whatever no request chose to send to the replica. SQLite has no replicas: the
setting is ignored there.
"""
