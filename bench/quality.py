"""Benchmark 1 — retrieval quality and grounding (hit@1, hit@5, MRR; refusals), per stage, kind and language.

Stage measured: ``retrieval.Retriever`` over two indexes — the roadmaps alone and the roadmaps
plus the linked pages from the offline mirror — with the project's own metric definition
(``evaluate.eval_retrieval``: a hit is a top-k set of chunks holding every evidence string), for
each stage of the fusion chain (``Retriever.modes``), on the dev questions and on both halves of
dev2 (``evaluate.split``: tuned on ``tune``, reported on ``heldout``). Grounding
(``evaluate.eval_grounding``) on each dev2 half plus the dev questions and the off-topic set.
"""

from __future__ import annotations

from common import Counts, Section, Table
from context import DEV_QA, SHARED, BenchContext

from tutorbot.chat.evaluate import eval_grounding, eval_retrieval, load_qa, split

DEV2_QA = SHARED / "eval" / "dev2_qa.jsonl"
GROUPS = ("all", "en", "zh", "lookup-cross", "lookup-zh", "advice", "linked")


def question_sets(linked: bool) -> dict[str, list]:
    dev2 = load_qa(DEV2_QA)
    sets = {"dev2 held-out": split(dev2, "heldout"), "dev2 tuning": split(dev2, "tune"), "dev": load_qa(DEV_QA)}
    return {name: [q for q in qa if linked or q.kind != "linked"] for name, qa in sets.items()}


def run(ctx: BenchContext, counts: Counts) -> Section:
    table = Table(title="Retrieval quality (k=10 searched, hit@5 = evidence within the top 5)",
                  columns=["index", "questions", "retriever", "group", "n", "hit@1", "hit@5", "MRR"])
    grounding = Table(title="Grounding: share refused", columns=["index", "questions", "not-covered refused",
                                                                  "answerable refused", "off-topic refused"])
    for label, container in (("roadmaps", ctx.roadmaps), ("roadmaps + linked", ctx.full)):
        sets = question_sets(label != "roadmaps")
        for name, qa in sets.items():
            for mode in container.retriever.modes():
                result = eval_retrieval(container.retriever, qa, k=10, mode=mode)
                for group in (g for g in GROUPS if g in result):
                    r = result[group]
                    table.add(label, name, mode, group, r["n"], r["hit@1"], r["hit@5"], r["mrr"])
        for name in ("dev2 held-out", "dev2 tuning"):
            g = eval_grounding(container.chat, sets[name] + (sets["dev"] if name == "dev2 tuning" else []))
            grounding.add(label, name, g["not_covered_refused"], g["answerable_refused"], g["off_topic_refused"])
    sizes = f"chunks indexed: roadmaps {len(ctx.roadmaps.retriever.chunks)}, " \
            f"roadmaps + linked {len(ctx.full.retriever.chunks)}"
    return Section(name="quality", title="1. Retrieval quality and grounding", tables=[table, grounding],
                   notes=[sizes, "Stages: bm25, dense and second (the second dense view) alone (expanded query, "
                                 "one ranking each); rrf = the fusion of bm25 and dense; balanced = per-language lists "
                                 "(both dense views); scoped = + named roadmaps/parts/pages; "
                                 "hybrid = + best-sentence list (the default). Tuned on the dev2 tuning half only."])
