"""UI stage, Quiz tab logic: which topics to offer, one question at a time, feedback and score.

The quiz itself (questions, grading, scheduling) belongs to the QuizService; this module keeps
the learner's place in a quiz (``QuizSession``, held in server-side state) and formats what
the service returns. ``QuizOps`` is the one place that calls the services. Corpus text (questions
quote it, feedback cites it) is shown literally: "3~6个月" must not render struck through.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from tutorbot.chat.markdown import escape
from tutorbot.quiz.models import Feedback, Question, Quiz
from tutorbot.quiz.notebook import NotebookEntry
from tutorbot.ui.choices import topic_choices
from tutorbot.ui.dates import ahead
from tutorbot.ui.i18n import t
from tutorbot.ui.render import safe_markdown, short_url

if TYPE_CHECKING:
    from tutorbot.ui.context import Services


def corpus_md(text: str) -> str:
    """Corpus text as markdown that shows it as written ("3~6个月" is not struck through, "*x*" stays), with
    the renderer's sanitising on top."""
    return safe_markdown(escape(text), set())


class QuizSession(BaseModel):
    """Where the learner is in one quiz (kept server-side; the browser never holds the answers)."""

    quiz: Quiz
    index: int = 0
    results: list[Feedback] = Field(default_factory=list)
    plan_updated: bool = Field(False, description="The learner's plan was re-planned from these results.")

    @property
    def current(self) -> Question | None:
        return self.quiz.questions[self.index] if self.index < len(self.quiz.questions) else None

    @property
    def answered(self) -> bool:
        return len(self.results) > self.index

    @property
    def finished(self) -> bool:
        return self.index >= len(self.quiz.questions)


def question_markdown(session: QuizSession, topic_name: str, lang: str) -> str:
    q = session.current
    if q is None:
        return ""
    head = t(lang, "quiz.question", i=session.index + 1, n=len(session.quiz.questions), topic=topic_name)
    return f"{head}\n\n{corpus_md(q.question)}"


def feedback_markdown(fb: Feedback, lang: str, now: datetime | None = None) -> str:
    """Verdict, the right answer, the sentence that explains it, a link to where it is written, and when the
    question comes back ("in 3 days": a date would need the browser's time zone)."""
    verdict = t(lang, "quiz.correct") if fb.correct else t(lang, "quiz.partly", pct=round(100 * fb.score)) \
        if fb.score >= 0.5 else t(lang, "quiz.wrong")
    lines = [f"### {verdict}", f"**{t(lang, 'quiz.right_answer')}:** {corpus_md(fb.answer)}"]
    if fb.explanation:
        lines.append(f"**{t(lang, 'quiz.explanation')}:** {corpus_md(fb.explanation)}")
    lines += [f"- {'✔' if k.covered else '○'} {corpus_md(k.point)}" for k in fb.key_points]
    if fb.comment:  # the model's words, shown only after the truth gate passed them (QuizService.submit)
        lines.append(f"**{t(lang, 'quiz.comment')}:** {corpus_md(fb.comment)}")
    link = fb.source_link
    where = " › ".join(p for p in (fb.source.title, fb.source.section.split(" > ")[-1]) if p) or fb.source.source
    # The link is the quiz source's own (from the indexed corpus), so it only needs to be a web URL.
    target = f"[{short_url(link)}]({link.replace(')', '%29')})" if link.startswith(("http://", "https://")) else ""
    lines.append(f"**{t(lang, 'quiz.source')}:** {corpus_md(where)} {target}".rstrip())
    lines.append(f"_{t(lang, 'quiz.next_review', when=ahead(fb.due, now or datetime.now(UTC), lang))}_")
    return "\n\n".join(lines)


