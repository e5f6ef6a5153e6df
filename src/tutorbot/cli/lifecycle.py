"""Lifecycle of the long-running commands, `serve-llm` and `up`: vLLM watched while it loads,
SIGTERM taken as Ctrl-C, and the shut-down in order (UI, background work, then vLLM)."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import typer

from tutorbot.cli.core import fail


def wait_for_exit(own, s) -> None:
    """Block while the vLLM we started runs: Ctrl-C or SIGTERM ends the wait; vLLM exiting on its own fails."""
    while own.alive():
        time.sleep(0.5)
    fail(f"vLLM exited on its own; see {s.paths.vllm_log}")


@contextmanager
def stop_signals() -> Iterator[None]:
    """SIGTERM (systemd, docker, `kill`) stops like Ctrl-C, so the clean-up in `finally` runs."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def shut_down(own, watch: threading.Event | None = None, watchers: tuple[threading.Thread | None, ...] = (),
              ui=None, job=None) -> None:
    """The UI first, then background work, then vLLM; a second signal cannot cut this short (it is
    bounded: the indexer stops at its next batch, vLLM gets SIGTERM, then SIGKILL after its grace time)."""
    old = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        if ui is not None:
            ui.close()
            typer.echo("UI stopped")
        if job is not None:
            running = job.progress().state == "running"
            job.stop()
            typer.echo(f"background indexing {'stopped' if running else 'had ended'}: {job.progress().line()}")
        if watch is not None:
            watch.set()
            for watcher in (w for w in watchers if w is not None):
                watcher.join(10)
        if own is not None:
            typer.echo(f"stopping vLLM (pid {own.pid})…")
            own.stop()
            typer.echo("vLLM stopped")
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)


def watch_start(llm, own, s, watch: threading.Event) -> threading.Thread:
    """Progress lines while vLLM loads, then one line when it answers (or why it never will)."""
    from tutorbot.llm import server as serve
    from tutorbot.llm.client import LLMError

    def run() -> None:
        try:
            took = serve.wait_ready(llm, own, s.serve.startup_timeout_s, s.paths.vllm_log, typer.echo, stop=watch)
        except (serve.ServeError, LLMError) as exc:
            return typer.echo(f"error: {exc}", err=True)
        if not watch.is_set():
            typer.echo(f"vLLM ready after {took:.0f} s; {s.llm.max_concurrency} answers at once"
                       + ("" if capacity_measured(s) else " (measure with `tutorbot doctor --capacity`)"))

    thread = threading.Thread(target=run, daemon=True, name="vllm-watch")
    thread.start()
    return thread


def capacity_measured(s) -> bool:
    from tutorbot.llm import capacity

    return capacity.load(s) is not None
