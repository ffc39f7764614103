"""A throwaway PostgreSQL cluster for the tests: `initdb` in a temporary folder, a server on a free port of
127.0.0.1 (its socket in the same folder), a fresh database per test, and everything gone at the end.

The server binaries come from Debian's `postgresql` package (they live in /usr/lib/postgresql/<v>/bin, not
on PATH); scripts/system-packages (run by scripts/test) installs it when it is missing. `initdb` refuses to
run as root, so as root the cluster runs as the package's `postgres` user (or `nobody`) in a folder that user owns.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

SUPERUSER = "bot"  # the cluster's superuser; trust authentication, it is reachable only from here


def binaries() -> Path | None:
    """The newest installed PostgreSQL's bin folder, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


MISSING = (
    "no initdb in /usr/lib/postgresql/*/bin or on PATH: install Debian's `postgresql` package "
    "(scripts/system-packages does so)"
)
# TEST_DATABASE=postgresql runs the whole suite's bots on PostgreSQL (tests/harness.py::make_settings).
WHOLE_SUITE = os.environ.get("TEST_DATABASE", "").lower() == "postgresql"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Cluster:
    bin: Path
    folder: Path
    port: int
    _user: str | None  # who runs the server when we are root
    _names: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _by_key: dict[str, str] = field(default_factory=dict)

    @classmethod
    def start(cls) -> Cluster:
        bin_dir = binaries()
        if bin_dir is None:
            raise RuntimeError(MISSING)
        user = None
        folder = Path(tempfile.mkdtemp(prefix="bot-pg-"))
        if os.geteuid() == 0:
            user = "postgres" if _has_user("postgres") else "nobody"
            entry = pwd.getpwnam(user)
            os.chown(folder, entry.pw_uid, entry.pw_gid)
        cluster = cls(bin_dir, folder, _free_port(), user)
        data = folder / "data"
        cluster._run("initdb", "-D", str(data), "-U", SUPERUSER, "-A", "trust", "-E", "UTF8", "--no-sync")
        options = (
            f"-c listen_addresses=127.0.0.1 -p {cluster.port} -k {folder} -c fsync=off"
            " -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        cluster._run("pg_ctl", "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start")
        return cluster

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def fresh_database(self) -> str:
        """A new, empty database; answers its URL."""
        name = f"test_{next(self._names)}"
        self._run(
            "createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER, "-T", "template0", name
        )
        return self.url(name)

    def database_for(self, key: str) -> str:
        """The same database for the same key (a test's SQLite path: a restart reopens the same one)."""
        if key not in self._by_key:
            self._by_key[key] = self.fresh_database()
        return self._by_key[key]

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if self._user is not None:
            command = ["runuser", "-u", self._user, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=self.folder)
        if done.returncode != 0:
            log = self.folder / "log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{program} failed ({done.returncode}): {done.stderr.strip()}\n{tail}")


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


_shared: Cluster | None = None


def shared() -> Cluster:
    """The test session's cluster, started on first use; `stop_shared` ends it."""
    global _shared  # noqa: PLW0603 - one cluster per test session
    if _shared is None:
        _shared = Cluster.start()
    return _shared


def stop_shared() -> None:
    global _shared  # noqa: PLW0603
    if _shared is not None:
        _shared.stop()
        _shared = None