def score_markdown(session: QuizSession, lang: str) -> str:
    """The score in points (partial credit counts) and, apart, how many answers were fully right; then each
    question with whether it was right (and the answer when not)."""
    n = len(session.quiz.questions)
    points = sum(fb.score for fb in session.results)
    right = sum(fb.correct for fb in session.results)
    pct = round(100 * points / n) if n else 0
    lines = [t(lang, "quiz.score", points=f"{round(points, 1):g}", n=n, pct=pct),
             t(lang, "quiz.fully_right", right=right, n=n), ""]
    if session.plan_updated:
        lines[2:2] = ["", t(lang, "quiz.plan_updated")]
    for i, (q, fb) in enumerate(zip(session.quiz.questions, session.results, strict=False), 1):
        missed = "" if fb.correct else f" — {t(lang, 'quiz.right_answer')}: {corpus_md(q.answer)}"
        lines.append(f"{i}. {'✔' if fb.correct else '✘'} {corpus_md(q.question)}{missed}")
    return "\n".join(lines)


class QuizOps:
    """The quiz tab's calls: the quiz service, the learner's progress and plan."""

    def __init__(self, services: Services):
        self.s = services

    def topics(self, user_id: int, source: str, lang: str) -> list[tuple[str, str]]:
        cur = self.s.curriculum
        if source == "weak":
            return topic_choices(cur, lang, self.s.progress.weak_topics(user_id))
        if source == "plan":
            return topic_choices(cur, lang, self.s.plans.stage(user_id))
        return topic_choices(cur, lang)

    def start(self, user_id: int, topic: str, n: int, types: list[str], lang: str,
              source: str = "all") -> QuizSession:
        """A quiz on ``topic``; picked from the plan, it draws on the resources of the week that teaches it."""
        sources = self.week_sources(user_id, topic) if source == "plan" else None
        quiz = self.s.quizzes.make_quiz(user_id, topic, n=n, types=types or None, language=lang, sources=sources)
        return QuizSession(quiz=quiz)

    def week_sources(self, user_id: int, topic: str) -> list[str]:
        """Resource URLs of the first plan week whose checkpoint (else whose topics) is ``topic``."""
        plan = self.s.plans.current(user_id)
        weeks = plan.weeks if plan else []
        week = next((w for w in weeks if w.checkpoint == topic), None) or \
            next((w for w in weeks if topic in w.topic_ids), None)
        return [r.url for r in week.resources if r.url] if week else []

    def review(self, user_id: int, n: int) -> QuizSession:
        return QuizSession(quiz=self.s.quizzes.review_quiz(user_id, n=n))

    def notebook(self, user_id: int) -> list[NotebookEntry]:
        return self.s.quizzes.notebook.entries(user_id)

    def reask(self, user_id: int, question_id: str) -> QuizSession:
        return QuizSession(quiz=self.s.quizzes.notebook.reask(user_id, question_id))

    def ten_minutes(self, user_id: int) -> QuizSession:
        return QuizSession(quiz=self.s.quizzes.notebook.session(user_id))

    def reasons(self, user_id: int, session: QuizSession, lang: str) -> str:
        """The review reasons of the session's topics and the prerequisites to review first, as markdown."""
        topics = {q.topic for q in session.quiz.questions}
        lines = [f"- {r.reason}" for r in self.s.progress.patterns(user_id, lang, topics)]
        first = [self.s.curriculum.name_of(p, lang) for p in self.s.progress.weak_prereqs(user_id)]
        lines += [f"- {t(lang, 'review.first', names=', '.join(first))}"] if first else []
        return "\n".join([t(lang, "review.why"), *lines]) if lines else ""

    def due(self, user_id: int) -> int:
        return self.s.quizzes.due_count(user_id)

    def answer(self, user_id: int, session: QuizSession, given: str, confidence: int | None = None) -> QuizSession:
        q = session.current
        if q is None or session.answered:
            return session
        fb = self.s.quizzes.submit(user_id, session.quiz.id, q.id, given, confidence=confidence)
        results = [*session.results, fb]
        done = len(results) == len(session.quiz.questions)
        updated = done and self.s.quizzes.finish(user_id, session.quiz.id)
        return session.model_copy(update={"results": results, "plan_updated": updated})
