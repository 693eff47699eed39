"""The embedded PostgreSQL + PostGIS cluster that jingwang owns under ``$JINGWANG_HOME/pg``.

The cluster listens on a Unix socket inside its own folder only (no TCP port), so several homes run side by
side. PostgreSQL refuses to run as root: when this process is root, the server runs as the ``postgres`` system
user, which then owns the data folder.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import os
import pwd
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from api.errors import ClusterError

__all__ = ["Cluster", "find_bindir"]

DB_NAME = "jingwang"
SUPERUSER = "jingwang"
PORT = 5432
_SOCKET_MAX = 100  # sun_path is 108 bytes on Linux; keep a margin for ".s.PGSQL.5432"
_INSTALL_HINT = "apt-get install postgresql-15 postgresql-15-postgis-3 (or run `make setup` as root)"


def find_bindir() -> Path:
    """Folder holding ``initdb``/``pg_ctl``/``postgres``: $JINGWANG_PG_BIN, else PATH, else Debian's."""
    override = os.environ.get("JINGWANG_PG_BIN")
    candidates = [override] if override else []
    if not override:
        on_path = shutil.which("pg_ctl")
        if on_path:
            candidates.append(str(Path(on_path).resolve().parent))
        versions = glob.glob("/usr/lib/postgresql/*/bin")
        candidates += sorted(versions, key=lambda p: int(Path(p).parent.name), reverse=True)
    for folder in candidates:
        if all((Path(folder) / exe).is_file() for exe in ("initdb", "pg_ctl", "postgres")):
            return Path(folder)
    where = override or "PATH and /usr/lib/postgresql/*/bin"
    raise ClusterError(f"PostgreSQL server binaries (initdb, pg_ctl) not found in {where}: {_INSTALL_HINT}")


