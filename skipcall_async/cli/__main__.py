"""``python -m skipcall_async.cli``: the ``skipcall`` command without its console script."""

from . import main

main()
