"""Benchmark 9 — the linked pages fetched and indexed in the background of `tutorbot up`.

1. Time to chat: `tutorbot up` as a process over a copy of the roadmaps' index, from its start until
   the UI answers HTTP, with the background job off and on (alternating). The job starts after the UI,
   so the two should match.
2. The job itself, in-process, through the container (what `up` runs) on the offline mirror, over a
   fresh copy of the roadmaps' index: seconds until every page with text is indexed, passages embedded.
   Meanwhile a learner's retrieval (``retriever.retrieve``, dev questions in rotation) every ~0.5 s:
   p50/p95 against the same questions just before the job started, in the same process.
3. A second run over the same data dir (the next `up`): passages embedded, target zero.
4. Embedding throughput, same chunk texts each way, alternating: the plain embedder (batches of 32,
   one OpenMP team over every core) vs the background embedder (one single-threaded worker per core,
   batches of 4), at normal and at low priority (the job's setting).
5. README markup tidied before chunking: tokens and chunks of the mirror's pages with and without.
"""

from __future__ import annotations

import importlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from common import Counts, Section, Table, median, ms, pct, ratio
from context import DEV_QA, MIRROR, BenchContext, free_port

from tutorbot.chat.evaluate import load_qa
from tutorbot.container import Container
from tutorbot.ingest.chunking import chunk_document
from tutorbot.ingest.links import Mirror, site_of
from tutorbot.ingest.polite import PoliteEmbedder
from tutorbot.retrieval.live import Foreground
from tutorbot.schemas import Document
from tutorbot.settings import PROJECT_ROOT

P95_TARGET_MS = 200.0
QUICK_PAGES = 8  # --quick indexes this many mirror pages instead of all of them


def run(ctx: BenchContext, counts: Counts) -> Section:
    quick = counts.latency_queries < Counts().latency_queries
    mirror = subset_mirror(ctx.root / "mirror-subset", QUICK_PAGES) if quick else MIRROR
    roadmaps = ctx.roadmaps.settings.data_dir
    chat = time_to_chat(ctx, roadmaps, mirror, tries=1 if quick else 3)
    job, latency, second = background_job(ctx, roadmaps, mirror)
    texts = sample_texts(32 if quick else 96)
    throughput = embedding_throughput(ctx, texts, rounds=1 if quick else 2)
    tidy = tidy_effect(ctx)
    tables = [chat, job_table(job, second), latency_table(latency), throughput, tidy]
    return Section(name="linked", title="9. Linked pages in the background of `up`", tables=tables,
                   notes=notes(chat, job, second, latency, quick))


# -- 1. time to chat ------------------------------------------------------------------------------
def time_to_chat(ctx: BenchContext, roadmaps: Path, mirror: Path, tries: int) -> Table:
    t = Table(title="Time until the UI answers, `tutorbot up` over an index of the roadmaps",
              columns=["background job", "tries", "median s", "max s"])
    times: dict[str, list[float]] = {"off": [], "on": []}
    for i in range(tries):
        for mode in ("off", "on") if i % 2 == 0 else ("on", "off"):
            times[mode].append(up_until_ui(ctx, roadmaps, mirror, mode == "on"))
    for mode, got in times.items():
        t.add(mode, len(got), median(got), max(got))
    return t


def up_until_ui(ctx: BenchContext, roadmaps: Path, mirror: Path, background: bool) -> float:
    data = ctx.root / f"up-{time.monotonic_ns()}"
    shutil.copytree(roadmaps, data)
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT / "src"), "TUTORBOT_DATA_DIR": str(data),
           "TUTORBOT_LLM_BASE_URL": ctx.llm_url, "TUTORBOT_UI_PORT": str(port),
           "TUTORBOT_LINKS_MIRROR": str(mirror), "TUTORBOT_LINKS_BACKGROUND": str(background).lower()}
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", "from tutorbot.cli import main; main()", "up"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        return wait_http(f"http://127.0.0.1:{port}/", proc) - start
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(120)
        shutil.rmtree(data, ignore_errors=True)


def wait_http(url: str, proc: subprocess.Popen, within_s: float = 600) -> float:
    deadline = time.perf_counter() + within_s
    while time.perf_counter() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return time.perf_counter()
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"`tutorbot up` did not serve {url} (exit code {proc.poll()})")


# -- 2./3. the job, and retrieval while it runs ---------------------------------------------------
def background_job(ctx: BenchContext, roadmaps: Path, mirror: Path):
    data = ctx.root / "linked-job"
    shutil.copytree(roadmaps, data)
    s = ctx.settings("linked-job", data_dir=data, links={"mirror": mirror})
    c = Container(s, embedder=ctx.roadmaps.embedder)
    questions = [q.question for q in load_qa(DEV_QA)]
    before = [timed_retrieval(c, q) for q in questions]
    job = c.linked
    ctx.log(f"background job: {job.progress().total} linked pages from {mirror}…")
    job.start()
    during = learner_while(c, questions, job)
    first = job.progress()
    after = [timed_retrieval(c, q) for q in questions]
    c.__dict__.pop("linked")
    second = c.linked.run()  # the next `up`
    return first, {"before": before, "during": during, "after": after}, second


def timed_retrieval(c: Container, question: str) -> float:
    start = time.perf_counter()
    c.retriever.retrieve(question)
    return ms(time.perf_counter() - start)


def learner_while(c: Container, questions: list[str], job) -> list[float]:
    """A question every ~0.5 s until the job ends."""
    times, i = [], 0
    while not job.wait(0.5):
        times.append(timed_retrieval(c, questions[i % len(questions)]))
        i += 1
    return times


