"""Which Redis a store URL names, and the redis-py client for it: one server, a Cluster, or a Sentinel's master.

* ``redis://``, ``rediss://``, ``unix://``: one server, read by redis-py itself (every option it takes).
* ``redis+cluster://[[user]:password@]host:port[,host:port...]``, ``rediss+cluster://`` for TLS: a Redis Cluster
  (ElastiCache cluster mode, Memorystore cluster), any of whose nodes start the client; every key of one API
  key shares a hash tag, so each key's scripts run on the one node that holds its slot. Database 0 only.
  Wake-ups are classic pub/sub, which a cluster delivers to every node: one subscription, on any node that
  answers, hears every key's (sharded pub/sub would need one subscription per slot's node, for nothing more).
* ``redis+sentinel://[[user]:password@]host:port[,host:port...]/<master name>[/<db>]``, ``rediss+sentinel://``:
  the master that the Sentinels name, found again after a failover. The userinfo is the master's; the
  Sentinels' own password, if they have one, is the ``sentinel_password`` query field.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qs, unquote, urlsplit

import attrs

from ..._errors import ConfigurationError

if TYPE_CHECKING:
    import redis.asyncio as aioredis

SCHEMES = ("redis", "rediss", "unix", "redis+cluster", "rediss+cluster", "redis+sentinel", "rediss+sentinel")


@attrs.frozen(kw_only=True)
class Target:
    """A store URL, read: the kind of deployment, its nodes, and the credentials (kept out of reprs)."""

    kind: Literal["server", "cluster", "sentinel"]
    nodes: tuple[tuple[str, int], ...] = ()
    tls: bool = False
    username: str | None = None
    password: str | None = attrs.field(default=None, repr=False)
    sentinel_password: str | None = attrs.field(default=None, repr=False)
    master: str | None = None
    db: int = 0


def read_target(url: str, shown: str) -> Target:
    """What ``url`` names; `ConfigurationError` (naming ``shown``, the URL without its passwords) if unreadable."""
    scheme = url.partition("://")[0]
    if scheme not in SCHEMES:
        raise ConfigurationError(
            "the Redis URL must start with redis://, rediss://, unix://, redis+cluster:// or redis+sentinel:// "
            f"(rediss+ for TLS), got {shown!r}"
        )
    if scheme in ("redis", "rediss", "unix"):
        return Target(kind="server")
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    nodes = tuple(_node(item, shown) for item in netloc.split(",") if item)
    if not nodes:
        raise ConfigurationError(f"the Redis URL names no host:port: {shown!r}")
    path = [piece for piece in parts.path.split("/") if piece]
    query = parse_qs(parts.query)
    base = Target(
        kind="cluster",
        nodes=nodes,
        tls=scheme.startswith("rediss"),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )
    if scheme.endswith("cluster"):
        if path not in ([], ["0"]):
            raise ConfigurationError(f"Redis Cluster has only database 0; drop the path of {shown!r}")
        return base
    if not path or len(path) > 2:
        raise ConfigurationError(f"a Sentinel URL names its master: redis+sentinel://host:port/<master>, got {shown!r}")
    db = _database(path[1], shown) if len(path) == 2 else 0
    sentinel_password = query.get("sentinel_password", [None])[0]
    return attrs.evolve(base, kind="sentinel", master=unquote(path[0]), db=db, sentinel_password=sentinel_password)


def _node(item: str, shown: str) -> tuple[str, int]:
    host, _, port = item.rpartition(":")
    if not host or not port.isdigit():
        raise ConfigurationError(f"each node of the Redis URL is host:port, got {item!r} in {shown!r}")
    return host.strip("[]"), int(port)


def _database(text: str, shown: str) -> int:
    if not text.isdigit():
        raise ConfigurationError(f"the database of the Redis URL is a number, got {text!r} in {shown!r}")
    return int(text)


def client_for(target: Target, url: str, **settings: Any) -> aioredis.Redis | aioredis.RedisCluster:
    """The redis-py client for ``target``: command timeouts, no retries of its own, decoded replies.

    ``settings``: ``command_timeout`` and ``max_connections``.
    """
    import redis.asyncio as aioredis
    from redis.asyncio.cluster import ClusterNode
    from redis.asyncio.retry import Retry  # an asyncio client takes the asyncio Retry (redis-py 8.2 warns otherwise)
    from redis.asyncio.sentinel import Sentinel
    from redis.backoff import NoBackoff

    timeout, connections = settings["command_timeout"], settings["max_connections"]
    common: dict[str, Any] = {
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "decode_responses": True,
        "health_check_interval": 0,
    }
    if target.kind == "server":
        pool = aioredis.BlockingConnectionPool.from_url(
            url, max_connections=connections, timeout=timeout, retry=Retry(NoBackoff(), 0), **common
        )
        return aioredis.Redis(connection_pool=pool)
    if target.kind == "cluster":
        return aioredis.RedisCluster(
            startup_nodes=[ClusterNode(host, port) for host, port in target.nodes],
            username=target.username,
            password=target.password,
            ssl=target.tls,
            max_connections=connections + 2,  # the fleet's commands never take more (its semaphore), plus pub/sub
            retry=Retry(NoBackoff(), 1),  # a moved slot is followed once; a lost node is an outage
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            decode_responses=True,
            health_check_interval=0,
        )
    sentinel_kwargs = {"password": target.sentinel_password, "socket_timeout": timeout,
                       "socket_connect_timeout": timeout, "ssl": target.tls}  # fmt: skip
    sentinels = Sentinel(  # type: ignore[no-untyped-call,unused-ignore]
        list(target.nodes), sentinel_kwargs=sentinel_kwargs, username=target.username, password=target.password,
        ssl=target.tls, **common,
    )  # fmt: skip
    assert target.master is not None
    master: aioredis.Redis = sentinels.master_for(
        target.master, db=target.db, retry=Retry(NoBackoff(), 0), max_connections=connections + 2
    )
    return master


def subscriber_for(
    target: Target, client: aioredis.Redis | aioredis.RedisCluster, attempt: int, **settings: Any
) -> aioredis.Redis | aioredis.RedisCluster:
    """The client to subscribe to wake-ups with: ``client`` itself, or for a Cluster a plain connection to one of
    its nodes (the next one on each ``attempt``: a node that fails is passed over)."""
    if target.kind != "cluster":
        return client
    import redis.asyncio as aioredis

    host, port = target.nodes[attempt % len(target.nodes)]
    timeout = settings["command_timeout"]
    return aioredis.Redis(
        host=host, port=port, username=target.username, password=target.password, ssl=target.tls,
        socket_connect_timeout=timeout, decode_responses=True, health_check_interval=0,
    )  # fmt: skip
