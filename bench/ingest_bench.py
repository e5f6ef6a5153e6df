"""Benchmark 3 — ingestion: cold vs unchanged re-run vs one file changed, on a temp copy of corpus/.

Stage measured: ``ingest.ingest`` (read → chunk → embed → Chroma upsert → catalog) through
``Container.ingest``. Incrementality is the point: an unchanged re-run must embed nothing, and
one edited file must embed only its changed chunks.
"""

from __future__ import annotations

import shutil

from common import Counts, Section, Table, median, ratio
from context import BenchContext

from tutorbot.container import Container
from tutorbot.ingest.pipeline import IngestReport
from tutorbot.settings import PROJECT_ROOT

EDIT = "\n\n## Benchmark note\n\nAn extra paragraph appended by bench/ingest_bench.py to change one file.\n"


def run(ctx: BenchContext, counts: Counts) -> Section:
    corpus = ctx.root / "ingest-corpus"
    shutil.copytree(PROJECT_ROOT / "corpus", corpus)
    settings = ctx.settings("ingest", corpus_dir=corpus)
    c = Container(settings)
    cold = c.ingest()
    unchanged = [c.ingest() for _ in range(counts.ingest_unchanged_runs)]
    edited = min((corpus / "roadmaps").glob("*.txt"))
    edited.write_text(edited.read_text(encoding="utf-8") + EDIT, encoding="utf-8")
    changed = c.ingest()
    return Section(name="ingest", title="3. Ingestion (temp copy of corpus/)",
                   tables=[table(cold, unchanged, changed, edited.name)],
                   notes=notes(cold, unchanged, changed))


def table(cold: IngestReport, unchanged: list[IngestReport], changed: IngestReport, name: str) -> Table:
    t = Table(title="Ingest runs", columns=["run", "seconds", "embedding calls", "texts embedded",
                                            "chunks added", "chunks deleted", "chunks total"])
    t.add("cold (empty index)", cold.seconds, cold.embedding_calls, cold.texts_embedded, cold.chunks_added,
          cold.chunks_deleted, cold.chunks_total)
    u = unchanged[-1]
    t.add(f"unchanged re-run (median of {len(unchanged)})", median([r.seconds for r in unchanged]),
          sum(r.embedding_calls for r in unchanged), sum(r.texts_embedded for r in unchanged),
          u.chunks_added, u.chunks_deleted, u.chunks_total)
    t.add(f"one file changed ({name})", changed.seconds, changed.embedding_calls, changed.texts_embedded,
          changed.chunks_added, changed.chunks_deleted, changed.chunks_total)
    return t


def notes(cold: IngestReport, unchanged: list[IngestReport], changed: IngestReport) -> list[str]:
    share = ratio(median([r.seconds for r in unchanged]), cold.seconds)
    calls = sum(r.embedding_calls for r in unchanged)
    ok = share <= 0.05 and calls == 0
    out = [(f"Unchanged re-run: {100 * share:.1f}% of cold time and {calls} embedding calls — target "
            f"(≤ 5% and zero calls) {'met' if ok else 'NOT met'}."),
           (f"One changed file re-embedded {changed.texts_embedded} of {changed.chunks_total} chunks "
            f"({100 * ratio(changed.seconds, cold.seconds):.0f}% of cold time)."),
           "The cold run includes loading the e5 model, which happens on its first use."]
    return out
