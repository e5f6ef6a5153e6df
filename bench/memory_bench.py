"""Benchmark 7 — peak resident memory of the app process while serving concurrent chats.

Measured in a child process that holds only what the app holds (one Container over a copy of the
full index, its e5 engine, BM25, catalog, LLM client) — the benchmark process itself carries two
indexes and test state, so its own RSS would overstate the app. The LLM server is a separate
process and is not counted. The child prints one JSON line; run as a script only by ``run``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from common import Counts, RssSampler, Section, Table, proc_status_kib
from context import BenchContext
from pydantic import BaseModel

CHATS = 16


class MemoryReport(BaseModel):
    rss_ready_mib: float
    rss_peak_mib: float
    vm_hwm_mib: float
    chats: int
    tokens: int
    wall_s: float


def run(ctx: BenchContext, counts: Counts) -> Section:
    ctx.llm_ready()
    data = ctx.root / "memory-data"
    shutil.copytree(ctx.full.settings.data_dir, data)
    cmd = [sys.executable, str(Path(__file__).resolve()), str(data), ctx.llm_url, str(counts.throughput_tokens)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"memory child failed: {done.stderr[-1500:]}")
    r = MemoryReport.model_validate_json(done.stdout.strip().splitlines()[-1])
    t = Table(title=f"App process RSS (child process, {r.chats} concurrent chats, max_tokens "
                    f"{counts.throughput_tokens})", columns=["measure", "MiB"])
    t.add("RSS when ready (index, e5, BM25 loaded, one chat served)", r.rss_ready_mib)
    t.add(f"peak RSS sampled during {r.chats} concurrent chats", r.rss_peak_mib)
    t.add("VmHWM (peak over the child's whole life)", r.vm_hwm_mib)
    return Section(name="memory", title="7. Peak memory of the app process", tables=[t], notes=[
        (f"The burst streamed {r.tokens} tokens in {r.wall_s:.1f} s; growth during it: "
         f"{r.rss_peak_mib - r.rss_ready_mib:.0f} MiB. The vLLM server's memory is not included.")])


def child(data_dir: Path, llm_url: str, max_tokens: int) -> MemoryReport:
    from context import DEV_QA
    from streams import concurrently, via_tutorbot

    from tutorbot.chat.evaluate import load_qa
    from tutorbot.container import Container
    from tutorbot.settings import Settings

    s = Settings(data_dir=data_dir, _env_file=None,
                 llm={"base_url": llm_url, "max_tokens": max_tokens, "temperature": 0.0})
    chat = Container(s).chat
    questions = [q.question for q in load_qa(DEV_QA)]
    via_tutorbot(chat, questions[0])
    ready = proc_status_kib("VmRSS") / 1024
    with RssSampler() as sampler:
        timings, wall = concurrently([lambda q=q: via_tutorbot(chat, q) for q in questions[:CHATS]])
    return MemoryReport(rss_ready_mib=ready, rss_peak_mib=sampler.peak_mib, vm_hwm_mib=proc_status_kib("VmHWM") / 1024,
                        chats=len(timings), tokens=sum(t.deltas for t in timings), wall_s=wall)


if __name__ == "__main__":
    print(child(Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])).model_dump_json())
