"""``python -m skipcall_async demo``."""

import sys

from ._demo.command import main

sys.exit(main())
