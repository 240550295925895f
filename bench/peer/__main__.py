"""``python -m bench.peer``: see bench/peer/__init__.py, or ``python -m bench.peer --help``."""

import sys

from bench.peer.run import main

sys.exit(main())