@dataclass
class Cluster:
    """One embedded cluster: ``home/pg/data`` holds the data, ``home/pg/run`` the socket and log."""

    home: Path

    @property
    def root(self) -> Path:
        # Resolved, because ``pg`` may be a link to a folder the postgres user can reach (see _place_root).
        return (self.home / "pg").resolve()

    @property
    def datadir(self) -> Path:
        return self.root / "data"

    @property
    def rundir(self) -> Path:
        return self.root / "run"

    @property
    def logfile(self) -> Path:
        return self.rundir / "postgres.log"

    def url(self, database: str = DB_NAME) -> str:
        return f"postgresql+psycopg://{SUPERUSER}@/{database}?host={self.rundir}&port={PORT}"

    # -- lifecycle ---------------------------------------------------------------------------------

    def status(self) -> dict[str, object]:
        pid = self._live_pid()
        return {
            "home": str(self.home),
            "initialised": (self.datadir / "PG_VERSION").exists(),
            "running": pid is not None,
            "pid": pid,
            "socket": str(self.rundir),
        }

    def start(self) -> bool:
        """Create the cluster on first use and start it; return False when it was already running."""
        if self._live_pid() is not None:
            return False
        bindir = find_bindir()
        self._place_root()
        self._check_socket_path()
        if not (self.datadir / "PG_VERSION").exists():
            self._initdb(bindir)
        self._clear_stale_pid()
        self._prepare_rundir()
        cmd = [str(bindir / "pg_ctl"), "-D", str(self.datadir), "-l", str(self.logfile), "-w", "-t", "60"]
        for attempt in range(5):
            result = self._run([*cmd, "start"], check=False)
            if result.returncode == 0:
                return True
            # After a kill -9 the old backends may still hold shared memory for a moment.
            time.sleep(0.5 * (attempt + 1))
            self._clear_stale_pid()
        raise ClusterError(f"PostgreSQL did not start; see {self.logfile}:\n{self._log_tail()}")

    def stop(self) -> bool:
        """Stop the server (fast shutdown); return False when it was not running."""
        if self._live_pid() is None:
            self._clear_stale_pid()
            return False
        bindir = find_bindir()
        self._run([str(bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "fast", "-w", "stop"])
        return True

    # -- helpers -----------------------------------------------------------------------------------

    def _initdb(self, bindir: Path) -> None:
        self.datadir.mkdir(parents=True, exist_ok=True)
        self._own(self.root)
        self._own(self.datadir)
        os.chmod(self.datadir, 0o700)
        self._run(
            [str(bindir / "initdb"), "-D", str(self.datadir), "-U", SUPERUSER, "--auth=trust",
             "--encoding=UTF8", "--locale=C.UTF-8"]
        )  # fmt: skip
        conf = self.datadir / "postgresql.conf"
        with conf.open("a", encoding="utf-8") as f:
            f.write(
                "\n# jingwang: Unix socket only, inside the home folder\n"
                "listen_addresses = ''\n"
                f"unix_socket_directories = '{self.rundir}'\n"
                "unix_socket_permissions = 0700\n"
                f"port = {PORT}\n"
                "shared_buffers = 256MB\n"
                "work_mem = 32MB\n"
                "max_connections = 100\n"
                "fsync = on\n"
            )

    def _prepare_rundir(self) -> None:
        self.rundir.mkdir(parents=True, exist_ok=True)
        self._own(self.rundir)
        os.chmod(self.rundir, 0o700)

    def _place_root(self) -> None:
        """As root, keep the cluster where the postgres user can reach it.

        A home under a private folder (``/root``, mode 700) cannot be entered by the postgres user; then the
        cluster lives under /var/lib/jingwang and ``$JINGWANG_HOME/pg`` is a link to it.
        """
        link = self.home / "pg"
        if os.geteuid() != 0 or link.exists() or _reachable(self.home):
            return
        target = Path("/var/lib/jingwang") / hashlib.sha1(str(self.home).encode()).hexdigest()[:12]
        target.mkdir(parents=True, exist_ok=True)
        os.chmod(target.parent, 0o755)
        self.home.mkdir(parents=True, exist_ok=True)
        link.symlink_to(target, target_is_directory=True)

    def _check_socket_path(self) -> None:
        if len(str(self.rundir / f".s.PGSQL.{PORT}")) > _SOCKET_MAX:
            raise ClusterError(f"JINGWANG_HOME path is too long for a Unix socket ({self.rundir}): use a shorter path")

    def _live_pid(self) -> int | None:
        pidfile = self.datadir / "postmaster.pid"
        try:
            pid = int(pidfile.read_text().splitlines()[0])
        except (FileNotFoundError, IndexError, ValueError, PermissionError):
            return None
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except FileNotFoundError:
            return None
        # A reused pid that is not our postmaster does not count.
        return pid if b"postgres" in cmdline and str(self.datadir).encode() in cmdline else None

    def _clear_stale_pid(self) -> None:
        if self._live_pid() is None:
            with contextlib.suppress(FileNotFoundError):
                (self.datadir / "postmaster.pid").unlink()
            for lock in self.rundir.glob(".s.PGSQL.*"):
                with contextlib.suppress(FileNotFoundError):
                    lock.unlink()

    def _log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def _own(self, path: Path) -> None:
        if os.geteuid() == 0:
            pg = _postgres_user()
            os.chown(path, pg.pw_uid, pg.pw_gid)

    def _run(self, cmd: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
        kwargs: dict[str, object] = {}
        if os.geteuid() == 0:
            pg = _postgres_user()
            kwargs = {"user": pg.pw_uid, "group": pg.pw_gid, "extra_groups": []}
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
        result = subprocess.run(  # type: ignore[call-overload]
            cmd, capture_output=True, text=True, env=env, cwd="/", **kwargs
        )
        if check and result.returncode != 0:
            raise ClusterError(f"{Path(cmd[0]).name} failed: {result.stderr.strip() or result.stdout}")
        return result


def _reachable(folder: Path) -> bool:
    """True when every existing parent of ``folder`` can be entered by other users."""
    return all(p.stat().st_mode & 0o001 for p in [folder, *folder.parents] if p.exists())


def _postgres_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam("postgres")
    except KeyError as exc:
        raise ClusterError(
            "running as root but there is no 'postgres' system user to run the database: " + _INSTALL_HINT
        ) from exc
