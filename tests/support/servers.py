"""Private Redis and PostgreSQL servers for tests: real binaries, temp dirs, free loopback ports.

Each server is started by the test session that needs it and stopped at the
end; nothing is shared with the machine's own services. PostgreSQL refuses
to run as root, so under root the server runs as the ``postgres`` system user
(the Debian package creates it).
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["PostgresServer", "RedisServer", "free_port", "postgres_missing", "redis_missing"]

_PG_BIN_DIRS = ("/usr/local/bin", "/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server on port {port} did not come up in {timeout} s")


def redis_missing() -> str | None:
    """Why Redis tests cannot run here, or None."""
    if shutil.which("redis-server") is None:
        return "redis-server is not installed (apt-get install -y redis-server; .ci/run installs it)"
    try:
        import redis  # noqa: F401
    except ImportError:
        return "the redis package is not installed (pip install 'headroom-integrations[redis]')"
    return None


def _pg_binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for folder in _PG_BIN_DIRS:
        candidate = Path(folder) / name
        if candidate.is_file():
            return str(candidate)
    return None


def postgres_missing() -> str | None:
    """Why PostgreSQL tests cannot run here, or None."""
    if _pg_binary("initdb") is None or _pg_binary("pg_ctl") is None:
        return "PostgreSQL binaries (initdb, pg_ctl) are not installed (apt-get install -y postgresql-15)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' user to run PostgreSQL as"
    try:
        import psycopg  # noqa: F401
        import psycopg_pool  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install 'headroom-integrations[postgres]')"
    return None


@dataclass
class RedisServer:
    """A ``redis-server`` in a temp dir; :meth:`stop` kills it (as a crash would), :meth:`start` restarts it."""

    maxmemory: str = "0"
    policy: str = "noeviction"
    port: int = field(default_factory=free_port)
    directory: str = field(default_factory=lambda: tempfile.mkdtemp(prefix="headroom-redis-"))
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                self.directory,
                "--save",
                "",
                "--appendonly",
                "no",
                "--maxmemory",
                self.maxmemory,
                "--maxmemory-policy",
                self.policy,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_port(self.port)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


@dataclass
class PostgresServer:
    """A PostgreSQL cluster made by ``initdb`` in a temp dir, run with ``pg_ctl``."""

    port: int = field(default_factory=free_port)
    directory: str = field(default_factory=lambda: tempfile.mkdtemp(prefix="headroom-pg-"))

    @property
    def user(self) -> str:
        return "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name

    @property
    def url(self) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        kwargs: dict[str, object] = {}
        if os.geteuid() == 0:
            kwargs["user"] = "postgres"
        subprocess.run(list(args), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd="/", **kwargs)  # type: ignore[call-overload]

    @property
    def _data(self) -> str:
        return str(Path(self.directory) / "data")

    def init(self) -> PostgresServer:
        if os.geteuid() == 0:
            entry = pwd.getpwnam("postgres")
            os.chown(self.directory, entry.pw_uid, entry.pw_gid)
        self._run(str(_pg_binary("initdb")), "-D", self._data, "-A", "trust", "-U", self.user, "--no-sync")
        return self

    def start(self) -> PostgresServer:
        options = f"-p {self.port} -h 127.0.0.1 -k {self.directory} -c fsync=off -c max_connections=200"
        log = str(Path(self.directory) / "server.log")
        self._run(str(_pg_binary("pg_ctl")), "-D", self._data, "-o", options, "-l", log, "-w", "start")
        _wait_port(self.port)
        return self

    def stop(self) -> None:
        pid_file = Path(self._data) / "postmaster.pid"
        if pid_file.is_file():
            try:
                self._run(str(_pg_binary("pg_ctl")), "-D", self._data, "-m", "immediate", "-w", "stop")
            except subprocess.CalledProcessError:
                pid = int(pid_file.read_text().split()[0])
                os.kill(pid, signal.SIGKILL)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)
