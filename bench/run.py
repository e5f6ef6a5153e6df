"""`make bench`: tutorbot's reference benchmarks, side by side with the raw components they wrap.

Runs the sections in order (or one with ``--only NAME``), prints each table as it finishes and
writes ``bench/RESULTS.md`` with the machine, the date and the load average at start and end.
Figures are references for comparison, never pass/fail assertions. A section that fails is
reported as failed and the run goes on. The vLLM server is private (free port, temp dir) and
is stopped on exit, whatever happens.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

import chat_bench
import ingest_bench
import latency
import linked_bench
import memory_bench
import quality
import queue_load
import security_bench
import structured_bench
from common import Counts, Section, load_average, machine_lines
from context import BenchContext

Runner = Callable[[BenchContext, Counts], Section]
SECTIONS: dict[str, tuple[Runner, bool]] = {  # name → (runner, needs the LLM server)
    "quality": (quality.run, False),
    "latency": (latency.run, False),
    "ingest": (ingest_bench.run, False),
    "chat": (chat_bench.run_ttft, True),
    "throughput": (chat_bench.run_throughput, True),
    "structured": (structured_bench.run, True),
    "memory": (memory_bench.run, True),
    "queue": (queue_load.run, True),
    "security": (security_bench.run, False),
    "linked": (linked_bench.run, False),
}
# Only quality runs while vLLM warms up: its start-up compile would skew every timing.
WARMUP_SAFE = {"quality"}
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", choices=list(SECTIONS), action="append", help="run only this section (repeatable)")
    p.add_argument("--quick", action="store_true", help="smaller counts: a smoke run in a few minutes")
    p.add_argument("--fresh", action="store_true", help="rebuild the full index in the temp dir, not the cache")
    p.add_argument("--output", type=Path, help="markdown file to write (default: bench/RESULTS.md for a "
                                               "full run, none for --only/--quick)")
    return p.parse_args(argv)


def run_section(name: str, ctx: BenchContext, counts: Counts) -> Section:
    runner, _ = SECTIONS[name]
    start = time.perf_counter()
    try:
        if name not in WARMUP_SAFE and ctx.llm_started:
            ctx.llm_ready()
        section = runner(ctx, counts)
    except Exception as exc:  # one broken section must not hide the others' figures
        traceback.print_exc()
        section = Section(name=name, title=name, error=f"{type(exc).__name__}: {exc}")
    section.seconds = time.perf_counter() - start
    return section


def report(sections: list[Section], ctx: BenchContext, head: list[str], args: argparse.Namespace) -> str:
    setup = [f"- {line}" for line in head]
    setup += [f"- Index `{k}`: {r.summary()}" for k, r in ctx.ingest_reports.items()]
    if ctx.ready_after_s is not None:
        setup.append(f"- vLLM (bundled SmolLM2-135M, CPU) answered {ctx.ready_after_s:.0f} s after start; "
                     "sections other than quality waited for it, so its start-up does not skew their timings")
    mode = "quick" if args.quick else "full"
    body = "\n\n".join(s.markdown() for s in sections)
    return (f"# tutorbot benchmark results\n\nReference figures from `bench/run.py` ({mode} run; see "
            f"`bench/README.md` for what each number means). Not assertions: compare ratios measured in the "
            f"same run; absolute times depend on the machine and its load.\n\n## Machine and run\n\n"
            + "\n".join(setup) + "\n\n" + body + "\n")


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    # `timeout`/CI send SIGTERM: turn it into SystemExit so the finally below stops vLLM.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    names = args.only or list(SECTIONS)
    counts = Counts.quick() if args.quick else Counts()
    ctx = BenchContext(fresh=args.fresh, log=lambda m: print(f"[bench] {m}", flush=True))
    start, load_start = time.perf_counter(), load_average()
    sections = []
    try:
        if any(SECTIONS[n][1] for n in names):
            ctx.start_llm()  # warms up while the index sections run
        for name in names:
            print(f"[bench] {name}…", flush=True)
            sections.append(run_section(name, ctx, counts))
            print(sections[-1].markdown() + "\n", flush=True)
    finally:
        ctx.close()
    head = machine_lines(ctx.llm_python) + [f"Load average at start: {load_start}",
                                            f"Load average at end: {load_average()}",
                                            f"Total time: {time.perf_counter() - start:.0f} s"]
    text = report(sections, ctx, head, args)
    output = args.output or (RESULTS if not (args.only or args.quick) else None)
    if output:
        output.write_text(text, encoding="utf-8")
        print(f"[bench] wrote {output}")
    return 1 if any(s.error for s in sections) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
