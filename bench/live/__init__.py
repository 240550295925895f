"""Live updates under load: WebSocket subscribers of ``sitesChanged`` while sites are renamed.

Not part of the test suite, nor of the wheel: ``make bench-live`` (``python -m bench.live``,
from the repository, with PostgreSQL at ``--postgres-url``). It

1. creates a throwaway PostgreSQL database beside ``--postgres-url``, migrates it, loads the
   territories and seeds the demo data (``--sites``, 2,000) — ``bench.seeding``; picks the
   ``--territories`` départements with the most sites (10) and, for each, a territorial
   persona that reads every site there (``dataset.py``);
2. for each ``--workers`` (1, then 2) starts ``hub serve`` (``bench.serving``) in development
   mode, with the limits raised for a few callers holding many subscriptions
   (HUB_WS_MAX_SUBSCRIPTIONS_PER_CALLER, HUB_RATE_LIMIT, HUB_RATE_LIMIT_ADDRESS) and
   ``HUB_LIVE_QUEUE_SIZE`` from ``--queue-size``;
3. connects ``--subscribers`` (1,000) graphql-transport-ws clients in one asyncio process
   (``subscribers.py``; ``--subscriber-processes`` to split them), each with one
   ``sitesChanged(location: {level: DEPARTEMENT, code})`` subscription, spread evenly over the
   départements, with development-issuer tokens: the national administrator for most, a
   tenth the département's persona, a tenth the national actor;
4. warms up (one rename per département, until every subscriber has had its event), then
   sends ``--rate`` (50) ``updateSite`` renames per second for ``--seconds`` (60), paced,
   spread evenly over the départements, over ``--connections`` (4) keep-alive HTTP
   connections (``driver.py``), and waits for the deliveries still under way;
5. matches every receipt against the events committed (the event table), and each event
   against its mutation's HTTP answer (``results.py``): expected, received, missing and
   duplicate deliveries, closes and errors, latency from the event's ``at`` and from the
   answer, deliveries per second, and the CPU and memory of the hub's workers, of the
   database's PostgreSQL backends, of the subscriber process(es) and of this process (the
   driver), from /proc;
6. prints two tables (``report.py``); ``--json`` writes the figures. Logs:
   var/bench-live/<date-time>/.

It exits 1 if any delivery was missing, duplicated, misrouted, or any subscriber failed.
"""
