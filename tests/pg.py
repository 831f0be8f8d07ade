"""A real PostgreSQL for the tests (Debian's postgresql package), on 127.0.0.1.

`initdb` and `pg_ctl` refuse to run as root: as root they run as the unprivileged
`postgres` user (created by the package) through `runuser`, in a private temporary
directory it owns. Password authentication (scram-sha-256) is on, so the tests go
through what a real deployment needs: the DSN carries a password, which no message may
show. Stopped (`stop()`) and started again (`start()`) on the same port, as a restart in
production would be.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.stack import free_port, not_installed, require  # noqa: F401  (re-export require)

USER = "obsconsole"
PASSWORD = "s3cret-Pw-never-shown"
DATABASE = "obsconsole"
START_TIMEOUT_S = 30


def pg_bin(name: str) -> str | None:
    """A PostgreSQL server binary: Debian keeps them out of PATH, under
    /usr/lib/postgresql/<version>/bin."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def missing() -> str | None:
    """One line naming the package to install, or None."""
    return None if pg_bin("initdb") and pg_bin("pg_ctl") else not_installed(["postgresql"])


class Postgres:
    def __init__(self) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="obsconsole-pg-"))
        self.data = self.base / "data"
        self.sockets = self.base / "run"
        self.log = self.base / "postgres.log"
        self.port = 0
        self.as_root = os.geteuid() == 0
        self.sockets.mkdir()
        if self.as_root:
            shutil.chown(self.base, "postgres", "postgres")
            shutil.chown(self.sockets, "postgres", "postgres")

    def _run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = (["runuser", "-u", "postgres", "--"] if self.as_root else []) + list(argv)
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=self.base)
        if check and done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv[:2])} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}\n{self.tail()}")
        return done

    def tail(self) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-20:])
        except OSError:
            return ""

    def init(self) -> None:
        pwfile = self.base / "pw"
        pwfile.write_text(PASSWORD + "\n")
        if self.as_root:
            shutil.chown(pwfile, "postgres", "postgres")
        self._run(pg_bin("initdb") or "initdb", "-D", str(self.data), "-U", USER, "--pwfile", str(pwfile),
                  "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C.UTF-8")
        pwfile.unlink()

    def start(self) -> None:
        """Start (the first time on a free port, then on the same one) and wait until
        it accepts connections."""
        first = not self.port
        for _ in range(5 if first else 1):
            if first:
                self.port = free_port()
            done = self._run(
                pg_bin("pg_ctl") or "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", str(START_TIMEOUT_S),
                "-o", f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.sockets} -c fsync=off", "start", check=False)
            if done.returncode == 0:
                return
            if "already in use" not in self.tail().lower():
                break
        raise RuntimeError(f"postgres did not start on port {self.port}:\n{done.stdout}\n{done.stderr}\n{self.tail()}")

    def stop(self) -> None:
        self._run(pg_bin("pg_ctl") or "pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)

    def create_database(self, name: str = DATABASE) -> str:
        env = dict(os.environ, PGPASSWORD=PASSWORD)
        subprocess.run([pg_bin("createdb") or "createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", USER, name],
                       check=True, env=env, capture_output=True, timeout=60)
        return self.dsn(name)

    def dsn(self, database: str = DATABASE) -> str:
        return f"postgresql://{USER}:{PASSWORD}@127.0.0.1:{self.port}/{database}"

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)
