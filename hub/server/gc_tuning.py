"""The garbage collector of a serving process, tuned for answering requests.

Every full collection of CPython's collector scans every object the process holds: the
~140,000 built at start-up (modules, the schema, the territories) that live as long as the
process, again and again. Answering pages of 500 sites, the collector took a third of the
CPU and paused the event loop for up to 130 ms at each full collection.

Once a worker is ready to serve, ``tune`` freezes what start-up built (``gc.freeze``: a
permanent generation that is never scanned) and sets the thresholds of ``HUB_GC_THRESHOLD``.
Frozen, the collector still scans the young objects of the answers being built whenever the
first threshold is reached: a page of 500 sites keeps 10,000 to 25,000 alive while it is built, so
a threshold under that scans each answer's objects once or twice while they are still in use.
The default is the threshold a page stays under (docs/operations.md gives the measurements).
"""

from __future__ import annotations

import gc
import logging

log = logging.getLogger(__name__)


def tune(threshold: tuple[int, int, int]) -> None:
    # Garbage first: frozen objects are never collected, not even once unreachable.
    gc.collect()
    gc.freeze()
    gc.set_threshold(*threshold)
    thresholds = ",".join(map(str, threshold))
    log.info(
        "Garbage collector: %d objects frozen, thresholds %s", gc.get_freeze_count(), thresholds
    )
