"""``python -m skipcall_async demo``."""

import sys

from ._demo import main

sys.exit(main())
