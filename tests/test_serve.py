"""Starting and stopping vLLM: the command line we build, the pid file, an orphan of an earlier
run, and SIGTERM to `serve-llm` and `up` — with ``fake_vllm.py`` standing in for `vllm serve`
(the real start and stop is the integration suite's session fixture)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import SHARED, free_port
from fake_openai import FakeOpenAI

from tutorbot.llm import server as serve
from tutorbot.llm.client import OpenAICompatClient
from tutorbot.settings import PROJECT_ROOT, Settings

TESTS = Path(__file__).parent


def test_cpu_command_is_vllm_serve_on_loopback_with_prefix_caching(tmp_path):
    s = Settings(_env_file=None, data_dir=tmp_path)
    cmd = serve.build_command(s, "/m")
    assert cmd[1:3] == [str(PROJECT_ROOT / "scripts" / "vllm_serve.py"), "/m"]  # `vllm serve /m ...`
    for flag, value in [("--host", "127.0.0.1"), ("--max-model-len", "4096"),
                        ("--served-model-name", "smollm2-135m-instruct")]:
        assert cmd[cmd.index(flag) + 1] == value
    assert "--enable-prefix-caching" in cmd and "--tensor-parallel-size" not in cmd
    assert serve.build_env(s)["VLLM_CPU_KVCACHE_SPACE"] == "1"


def test_the_cpu_dtype_is_bfloat16_only_where_the_cpu_computes_it(tmp_path):
    flags = tmp_path / "cpuinfo"
    flags.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2 fma\n")
    assert serve.cpu_dtype(flags) == "float32"  # AVX2 only: bfloat16 is emulated, ~7x slower
    flags.write_text("flags\t\t: fpu avx2 avx512f avx512_bf16 amx_bf16\n")
    assert serve.cpu_dtype(flags) == "bfloat16"
    assert serve.cpu_dtype(tmp_path / "absent") == "bfloat16"


def test_gpu_profile_passes_gpu_flags_and_keeps_the_key_out_of_argv(tmp_path):
    s = Settings(_env_file=None, data_dir=tmp_path, llm={"api_key": "k3y"},
                 serve={"device": "gpu", "tensor_parallel_size": 2, "gpu_memory_utilization": 0.8,
                        "extra_args": "--max-num-seqs 64"})
    cmd = serve.build_command(s, "Qwen/Qwen2.5-7B-Instruct")
    assert cmd[cmd.index("--tensor-parallel-size") + 1] == "2"
    assert cmd[cmd.index("--gpu-memory-utilization") + 1] == "0.8"
    assert cmd[-2:] == ["--max-num-seqs", "64"] and "k3y" not in " ".join(cmd)
    assert serve.build_env(s)["VLLM_API_KEY"] == "k3y"


def test_missing_llm_venv_names_the_fix(tmp_path):
    s = Settings(_env_file=None, data_dir=tmp_path, serve={"python": tmp_path / "nope" / "python"})
    with pytest.raises(serve.ServeError, match="make llm-env"):
        serve.ensure_model(s)


@pytest.mark.integration
def test_the_launcher_is_vllm_serve_of_the_pinned_vllm_cpu():
    python = Settings(_env_file=None).serve.python
    if not python.exists():
        pytest.skip("LLM venv missing: run `make llm-env`")
    out = subprocess.run([str(python), str(PROJECT_ROOT / "scripts" / "vllm_serve.py"), "--help"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and "usage: vllm serve [model_tag]" in out.stdout, out.stderr[-2000:]


_PARSE = r"""
import json, sys
sys.path.insert(0, sys.argv[2])
import importlib.metadata as metadata
import vllm_serve
metadata.version = vllm_serve._vllm_version
try:
    from vllm.utils.argparse_utils import FlexibleArgumentParser
except ImportError:
    from vllm.utils import FlexibleArgumentParser
from vllm.entrypoints.cli.serve import ServeSubcommand
parser = FlexibleArgumentParser()
ServeSubcommand().subparser_init(parser.add_subparsers(dest="subparser"))
for args in json.loads(sys.argv[1]):
    ns = parser.parse_args(["serve", *args])
    print(json.dumps({k: getattr(ns, k) for k in ("model_tag", "served_model_name", "port", "enable_prefix_caching")}))
