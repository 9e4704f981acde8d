"""What the tests and the benchmarks run beside the SDK; none of it is in the package users install.

- `backends`: the recorded-traffic backends (a real local server, aioresponses) of the request tests.
- `drivers`: the pacing rules driven through either store on one fake clock.
- `fleet`, `fleet_worker`: worker processes that fetch calls on one key and report what they saw.
- `redis_servers`: private ``redis-server`` processes, a Redis Cluster and a Sentinel set-up on loopback.
- `limiters.nestjs`, `prism`: real components on Node.js (the NestJS app guarded by @nestjs/throttler, Stoplight
  Prism), installed from committed lockfiles by `node_packages`.

Tests import it as ``support`` (``pythonpath = ["tests"]`` in pyproject.toml); benchmarks through
``benchmarks/_support.py``. The modules a benchmark may load under another interpreter's SDK (``fleet``,
``fleet_worker``, ``redis_servers``, ``limiters.nestjs``, ``node_packages``) use only the SDK's public names.
"""
