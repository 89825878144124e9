"""A real box for end-to-end tests: `python -m appliance run` started as datasette's tests start
their server (its own process group, polled until it answers, failing fast with its log), and
stopped with SIGTERM, then SIGKILL of its group if it does not go."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent


class RunningBox:
    """`python -m appliance run` (web, worker, relay) in its own process group, on ``data`` and ``port``."""

    def __init__(self, data: Path, port: int, log: Path, env: dict[str, str] | None = None):
        self.data, self.port, self.log_path = data, port, log
        self.base = f"http://127.0.0.1:{port}"
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "HISAB_POLL_SECONDS": "0.3", "HISAB_USE_LLM": "false",
               **(env or {})}
        self.log = open(log, "a")
        self.proc = subprocess.Popen([sys.executable, "-m", "appliance", "run", "--data-dir", str(data),
                                      "--port", str(port)], cwd=ROOT, env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)  # its own process group

    def tail(self) -> str:
        return self.log_path.read_text()[-4000:]

    def health(self, token: str | None = None) -> dict | None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            answer = requests.get(f"{self.base}/api/v1/health", headers=headers, timeout=5)
        except requests.ConnectionError:
            return None
        return answer.json() if answer.status_code in (200, 503) else None

    def wait(self, predicate, timeout: float, what: str):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"the box exited with {self.proc.returncode} while waiting for {what}:\n{self.tail()}")
            value = predicate()
            if value:
                return value
            time.sleep(0.3)
        pytest.fail(f"timed out after {timeout}s waiting for {what}; last health {self.health()}\n{self.tail()}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()