def job_table(first, second) -> Table:
    t = Table(title="The background job on the mirror (in-process, the code path of `up`)",
              columns=["run", "pages", "indexed", "unreachable", "passages embedded", "seconds", "passages/s"])
    for name, p in (("first (cold)", first), ("second (the next `up`)", second)):
        t.add(name, p.total, p.indexed, p.unreachable, p.texts_embedded, p.seconds,
              ratio(p.texts_embedded, p.seconds))
    return t


def latency_table(latency: dict[str, list[float]]) -> Table:
    t = Table(title="A learner's retrieval (`retriever.retrieve`, dev questions), same process",
              columns=["when", "queries", "p50 ms", "p95 ms"])
    names = {"before": "before the job (roadmaps only)", "during": "while the job indexes (a question every 0.5 s)",
             "after": "after the job (every page indexed, idle)"}
    for key, name in names.items():
        t.add(name, len(latency[key]), median(latency[key]), pct(latency[key], 95))
    return t


# -- 4. embedding throughput ----------------------------------------------------------------------
def mirror_documents() -> list[Document]:
    extract = importlib.import_module("tutorbot.ingest.links.extract")  # the module, not the function
    mirror = Mirror.load(MIRROR)
    docs = []
    for url, entry in mirror.by_url.items():
        if entry.file:
            got = extract.extract(mirror.page(url), site_of(url))
            docs.append(Document(id=url, title=got.title, text=got.text, kind="linked"))
    return docs


def sample_texts(n: int) -> list[str]:
    from tutorbot.retrieval.embed import approx_tokens

    chunks = [c.embed_text for d in mirror_documents() for c in chunk_document(d, 128, approx_tokens)]
    return random.Random(18).sample(chunks, n)


class NormalPriority(PoliteEmbedder):
    def _worker(self) -> None:
        limit = getattr(self.inner, "limit_threads", None)
        if limit is not None:
            limit(1)


def embedding_throughput(ctx: BenchContext, texts: list[str], rounds: int) -> Table:
    e = ctx.roadmaps.embedder
    ways = {"plain: batches of 32, one OpenMP team": e.embed_passages}
    pools = {"background, normal priority": NormalPriority(e, Foreground(), threading.Event()),
             "background, low priority (the job's)": PoliteEmbedder(e, Foreground(), threading.Event())}
    ways |= {f"{name} ({p.threads} workers × 1 thread, batches of {p.batch})": p.embed_passages
             for name, p in pools.items()}
    got: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(rounds):
        for name, embed in ways.items():
            start = time.perf_counter()
            embed(texts)
            got[name].append(len(texts) / (time.perf_counter() - start))
    for p in pools.values():
        p.close()
    t = Table(title=f"Embedding throughput, {len(texts)} chunk texts of the mirror's pages, {rounds} round(s)",
              columns=["embedder", "texts/s (median)", "vs plain"])
    base = median(next(iter(got.values())))
    for name, rates in got.items():
        t.add(name, median(rates), ratio(median(rates), base))
    return t


# -- 5. markup tidied ---------------------------------------------------------------------------
def tidy_effect(ctx: BenchContext) -> Table:
    extract = importlib.import_module("tutorbot.ingest.links.extract")
    count = ctx.roadmaps.embedder.count_tokens
    tidied = workload(mirror_documents(), count)
    original = extract.tidy_markup
    extract.tidy_markup = lambda text: text
    try:
        raw = workload(mirror_documents(), count)
    finally:
        extract.tidy_markup = original
    t = Table(title="What the mirror's pages cost to embed (e5 tokens of every chunk)",
              columns=["extraction", "chunks", "tokens", "tokens vs as-is"])
    t.add("as written", raw[0], raw[1], 1.0)
    t.add("markup tidied (badges, layout tags, table rulers)", tidied[0], tidied[1], ratio(tidied[1], raw[1]))
    return t


def workload(docs: list[Document], count) -> tuple[int, int]:
    chunks = [c for d in docs for c in chunk_document(d, 128, count)]
    return len(chunks), sum(count(c.embed_text) for c in chunks)


def subset_mirror(root: Path, n: int) -> Path:
    entries = [e for e in json.loads((MIRROR / "manifest.json").read_text(encoding="utf-8")) if e.get("file")][:n]
    for e in entries:
        (root / e["file"]).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(MIRROR / e["file"], root / e["file"])
    (root / "manifest.json").write_text(json.dumps(entries), encoding="utf-8")
    return root


def notes(chat: Table, first, second, latency: dict[str, list[float]], quick: bool) -> list[str]:
    off, on = (float(r[2]) for r in chat.rows)
    p95 = pct(latency["during"], 95)
    out = [f"Time to chat with the job on: {on:.1f} s vs {off:.1f} s off (ratio {ratio(on, off):.2f}); "
           "the job starts once the UI serves.",
           f"All {first.indexed} pages with text indexed {first.seconds:.0f} s after the job started "
           f"({first.texts_embedded} passages; {first.unreachable} of {first.total} unreachable: not in the mirror).",
           f"Retrieval p95 while indexing: {p95:.0f} ms (target ≤ {P95_TARGET_MS:.0f} ms: "
           f"{'met' if p95 <= P95_TARGET_MS else 'NOT met'}); {ratio(p95, pct(latency['after'], 95)):.1f}× the "
           "p95 on the same index once idle.",
           f"The second run embedded {second.texts_embedded} passages (target 0: "
           f"{'met' if second.texts_embedded == 0 else 'NOT met'}) in {second.seconds:.1f} s."]
    if quick:
        out.append(f"--quick: {QUICK_PAGES} mirror pages, not all of them.")
    return out
