"""A real PostgreSQL server for the team-mode tests and benchmark, started from Debian's binaries.

The tests import it as ``tests.postgres``; it lives here so that the benchmark (``bench/lake.py``)
and the tests share one copy without the benchmark importing the test suite.

``initdb`` and ``pg_ctl`` make a throwaway cluster in a temporary folder, listening on a free
loopback port with trust authentication. PostgreSQL refuses to run as root, so as root the
server runs as the ``postgres`` account (or ``nobody``). Without the binaries the tests that need
the server are skipped with the command that installs them.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

INSTALL_HINT = (
    "PostgreSQL's server binaries (initdb, pg_ctl) are not installed: "
    "`sudo apt-get install -y postgresql` (.ci/run does it)"
)


def find_bin_dir() -> Path | None:
    """The folder of ``initdb`` and ``pg_ctl``: on PATH, or Debian's /usr/lib/postgresql/N/bin."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(os.path.realpath(on_path)).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    return Path(versions[0]).parent if versions else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PostgresServer:
    """A running cluster: ``dsn(db)`` is a libpq connection string, ``url(db)`` a URL."""

    bin_dir: Path
    root: Path
    port: int
    user: str = "postgres"

    def dsn(self, dbname: str) -> str:
        return f"dbname={dbname} host=127.0.0.1 port={self.port} user={self.user}"

    def url(self, dbname: str) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, name: str) -> str:
        """A new empty database; returns its libpq connection string."""
        import psycopg2

        conn = psycopg2.connect(self.dsn("postgres"))
        try:
            conn.autocommit = True
            with conn.cursor() as cursor:
                cursor.execute(f'create database "{name}"')
        finally:
            conn.close()
        return self.dsn(name)

    def stop(self) -> None:
        _run_as_owner(
            [str(self.bin_dir / "pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate",
             "-w", "stop"],
            check=False,
        )  # fmt: skip
        shutil.rmtree(self.root, ignore_errors=True)


def _owner() -> pwd.struct_passwd | None:
    """The account the server runs as when we are root (PostgreSQL refuses root)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root and no 'postgres' or 'nobody' account to run PostgreSQL")


def _run_as_owner(command: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
    owner = _owner()
    extra = {}
    if owner is not None:
        extra = {"user": owner.pw_uid, "group": owner.pw_gid, "extra_groups": []}
    return subprocess.run(command, check=check, capture_output=True, text=True, timeout=60, **extra)  # type: ignore[call-overload]


def start_server() -> PostgresServer:
    """initdb + pg_ctl start in a new temporary folder; about half a second."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise FileNotFoundError(INSTALL_HINT)
    root = Path(tempfile.mkdtemp(prefix="tpw-pg-"))
    root.chmod(0o755)  # the server's account must enter it
    data, sockets = root / "data", root / "sockets"
    sockets.mkdir()
    owner = _owner()
    if owner is not None:
        os.chown(sockets, owner.pw_uid, owner.pw_gid)
        data.mkdir(mode=0o700)
        os.chown(data, owner.pw_uid, owner.pw_gid)
    _run_as_owner(
        [str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
         "--locale=C", "--no-sync"]
    )  # fmt: skip
    for _attempt in range(5):  # a port taken between our probe and the server's bind: another
        port = _free_port()
        started = _run_as_owner(
            [str(bin_dir / "pg_ctl"), "-D", str(data), "-w", "-l", str(data / "server.log"),
             "-o", f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off "
             "-c max_connections=200", "start"],
            check=False,
        )  # fmt: skip
        if started.returncode == 0:
            return PostgresServer(bin_dir, root, port)
    log = (data / "server.log").read_text(errors="replace")[-2000:]
    shutil.rmtree(root, ignore_errors=True)
    raise RuntimeError(f"PostgreSQL did not start: {started.stderr.strip()}\n{log}")
