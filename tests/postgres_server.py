"""A throwaway PostgreSQL server on localhost for tests: initdb in a temporary folder, a free
port, its own unix-socket folder, stopped (``pg_ctl stop -m fast``) and removed afterwards.

The server binaries come from the system (Debian: ``apt-get install postgresql``); they are
found with ``pg_config --bindir`` or under ``/usr/lib/postgresql/*/bin``. ``initdb`` and
``postgres`` refuse to run as root: as root they run as the ``postgres`` system user (created by
Debian's package) via ``runuser``, and the temporary folder belongs to that user. Debian's own
cluster (if the package started one on 5432) is not used and not touched.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

INSTALL_HINT = (
    "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found. Install them with "
    "`apt-get install -y --no-install-recommends postgresql` (Debian/Ubuntu; .ci/run does this) "
    "or your system's PostgreSQL server package, so that `pg_config --bindir` or "
    "/usr/lib/postgresql/<version>/bin holds initdb. To skip the shared-instance tests "
    "deliberately, set PWB_SKIP_POSTGRES=1."
)
SERVER_USER = "postgres"  # the system user that runs the server when we are root
SUPERUSER = "pwb_admin"  # the cluster's bootstrap superuser (initdb -U)


class PostgresUnavailable(RuntimeError):
    """The server binaries (or, as root, the postgres system user) are missing."""


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    socket_dir: Path
    superuser: str
    password: str

    def connect(self, dbname: str = "postgres", user: str | None = None,
                password: str | None = None):
        """A psycopg2 connection over TCP with password authentication (autocommit)."""
        import psycopg2

        connection = psycopg2.connect(host=self.host, port=self.port, dbname=dbname,
                                      user=user or self.superuser,
                                      password=self.password if password is None else password,
                                      connect_timeout=10)
        connection.autocommit = True
        return connection


def find_bindir() -> Path | None:
    """The folder with initdb/pg_ctl/postgres: `pg_config --bindir`, else the newest
    /usr/lib/postgresql/*/bin. None when no server binaries are installed."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True,
                                 timeout=10, check=True).stdout.strip()
            candidates.append(Path(out))
        except (subprocess.SubprocessError, OSError):
            pass
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                      key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
                      reverse=True)
    candidates.extend(versions)
    for folder in candidates:
        if all((folder / name).is_file() for name in ("initdb", "pg_ctl", "postgres")):
            return folder
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Runner:
    """Runs the server binaries as ourselves, or as the postgres user when we are root."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.as_root = os.geteuid() == 0
        self.prefix: list[str] = []
        if self.as_root:
            try:
                self.account = pwd.getpwnam(SERVER_USER)
            except KeyError as exc:
                raise PostgresUnavailable(
                    f"Running as root, but there is no '{SERVER_USER}' system user to run the "
                    f"server as (Debian's postgresql package creates it). {INSTALL_HINT}"
                ) from exc
            if shutil.which("runuser"):
                self.prefix = ["runuser", "-u", SERVER_USER, "--"]
            else:
                self.prefix = ["setpriv", f"--reuid={self.account.pw_uid}",
                               f"--regid={self.account.pw_gid}", "--init-groups", "--"]

    def own(self, path: Path) -> None:
        if self.as_root:
            os.chown(path, self.account.pw_uid, self.account.pw_gid)

    def run(self, tool: str, *args: str, cwd: Path, timeout: float = 60) -> str:
        command = [*self.prefix, str(self.bindir / tool), *args]
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True,
                              timeout=timeout, env={**os.environ, "LC_ALL": "C"})
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stderr or done.stdout}")
        return done.stdout

    def start(self, tool: str, *args: str, cwd: Path, log: Path) -> subprocess.Popen:
        """The tool as our child, in its own process group, output to ``log``."""
        command = [*self.prefix, str(self.bindir / tool), *args]
        with open(log, "ab") as out:
            return subprocess.Popen(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True,
                                    env={**os.environ, "LC_ALL": "C"})


@contextmanager
def postgres_server(attempts: int = 3) -> Iterator[PostgresServer]:
    """Start a fresh cluster; yield its address; always stop it and delete its folder.

    The postmaster is our own child process (not daemonised by ``pg_ctl start``), so that we
    reap it ourselves at the end and no orphan is left for init.
    """
    bindir = find_bindir()
    if bindir is None:
        raise PostgresUnavailable(INSTALL_HINT)
    runner = _Runner(bindir)
    # Not pytest's tmp_path: that lives under a 0700 folder of root the postgres user cannot enter.
    base = Path(tempfile.mkdtemp(prefix="pwb-postgres-"))
    data, sockets = base / "data", base / "sockets"
    password = secrets.token_hex(16)
    process: subprocess.Popen | None = None
    try:
        sockets.mkdir()
        for path in (base, sockets):
            runner.own(path)
        pwfile = base / "pwfile"
        pwfile.write_text(password + "\n")
        runner.own(pwfile)
        runner.run("initdb", "-D", str(data), "-U", SUPERUSER, f"--pwfile={pwfile}",
                   "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8",
                   "--no-locale", "--no-sync", cwd=base, timeout=120)
        pwfile.unlink()
        for attempt in range(attempts):
            port = free_port()
            process = runner.start(
                "postgres", "-D", str(data), "-c", "listen_addresses=localhost",
                "-c", f"port={port}", "-c", f"unix_socket_directories={sockets}",
                "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                cwd=base, log=base / "server.log")
            server = PostgresServer(host="localhost", port=port, socket_dir=sockets,
                                    superuser=SUPERUSER, password=password)
            if _wait_until_ready(server, process):
                break
            process.wait(timeout=30)  # it exited: most likely the port was taken in between
            process = None
            if attempt == attempts - 1:
                raise RuntimeError("PostgreSQL did not start: "
                                   + (base / "server.log").read_text()[-2000:])
        yield server
    finally:
        if process is not None:
            _stop(runner, process, data, base)
        shutil.rmtree(base, ignore_errors=True)


def _wait_until_ready(server: PostgresServer, process: subprocess.Popen,
                      timeout: float = 60) -> bool:
    """True once a connection succeeds; False when the server process ended instead."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            return False
        try:
            server.connect().close()
            return True
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _stop(runner: _Runner, process: subprocess.Popen, data: Path, base: Path) -> None:
    """``pg_ctl stop -m fast``, then reap our child; if that fails, SIGQUIT (immediate
    shutdown), then SIGKILL, to the process we started."""
    try:
        if process.poll() is None:
            runner.run("pg_ctl", "-D", str(data), "-m", "fast", "-w", "-t", "60", "stop",
                       cwd=base, timeout=90)
        process.wait(timeout=30)
        return
    except (RuntimeError, subprocess.SubprocessError):
        pass
    for sig in (signal.SIGQUIT, signal.SIGKILL):
        if process.poll() is not None:
            return
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=15)
            return
        except subprocess.TimeoutExpired:
            continue


def create_database(server: PostgresServer, dbname: str, user: str, password: str) -> None:
    """The deployment guide's step 1, verbatim: a login role and a database it owns."""
    # Not `with connection:` -- in psycopg2 that opens a transaction, and CREATE DATABASE
    # cannot run inside one.
    with closing(server.connect()) as connection, connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {user} LOGIN PASSWORD %s", (password,))
        cursor.execute(f"CREATE DATABASE {dbname} OWNER {user}")
