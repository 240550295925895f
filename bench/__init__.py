"""Benchmark of the hub: four canonical measurements against a floor of hand-written SQL.

Not part of the test suite, nor of the wheel. Run ``python -m bench`` from the repository
(``make bench``); ``--help`` lists the options. For each database × size it

1. creates a throwaway database (``hub.throwaway``: an SQLite file in a temporary folder, or
   a PostgreSQL database ``hub_bench_<pid>_<size>`` made through ``--postgres-url``), migrates
   it, loads the territories and seeds ``seed_demo(sites=N)``, timing both (then ANALYZE on
   PostgreSQL) — ``seeding.py``;
2. starts the real server (uvicorn running ``create_app``) in a subprocess listening on a
   loopback socket (``serve_tree.py``), and sends sequential HTTP requests with httpx —
   ``server.py``, ``answers.py``;
3. times each canonical query (``canonical.py``, its document in ``queries/*.graphql``):
   median, p95 after warm-up; MAP all is MAP's query sent page after page (``after``) through
   every open site, timed as one walk. It counts the statements in-process
   (``count_statements`` only sees this process, so through ``ASGITransport``), and records
   the response size — ``measure.py``;
4. times the floor: the same data fetched with plain parameterized SQL through the same
   tortoise connection and serialized with ``json.dumps`` to the same shape, in-process,
   no HTTP (``floor.py``, ``sql.py``). The floor's output is compared with the hub's, so
   that the ratio compares equal work;

and prints a table per run (``report.py``; ``--json`` writes them all).

With ``--baseline REV`` (``baseline.py``), REV is checked out in a temporary git worktree and,
for each database × size, its server and this tree's serve the same seeded database at once;
each query is asked of both in turn, round after round, and the table gives both timings,
their statements (counted in each server) and the ratio baseline / current.
"""
