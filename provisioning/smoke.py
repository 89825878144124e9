"""Checks that a provisioned or updated box works: its health endpoint, and one invoice.

``check_health`` polls ``/api/v1/health`` until it answers 200 with ``ok`` (every loop's
heartbeat fresh) and, when asked, the expected version — so an old process still
serving, or a wedged worker, fails the check. ``check_extract`` runs the *installed*
release's `hisab extract` on a bundled invoice whose answers are known.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.error
import urllib.request
from importlib.resources import files
from pathlib import Path

from provisioning.target import CONFIG, CURRENT, DATA, Target

INVOICE = "smoke-invoice.png"


def health_url(base: str) -> str:
    base = base.rstrip("/")
    return base if base.endswith("/api/v1/health") else base + "/api/v1/health"


def check_health(url: str, timeout_s: float = 60.0, expect_version: str | None = None) -> tuple[bool, str]:
    """(healthy, one line saying why) — polls until healthy or ``timeout_s`` has passed."""
    url = health_url(url)
    deadline = time.monotonic() + timeout_s
    why = "no answer yet"
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                body = json.loads(response.read())
            version = body.get("version")
            if not body.get("ok", False):
                why = f"{url} says {body.get('status', 'not ok')}"
            elif expect_version and version != expect_version:
                why = f"{url} runs version {version}, expected {expect_version}"
            else:
                return True, f"{url} ok (version {version})"
        except urllib.error.HTTPError as exc:
            why = f"{url} answered HTTP {exc.code}"
            try:
                states = {k: v.get("state") for k, v in json.loads(exc.read()).get("processes", {}).items()}
                why += f" {states}"
            except (ValueError, AttributeError, OSError):
                pass
        except (urllib.error.URLError, OSError, ValueError) as exc:
            why = f"{url} unreachable ({getattr(exc, 'reason', exc)})"
        if time.monotonic() >= deadline:
            return False, why
        time.sleep(2)


def release_environment(target: Target) -> dict[str, str]:
    """Environment to run the installed release's `hisab` with, wherever its root is mounted."""
    current = target.path(CURRENT)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HISAB_")}
    env.update({"PYTHONPATH": str(current), "HISAB_CONFIG": str(target.path(CONFIG)),
                "HISAB_DATA_DIR": str(target.path(DATA)), "PYTHONDONTWRITEBYTECODE": "1"})
    model = _model_file(current)
    if model is not None:
        env["HISAB_MODEL_PATH"] = str(model)
    return env


def _model_file(current: Path) -> Path | None:
    found = sorted((current / "model").glob("*.gguf")) if (current / "model").is_dir() else []
    return found[0] if found else None


def run_hisab(target: Target, *args: str, timeout_s: float = 600) -> subprocess.CompletedProcess:
    python = target.path(CURRENT) / ".venv" / "bin" / "python"
    return subprocess.run([str(python), "-m", "appliance", *args], env=release_environment(target),
                          capture_output=True, text=True, timeout=timeout_s)


def check_extract(target: Target, use_llm: bool = True) -> tuple[bool, str]:
    invoice = Path(str(files("provisioning") / "assets" / INVOICE))
    expected = json.loads((invoice.with_suffix(".json")).read_text())
    args = ["extract", str(invoice), "--json"] + ([] if use_llm else ["--no-llm"])
    started = time.monotonic()
    try:
        done = run_hisab(target, *args)
    except subprocess.TimeoutExpired:
        return False, "hisab extract took over 10 minutes on the test invoice"
    seconds = time.monotonic() - started
    if done.returncode != 0:
        return False, f"hisab extract failed (exit {done.returncode}): {done.stderr.strip()[-300:]}"
    try:
        result = json.loads(done.stdout.splitlines()[-1])
    except (ValueError, IndexError):
        return False, "hisab extract printed no JSON"
    wrong = [key for key, value in expected.items() if result.get(key) != value]
    if wrong:
        return False, f"test invoice read wrong: {', '.join(f'{k}={result.get(k)!r}' for k in wrong)}"
    return True, f"test invoice read right in {seconds:.0f} s ({', '.join(f'{k} {v}' for k, v in expected.items())})"
