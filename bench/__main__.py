"""``python -m bench``: see bench/__init__.py, or ``python -m bench --help``."""

import sys

from bench.run import main

sys.exit(main())
