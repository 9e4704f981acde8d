"""Stalls the event loop of every Python process started with this folder on ``PYTHONPATH`` (``--stall``).

When ``SKIPCALL_BENCH_STALL`` is set, a daemon thread holds the GIL for 50-200 ms at a time, then rests up to
100 ms: a process starved of CPU in a loaded pod, whose responses are read well after they arrive. The work is
one C call (``sum`` over a range), which keeps the GIL to its end; Python code would hand it back every 5 ms.
"""

import os
import random
import threading
import time


def _stall_forever(per_second: float) -> None:
    rng = random.Random(os.getpid())
    while True:
        sum(range(int(rng.uniform(0.05, 0.2) * per_second)))
        time.sleep(rng.uniform(0.0, 0.1))


if os.environ.get("SKIPCALL_BENCH_STALL"):
    _started = time.perf_counter()
    sum(range(2_000_000))
    _per_second = 2_000_000 / (time.perf_counter() - _started)
    threading.Thread(target=_stall_forever, args=(_per_second,), daemon=True, name="stall").start()
