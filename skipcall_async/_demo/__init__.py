"""``python -m skipcall_async demo``: the SDK's main job against an embedded fake server, with a summary.

`command` is its command line; `one_process` the demo itself; `fleet` the same job split over worker processes on
one key (``--processes N``), without and with Redis, whose workers are `worker` and whose private ``redis-server``
is `redis_server`.
"""
