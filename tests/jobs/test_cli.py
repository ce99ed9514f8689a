"""`firebreak worker` as an operator runs it: refuses an unmigrated database, stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ROOT

FIREBREAK = str(Path(sys.executable).with_name("firebreak"))


def _env(tmp_path: Path) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("FIREBREAK_") and k not in ("DATABASE_URL", "REDIS_URL")
    }
    env["DATABASE_URL"] = f"sqlite://{tmp_path / 'worker.sqlite3'}"
    return env


def test_the_worker_refuses_a_database_with_pending_migrations(tmp_path: Path) -> None:
    result = subprocess.run(
        [FIREBREAK, "worker"], env=_env(tmp_path), capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert result.returncode == 1
    last = result.stderr.splitlines()[-1]
    assert last.startswith("error: the database has") and "firebreak migrate" in last


def test_the_worker_runs_until_sigterm_then_stops_cleanly(tmp_path: Path) -> None:
    env = _env(tmp_path)
    assert subprocess.run([FIREBREAK, "migrate"], env=env, capture_output=True, timeout=60, cwd=ROOT).returncode == 0
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [FIREBREAK, "worker", "--concurrency", "3"], env=env, stdout=out, stderr=out, cwd=ROOT
        )
        try:
            deadline = time.monotonic() + 60
            while b"worker running (concurrency 3)" not in log.read_bytes():
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.05)
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=60) == 0, log.read_text()
        finally:
            if process.poll() is None:
                process.kill()
    assert b"worker stopping" in log.read_bytes()