"""


@pytest.mark.integration
def test_vllm_serve_accepts_the_commands_we_build(tmp_path):
    python = Settings(_env_file=None).serve.python
    if not python.exists():
        pytest.skip("LLM venv missing: run `make llm-env`")
    cpu = Settings(_env_file=None, data_dir=tmp_path)
    gpu = Settings(_env_file=None, data_dir=tmp_path, serve={"device": "gpu", "extra_args": "--max-num-seqs 64"})
    launches = [serve.build_command(s, "/m")[2:] for s in (cpu, gpu)]  # what follows `vllm serve`
    out = subprocess.run([str(python), "-c", _PARSE, json.dumps(launches), str(PROJECT_ROOT / "scripts")],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    parsed = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert parsed == [{"model_tag": "/m", "served_model_name": ["smollm2-135m-instruct"], "port": 8011,
                       "enable_prefix_caching": True}] * 2


# -- a fake vLLM ----------------------------------------------------------------------------------
@pytest.fixture
def fake(tmp_path) -> dict[str, str]:
    """Environment for a tutorbot whose LLM venv runs fake_vllm.py; the model is a name, not converted."""
    python = tmp_path / "llm" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{TESTS / "fake_vllm.py"}" "$@"\n')
    python.chmod(0o755)
    port = free_port()
    return {"TUTORBOT_DATA_DIR": str(tmp_path / "data"), "TUTORBOT_SERVE_PYTHON": str(python),
            "TUTORBOT_SERVE_PORT": str(port), "TUTORBOT_SERVE_MODEL_PATH": "fake/model",
            "TUTORBOT_LLM_BASE_URL": f"http://127.0.0.1:{port}/v1", "TUTORBOT_EMBEDDING_BACKEND": "hash",
            "TUTORBOT_UI_PORT": str(free_port()), "FAKE_VLLM_EVENTS": str(tmp_path / "events"),
            "FAKE_VLLM_LOAD_S": "1", "TUTORBOT_LINKS_MIRROR": str(SHARED / "linked")}  # never a real host


def settings_of(env: dict[str, str]) -> Settings:
    port = int(env["TUTORBOT_SERVE_PORT"])
    return Settings(_env_file=None, data_dir=env["TUTORBOT_DATA_DIR"], llm={"base_url": env["TUTORBOT_LLM_BASE_URL"]},
                    serve={"python": env["TUTORBOT_SERVE_PYTHON"], "port": port, "model_path": "fake/model"})


def gone(pid: int, within_s: float = 10) -> bool:
    """The process has exited (a zombie child of this test counts as exited)."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if not serve._alive(pid):
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def started(fake, monkeypatch):
    """A fake vLLM started by serve.start in this process, answering; stopped afterwards."""
    monkeypatch.setenv("FAKE_VLLM_EVENTS", fake["FAKE_VLLM_EVENTS"])
    s = settings_of(fake)
    client = OpenAICompatClient(s.llm)
    own = serve.start(s, client, log=lambda line: None)
    lines: list[str] = []
    serve.wait_ready(client, own, 30, s.paths.vllm_log, say=lines.append, every_s=0.3)
    yield s, client, own, lines
    own.stop(grace_s=5)


def test_start_notes_the_pid_and_reports_progress_while_loading(started):
    s, _, own, lines = started
    assert serve._read_pid_file(s.paths.vllm_pid)["pid"] == own.pid
    assert any(line.startswith("vLLM loading… ") and "loading weights of fake/model" in line for line in lines)


def test_stop_ends_the_whole_process_group_and_removes_the_pid_file(started):
    s, _, own, _ = started
    engine = int(Path(os.environ["FAKE_VLLM_EVENTS"]).read_text().split()[1])
    own.stop(grace_s=5)
    assert gone(own.pid) and gone(engine) and not s.paths.vllm_pid.exists()


