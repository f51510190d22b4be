"""Real servers the robustness tests start, own and stop themselves: a scratch PostgreSQL
cluster (its own data directory and port under /tmp, so a test may stop and restart it without
touching the machine's server) and gunicorn serving `wsgi:app` as production does.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class ScratchPostgres:
    """A PostgreSQL cluster of our own: initdb into a temporary directory, pg_ctl to start,
    stop (fast: connections are cut as in a crash or fail-over) and start it again."""

    def __init__(self) -> None:
        bin_dir = _pg_bin()
        if bin_dir is None:
            pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
        self.bin = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="huanlian-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        # initdb refuses to run as root: the cluster belongs to the postgres account then.
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user:
            shutil.chown(self.root, self.user)
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8")

    def _run(self, tool: str, *args: str) -> None:
        cmd = [str(self.bin / tool), *args]
        if self.user:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        opts = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", opts, "-l", str(self.root / "log"),
                  "-w", "start")  # fmt: skip

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def create_database(self, name: str) -> str:
        import sqlalchemy as sa

        engine = sa.create_engine(self.url(), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return self.url(name)

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


@contextmanager
def scratch_postgres() -> Iterator[ScratchPostgres]:
    """A started scratch cluster, removed afterwards."""
    pg = ScratchPostgres()
    try:
        pg.start()
        yield pg
    finally:
        pg.destroy()


class Gunicorn:
    """`gunicorn wsgi:app` on a free port with the given environment."""

    def __init__(self, env: dict[str, str], *, workers: int = 1, timeout: int = 60) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - kept open while it runs
            "w+", prefix="huanlian-gunicorn-", suffix=".log", delete=False
        )
        cmd = [str(Path(sys.executable).with_name("gunicorn")), "wsgi:app"]
        cmd += ["--workers", str(workers), "--bind", f"127.0.0.1:{self.port}"]
        cmd += ["--timeout", str(timeout), "--graceful-timeout", "5"]
        full_env = {**os.environ, "SECRET_KEY": "robustness-test", "BROKER_URL": "", **env}
        full_env["FLASK_SCHEDULER_IN_PROCESS"] = "0"
        self.workers = workers
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, env=full_env, stdout=self.log, stderr=subprocess.STDOUT
        )
        self.wait_ready()

    def worker_pids(self) -> list[int]:
        """The master's children: the workers serving requests now."""
        try:
            with open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children") as f:
                return [int(p) for p in f.read().split()]
        except OSError:
            return []

    def wait_ready(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.output()}")
            try:
                ok = requests.get(self.base + "/healthz", timeout=5).status_code == 200
                if ok and len(self.worker_pids()) == self.workers:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer in {seconds} s: {self.output()}")

    def output(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text()[-4000:]

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)


@contextmanager
def gunicorn(env: dict[str, str], **kwargs: int) -> Iterator[Gunicorn]:
    server = Gunicorn(env, **kwargs)
    try:
        yield server
    finally:
        server.stop()
