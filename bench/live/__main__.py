"""``python -m bench.live``: see bench/live/__init__.py, or ``python -m bench.live --help``."""

import sys

from bench.live.run import main

sys.exit(main())