def test_an_orphan_of_an_earlier_run_is_taken_over_not_started_twice(started):
    s, client, own, _ = started
    dead_owner = subprocess.Popen(["true"])
    dead_owner.wait()
    serve._write_pid_file(s.paths.vllm_pid, own.pid)
    record = serve._read_pid_file(s.paths.vllm_pid) | {"owner": dead_owner.pid}
    s.paths.vllm_pid.write_text(json.dumps(record))
    said: list[str] = []
    again = serve.start(s, client, log=said.append)
    assert again is not None and again.pid == own.pid and again.proc is None
    assert any("from an earlier run" in line for line in said)
    again.stop(grace_s=5)
    assert gone(own.pid) and not s.paths.vllm_pid.exists()


def test_a_server_another_running_tutorbot_owns_is_used_and_left_alone(started):
    s, client, own, _ = started
    other = subprocess.Popen(["sleep", "30"])
    try:
        record = serve._read_pid_file(s.paths.vllm_pid) | {"owner": other.pid}
        s.paths.vllm_pid.write_text(json.dumps(record))
        assert serve.start(s, client, log=lambda line: None) is None
        assert own.alive()
    finally:
        other.kill()


def test_a_stale_pid_file_is_removed_and_a_fresh_server_started(fake, monkeypatch):
    s = settings_of(fake)
    s.paths.vllm_pid.parent.mkdir(parents=True)
    dead = subprocess.Popen(["true"])
    dead.wait()
    s.paths.vllm_pid.write_text(str(dead.pid))  # the plain pid older versions wrote
    said: list[str] = []
    own = serve.start(s, OpenAICompatClient(s.llm), log=said.append)
    try:
        assert own.proc is not None and any("stale" in line for line in said)
    finally:
        own.stop(grace_s=5)


def test_a_port_held_by_another_program_names_the_setting(fake):
    s = settings_of(fake)
    with FakeOpenAI(models=("someone-elses",), port=s.serve.port):
        assert serve.start(s, OpenAICompatClient(s.llm), log=lambda line: None) is None  # answers: used
    holder = socket.socket()
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    holder.bind(("127.0.0.1", s.serve.port))
    holder.listen()
    try:
        with pytest.raises(serve.ServeError, match="TUTORBOT_SERVE_PORT"):
            serve.start(s, OpenAICompatClient(s.llm.model_copy(update={"connect_timeout_s": 0.5})),
                        log=lambda line: None)
    finally:
        holder.close()


# -- SIGTERM to the CLI ---------------------------------------------------------------------------
def run_cli(env: dict[str, str], *args: str) -> tuple[subprocess.Popen, list[str]]:
    """The CLI as a process; its output lines are collected as they come."""
    proc = subprocess.Popen([sys.executable, "-c", "from tutorbot.cli import main; main()", *args],
                            env={**os.environ, **env, "PYTHONPATH": str(PROJECT_ROOT / "src")},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True).start()
    return proc, lines


def wait_for_line(lines: list[str], needle: str, within_s: float) -> None:
    deadline = time.monotonic() + within_s
    while not any(needle in line for line in lines):
        assert time.monotonic() < deadline, f"no {needle!r} in:\n{''.join(lines)}"
        time.sleep(0.1)


@pytest.mark.parametrize("command,ready", [("serve-llm", "vLLM ready at"), ("up", "vLLM ready after")])
def test_sigterm_stops_what_the_command_started_in_order(fake, command, ready):
    proc, lines = run_cli(fake, command)
    try:
        wait_for_line(lines, ready, within_s=120)
        if command == "up":
            wait_for_line(lines, "UI on http://", within_s=120)  # printed once the UI serves
            # the background job starts just after: a signal before it has nothing of it to stop
            wait_for_line(lines, "linked pages: fetching and indexing", within_s=60)
        pid = serve._read_pid_file(settings_of(fake).paths.vllm_pid)["pid"]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0, "".join(lines)
    finally:
        proc.kill()
    out = "".join(lines)
    assert gone(pid) and not settings_of(fake).paths.vllm_pid.exists(), out
    # the UI first, then background work (the linked pages), vLLM last
    order = ["UI stopped", "background indexing "] if command == "up" else []
    order += [f"stopping vLLM (pid {pid})", "vLLM stopped"]
    assert [line for line in order if line in out] == order, out
    assert [out.index(line) for line in order] == sorted(out.index(line) for line in order), out
