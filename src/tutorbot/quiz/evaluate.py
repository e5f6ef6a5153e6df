"""Quiz quality: per item, what it asks about, where its answer is written, and whether it holds.

Stage: ``QuizService.draft`` (a quiz for a new learner, nothing stored) → **evaluation** → the
`tutorbot eval quizzes` report. Per item: type, rule, level, source kind (a linked page, an
explanatory roadmap sentence, or a list of resources in a roadmap), whether its key is supported by
the cited passage (the validator's support checks, re-run), whether it duplicates another item of
its quiz (same sentence, or near-identical question with the same answer), whether its own words are
in the quiz language, whether it names an arXiv id or a URL, and whether it is filed under the topic
asked for. The summary gives the targets' shares overall and per language.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Literal

from pydantic import BaseModel

from tutorbot.quiz.match import jaccard, language_of, names_ids, unquoted
from tutorbot.quiz.models import Question, Quiz
from tutorbot.quiz.validate import QuizValidator
from tutorbot.schemas import Chunk

SourceKind = Literal["linked page", "explanatory", "resource list"]
DEFAULT_TOPICS = ("attention_transformer", "positional_encoding", "scaling_laws", "kv_cache", "flash_attention",
                  "moe", "rlhf", "ddpm", "score_sde", "flow_matching")


class ItemReport(BaseModel):
    topic: str
    language: str
    type: str
    rule: str
    level: str
    source_kind: SourceKind
    key_supported: bool
    duplicate: bool
    language_ok: bool
    names_ids: bool
    on_topic: bool
    question: str
    answer: str


class QuizEvalReport(BaseModel):
    items: list[ItemReport]
    errors: list[str] = []

    def summary(self, language: str | None = None) -> dict[str, float | int]:
        """Shares of the items (of one language, or all): the quiz-quality targets."""
        rows = [r for r in self.items if language in (None, r.language)]
        n = len(rows) or 1
        return {"items": len(rows), "about_subject": _share(rows, lambda r: r.source_kind != "resource list", n),
                "linked": _share(rows, lambda r: r.source_kind == "linked page", n),
                "key_supported": _share(rows, lambda r: r.key_supported, n),
                "language_ok": _share(rows, lambda r: r.language_ok, n),
                "on_topic": _share(rows, lambda r: r.on_topic, n),
                "names_ids": sum(r.names_ids for r in rows), "duplicates": sum(r.duplicate for r in rows)}


def _share(rows: list[ItemReport], test: Callable[[ItemReport], bool], n: int) -> float:
    return round(sum(test(r) for r in rows) / n, 3)


def source_kind(q: Question, chunk: Chunk | None) -> SourceKind:
    if chunk is not None and chunk.kind == "linked":
        return "linked page"
    return "explanatory" if q.about == "subject" else "resource list"


def duplicates(quiz: Quiz) -> list[bool]:
    """Items testing a sentence an earlier item tests, or asking nearly the same with the same answer."""
    out = []
    for i, q in enumerate(quiz.questions):
        earlier = quiz.questions[:i]
        out.append(any((q.fact and q.fact == o.fact) or q.source.quote and q.source.quote == o.source.quote
                       or (q.answer == o.answer and jaccard(q.question, o.question) >= 0.85) for o in earlier))
    return out


def item_reports(quiz: Quiz, chunk_by_id: Callable[[str], Chunk | None]) -> list[ItemReport]:
    checks = QuizValidator(chunk_by_id, None)
    rows = []
    for q, dup in zip(quiz.questions, duplicates(quiz), strict=True):
        chunk = chunk_by_id(q.source.chunk_id)
        passage = chunk.embed_text if chunk else ""
        supported = chunk is not None and checks.supported(q, passage)
        rows.append(ItemReport(topic=quiz.topic, language=quiz.language, type=q.type, rule=q.rule, level=q.level,
                               source_kind=source_kind(q, chunk), key_supported=supported, duplicate=dup,
                               language_ok=language_of(unquoted(q.question)) == quiz.language,
                               names_ids=names_ids(" ".join([q.question, q.answer, *q.options])),
                               on_topic=q.topic == quiz.topic, question=q.question, answer=q.answer))
    return rows


def evaluate_quizzes(draft: Callable[..., Quiz], chunk_by_id: Callable[[str], Chunk | None],
                     topics: Iterable[str], n: int = 5, languages: Iterable[str] = ("en", "zh")) -> QuizEvalReport:
    """One quiz of ``n`` items per topic and language, drafted for a new learner (``QuizService.draft``)."""
    report = QuizEvalReport(items=[])
    for topic in topics:
        for lang in languages:
            try:
                quiz = draft(topic, n, language=lang, seed=0)
            except ValueError as exc:  # QuizError: too few questions; reported, not fatal
                report.errors.append(f"{topic} ({lang}): {exc}")
                continue
            report.items += item_reports(quiz, chunk_by_id)
    return report
