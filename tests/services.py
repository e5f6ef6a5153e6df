"""Throw-away servers of the scale-out profile for tests: a PostgreSQL cluster and a Chroma server.

Both listen on loopback only (PostgreSQL on a unix socket in its temp dir) and are removed at the
end. Where one cannot be started the test is skipped with the reason, except under `make test`
(``TEST_REQUIRE_SERVICES=1``), which installs both and so fails instead: there a skip would hide
that the scale-out path went untested.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

REQUIRED = os.environ.get("TEST_REQUIRE_SERVICES") == "1"


def unavailable(reason: str) -> None:
    """Skip, or fail where `make test` promised the service (it installed it)."""
    if REQUIRED:
        pytest.fail(f"{reason} (`make test` installs PostgreSQL with scripts/install-postgres.sh, and "
                    "chromadb's `chroma` comes with the app venv)")
    pytest.skip(reason)


def pg_bin() -> Path | None:
    for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.access(f"{d}/initdb", os.X_OK) and os.access(f"{d}/pg_ctl", os.X_OK):
            return Path(d)
    found = shutil.which("initdb")
    return Path(found).parent if found and shutil.which("pg_ctl") else None


def _as_pg_user(cmd: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; in root containers run it as the postgres account
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@contextmanager
def pg_cluster() -> Iterator[str]:
    """Base URL (``{db}`` for the database name) of a temp PostgreSQL listening only on a unix socket."""
    bindir = pg_bin()
    if bindir is None:
        unavailable("PostgreSQL server binaries (initdb/pg_ctl) not found")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        unavailable("running as root without runuser; cannot start PostgreSQL")
    root = Path(tempfile.mkdtemp(prefix="tbpg-"))
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(_as_pg_user(list(args)), capture_output=True, text=True, timeout=60)
    try:
        _start(run, bindir, data, root)
        yield f"postgresql+psycopg://postgres@/{{db}}?host={root}"
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)


def _start(run, bindir: Path, data: Path, root: Path) -> None:
    init = run(str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
               "--locale=C", "--no-sync")
    if init.returncode != 0:
        unavailable(f"initdb failed: {init.stderr[-300:]}")
    opts = f"-k {root} -c listen_addresses='' -F"
    start = run(str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(root / "log"), "-w", "start")
    if start.returncode != 0:
        unavailable(f"pg_ctl start failed: {start.stderr[-300:]}")


def fresh_pg_database(base: str) -> str:
    import psycopg

    name = "t" + uuid.uuid4().hex[:12]
    host = base.split("host=")[1]
    with psycopg.connect(dbname="postgres", user="postgres", host=host, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")  # name is generated hex, not input
    return base.format(db=name)


def chroma_cli() -> Path:
    """chromadb's own server command, from the venv running the tests (the app venv)."""
    return Path(sys.executable).parent / "chroma"


@contextmanager
def chroma_server(port: int, log: Path) -> Iterator[str]:
    """`chroma run` on 127.0.0.1:port with a temp persist dir; yields its base URL."""
    if not chroma_cli().exists():
        unavailable(f"{chroma_cli()} not found (chromadb's server command)")
    path = Path(tempfile.mkdtemp(prefix="tbchroma-"))
    with log.open("wb") as out:
        proc = subprocess.Popen([str(chroma_cli()), "run", "--path", str(path), "--host", "127.0.0.1",
                                 "--port", str(port)], stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/api/v2/heartbeat", proc, log, 60)
        yield url
    finally:
        proc.terminate()
        proc.wait(30)
        shutil.rmtree(path, ignore_errors=True)


def wait_http(url: str, proc: subprocess.Popen, log: Path, timeout_s: float, ok: tuple[int, ...] = (200,)) -> int:
    """Poll ``url`` until it answers one of ``ok`` (the status is returned); fail if ``proc`` exits first."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{proc.args[0]} exited with {proc.returncode}: {log.read_text(errors='replace')[-2000:]}")
        try:
            status = httpx.get(url, timeout=5).status_code
            if status in ok:
                return status
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    pytest.fail(f"{url} did not answer within {timeout_s:.0f} s: {log.read_text(errors='replace')[-2000:]}")
