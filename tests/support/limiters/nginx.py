"""Real nginx ``limit_req`` in front of an app, on a free port, from a configuration generated in a temporary folder.

nginx (Debian: ``apt-get install nginx-light``) runs in the foreground (``daemon off``) as a child process, with
``-p`` naming a private folder that holds its configuration, pid file, logs and temporary files: nothing is written
outside it. Each API key (the Authorization header) gets a leaky bucket: ``rate`` (``10r/s``, ``100r/m``) plus a
``burst``, served at once (``nodelay``) or queued and let through at the rate; past the burst, a bare 429 (nginx's
own error page, no rate-limit header, no ``Retry-After``). Every request is logged with the time nginx answered it.
Standard library only, so a benchmark can start it under another interpreter's SDK.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

from support.limiters.express import ExpressApp
from support.redis_servers import free_port

INSTALL_HINT = "install nginx (Debian/Ubuntu: `apt-get install nginx-light`), or name its binary in SKIPCALL_NGINX"
_RATE = re.compile(r"([1-9][0-9]*)r/([sm])")


class NginxMissing(RuntimeError):
    """No nginx binary: the message says what to install."""


def find_nginx() -> str:
    """``SKIPCALL_NGINX``, else ``nginx`` on ``PATH`` or in ``/usr/sbin`` (off a user's PATH), else `NginxMissing`."""
    named = os.environ.get("SKIPCALL_NGINX")
    if named:
        if not os.access(named, os.X_OK):
            raise NginxMissing(f"SKIPCALL_NGINX={named} is not an executable; {INSTALL_HINT}")
        return named
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if not found:
        raise NginxMissing(f"no nginx on PATH or in /usr/sbin; {INSTALL_HINT}")
    return found


@dataclass(frozen=True)
class LimitReq:
    """One ``limit_req`` setting: ``rate`` as nginx writes it, ``burst`` requests beyond it, and ``nodelay``."""

    rate: str = "10r/s"
    burst: int = 100
    nodelay: bool = True

    def __post_init__(self) -> None:
        if not _RATE.fullmatch(self.rate):
            raise ValueError(f"rate must be N r/s or N r/m as nginx writes it (10r/s, 100r/m), not {self.rate!r}")
        if self.burst < 0:
            raise ValueError(f"burst must be >= 0, not {self.burst}")

    @property
    def per_second(self) -> float:
        """The rate in requests per second."""
        found = _RATE.fullmatch(self.rate)
        assert found is not None
        return int(found[1]) / (1.0 if found[2] == "s" else 60.0)

    @property
    def directive(self) -> str:
        """The ``limit_req`` directive of a location, for the zone ``keys``."""
        return f"limit_req zone=keys burst={self.burst}{' nodelay' if self.nodelay else ''};"

    def __str__(self) -> str:
        return f"rate={self.rate} burst={self.burst}{' nodelay' if self.nodelay else ''}"


def rate_of(limit: int, window: float) -> str:
    """``limit`` per ``window`` seconds as an nginx rate (``100`` per 10 s: ``10r/s``; per 60 s: ``100r/m``)."""
    for unit, seconds in (("s", 1.0), ("m", 60.0)):
        per_unit = limit * seconds / window
        if per_unit >= 1 and abs(per_unit - round(per_unit)) < 1e-9:
            return f"{round(per_unit)}r/{unit}"
    raise ValueError(f"{limit} per {window} s is no whole number of requests per second or per minute")


CONFIG = """\
{user}worker_processes 1;
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{
    worker_connections 4096;
}}
http {{
    log_format timed '$msec $status $request_method $request_uri $upstream_response_time';
    access_log {folder}/access.log timed;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    limit_req_zone $http_authorization zone=keys:10m rate={rate};
    limit_req_status 429;
    limit_req_log_level info;
    upstream app {{
        server {upstream};
        keepalive 64;
        keepalive_timeout 4s;  # below Node.js's 5 s, so nginx never reuses a connection the app is closing
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            {limit}
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }}
    }}
}}
"""


class Nginx:
    """nginx limiting requests to ``upstream``: ``with Nginx(LimitReq(...), "http://127.0.0.1:PORT") as proxy: ...``.

    Attributes:
        url: The base URL, ``http://127.0.0.1:PORT``, once started.
        folder: Its private folder (configuration, pid, logs, temporary files), removed when it stops.
    """

    def __init__(self, limit: LimitReq, upstream: str, *, executable: str | None = None) -> None:
        self.limit = limit
        self.upstream = upstream.removeprefix("http://").rstrip("/")
        self.executable = executable or find_nginx()
        self.url = ""
        self.folder = ""
        self._process: subprocess.Popen[bytes] | None = None

    def __repr__(self) -> str:
        return f"Nginx(url={self.url!r}, limit_req {self.limit}, upstream={self.upstream!r})"

    def config(self, port: int) -> str:
        """The configuration for ``port``, with every path inside ``folder``."""
        user = f"user {pwd.getpwuid(0).pw_name};\n" if os.geteuid() == 0 else ""  # workers as root: the folder is 0700
        return CONFIG.format(user=user, folder=self.folder, rate=self.limit.rate, upstream=self.upstream, port=port,
                             limit=self.limit.directive)  # fmt: skip

    def start(self, *, timeout: float = 10.0, attempts: int = 3) -> None:
        """Write the configuration, start nginx and wait until it accepts connections (another port if taken)."""
        self.folder = tempfile.mkdtemp(prefix="skipcall-nginx-")
        for attempt in range(attempts):
            port = free_port()
            Path(self.folder, "nginx.conf").write_text(self.config(port))
            command = [self.executable, "-p", self.folder, "-c", "nginx.conf", "-e", "error.log"]
            self._process = process = subprocess.Popen(command, stderr=subprocess.PIPE)
            deadline = time.monotonic() + timeout
            while process.poll() is None and time.monotonic() < deadline:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                        self.url = f"http://127.0.0.1:{port}"
                        return
                except OSError:
                    time.sleep(0.02)
            error = self._error_text(process)
            self._end()
            if "Address already in use" not in error or attempt == attempts - 1:
                self.close()
                raise RuntimeError(f"nginx did not start (exit {process.poll()}): {error.strip()[-2000:]}")

    def _error_text(self, process: subprocess.Popen[bytes]) -> str:
        text = ""
        if process.poll() is not None and process.stderr is not None:
            text = process.stderr.read().decode(errors="replace")
        log = Path(self.folder, "error.log")
        return text + (log.read_text(errors="replace") if log.is_file() else "")

    def _end(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()  # fast shutdown: the master stops its worker
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stderr is not None:
            process.stderr.close()

    def log(self) -> list[tuple[float, int]]:
        """When nginx decided each request (epoch seconds) and its status, in order of decision.

        A refused request is decided when nginx answers it; an admitted one when nginx passed it to the app (its
        answer less the app's time): for a queued request, once it left the queue. nginx writes a line once it has
        sent the answer, so this waits until the log has not grown for 0.1 s.
        """
        path = Path(self.folder, "access.log")
        size, settled = -1, time.monotonic() + 0.1
        while time.monotonic() < settled or path.stat().st_size != size:  # nginx logs once the answer is sent
            if path.stat().st_size != size:
                size, settled = path.stat().st_size, time.monotonic() + 0.1
            time.sleep(0.01)
        entries = []
        for line in path.read_text().splitlines():
            answered, status, _method, uri, upstream = line.split(" ", 4)  # upstream: "-", "0.002", "0.001, 0.002"
            if uri.startswith("/v1/"):
                app_time = sum(float(t) for t in upstream.replace(":", ",").split(",") if t not in ("", "-"))
                entries.append((float(answered) - app_time, int(status)))
        return sorted(entries)

    def close(self) -> None:
        """Stop nginx and remove its folder."""
        self._end()
        if self.folder:
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object | TracebackType) -> None:
        self.close()


@contextmanager
def nginx_in_front(limit: LimitReq) -> Iterator[Nginx]:
    """nginx ``limit_req`` in front of an express app that limits nothing itself (a proxy in front of an API)."""
    with ExpressApp("off") as app, Nginx(limit, app.url) as proxy:
        yield proxy
