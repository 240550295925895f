"""The hub against PostGraphile v4 and a hand-written floor, on the same tables, in one sitting.

Not part of the test suite, nor of the wheel: ``make bench-peer`` (``python -m bench.peer``,
from the repository, after ``npm ci --prefix bench/peer/node``). It

1. starts a throwaway PostgreSQL cluster with pg_stat_statements (``cluster.py``) and fills
   it with ``hub migrate``, ``hub load-territories``, ``hub seed --demo`` (2,000 sites, 500
   open), then ANALYZE; mints the tokens of the demo's national administrator and of a
   territorial operator with ``hub token`` (``dataset.py``);
2. starts ``hub serve`` with 1 and with 2 workers (demo mode, rate limits off), PostGraphile
   4.14.1 (``node/``, locked) and the floor — raw ASGI, asyncpg, orjson, four set-oriented
   statements (``floor.py``) — each on a free port of 127.0.0.1 (``servers.py``);
3. checks that they answer the same to the OpenSites query (``queries/``; ``answers.py``):
   the 500 most recently updated open sites with commune, département, actions, topics and
   operators. PostGraphile has no policy: the operator's answer is compared between the hub
   and the floor restricted to the operator's département;
4. runs wrk (``post_auth.lua``) against each, interleaved round after round, at each number
   of connections, a warm-up before each pass (``wrk.py``, ``passes.py``), counting the CPU
   of the server's processes and of PostgreSQL's from /proc (``procstat.py``) and the
   statements of the server's database role; then samples GET /health while each hub serves
   the query on the most connections;
5. prints the table, the ratios hub/PostGraphile (req/s) and hub/floor (p50), and /health's
   latency (``report.py``).

The servers' logs and the tokens are in var/bench-peer/. Durations: ``--help``.
"""
