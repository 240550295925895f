"""Live updates: committed changes announced to the subscribers of every worker and node.

Each change's event row is written in its transaction (``hub.models.events``); on PostgreSQL
that transaction also sends ``NOTIFY hub_events`` with the event's announcement, delivered to
every listening worker of every node once, and only once, it commits (``postgres``). On
SQLite (the embedded demo, one process) the announcement is published in-process after the
commit instead. Either way it reaches the process's ``Bus``, which hands it to the
subscriptions that want it; each of them then reads the objects with its own caller's rights.
"""
