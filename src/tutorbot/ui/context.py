"""UI stage: what every tab builder receives — services, the learner resolver, labels, language.

Built once per ``build_ui``; nothing here is global. Tabs register "refreshers" (handlers that
re-render language- or learner-dependent content) which the app runs on page load and
whenever the interface language changes. A service that cannot start (a broken curriculum stops
plans and quizzes, a damaged index stops chat) is replaced by ``Unavailable``: the app still
starts, and each use of that service shows the learner why and what fixes it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tutorbot.errors import TutorbotError
from tutorbot.health import LIVE_CHECKS, run_checks
from tutorbot.ui.auth import Identity
from tutorbot.ui.i18n import Labels
from tutorbot.ui.status import Health, probe

if TYPE_CHECKING:
    from tutorbot.chat.conversations import Conversations
    from tutorbot.chat.service import ChatService
    from tutorbot.container import Container
    from tutorbot.curriculum.graph import Curriculum
    from tutorbot.ingest.progress import LinkedProgress
    from tutorbot.learner.preferences import Preferences
    from tutorbot.learner.progress import Progress
    from tutorbot.plans.service import PlanService
    from tutorbot.quiz.service import QuizService
    from tutorbot.retrieval.expand import Expansion
    from tutorbot.schemas import CatalogEntry
    from tutorbot.settings import Settings
    from tutorbot.store.learner_store import LearnerStore

LLM_GROUP = "llm"  # events that call the model share one concurrency limit


@dataclass
class Refresher:
    fn: Callable[..., Any]
    inputs: list[Any]
    outputs: list[Any]


@dataclass
class Services:
    """What the UI may call: typed services and domain data, never the container itself."""

    settings: Settings
    chat: ChatService
    conversations: Conversations
    plans: PlanService
    quizzes: QuizService
    progress: Progress
    catalog: list[CatalogEntry]
    curriculum: Curriculum
    accounts: LearnerStore  # sign-in only: the tabs reach learner data through the services
    health: Callable[[], Health]
    linked: Callable[[], LinkedProgress | None] = lambda: None  # the background job, when `up` runs one
    expand: Callable[[str], Expansion | None] = lambda text: None  # a query's terms in the other language
    preferences: Preferences | None = None  # the learner's remembered settings (interface language)

    @classmethod
    def from_container(cls, c: Container) -> Services:
        from tutorbot.curriculum.graph import Curriculum
        from tutorbot.learner.preferences import Preferences

        return cls(settings=c.settings, chat=_or_unavailable(lambda: c.chat), conversations=c.conversations,
                   plans=_or_unavailable(lambda: c.plans), quizzes=_or_unavailable(lambda: c.quizzes),
                   progress=c.progress, catalog=c.catalog,
                   curriculum=_or_unavailable(lambda: c.curriculum, Curriculum(tracks=[], goals={}, topics=[])),
                   accounts=c.store,
                   health=lambda: probe(c.llm, c.index.count, c.settings, lambda: run_checks(c, LIVE_CHECKS),
                                        c.linked_progress),
                   linked=c.linked_progress, expand=lambda text: _expansion(c, text),
                   preferences=Preferences(c.store))


def _expansion(c: Container, text: str) -> Expansion | None:
    """The retriever's expansion of ``text``; None while the index cannot be read (search stays literal)."""
    try:
        return c.retriever.expander.expand(text)
    except TutorbotError:
        return None


class Unavailable:
    """Stands in for a service that could not start: every call shows the learner the reason."""

    def __init__(self, why: str) -> None:
        self.why = why

    def __getattr__(self, name: str) -> Callable[..., Any]:
        def refuse(*args: Any, **kwargs: Any) -> Any:
            import gradio as gr

            raise gr.Error(self.why, print_exception=False)  # shown in the page, whatever show_error says
        return refuse


def _or_unavailable(build: Callable[[], Any], stand_in: Any = None) -> Any:
    try:
        return build()
    except TutorbotError as exc:
        return stand_in if stand_in is not None else Unavailable(str(exc))


@dataclass
class UIContext:
    services: Services
    identity: Identity
    labels: Labels
    lang: Any  # gr.State holding the interface language ("en" | "zh")
    llm_limit: int = 1
    refreshers: list[Refresher] = field(default_factory=list)

    def on_refresh(self, fn: Callable[..., Any], inputs: list[Any], outputs: list[Any]) -> None:
        """Run ``fn(*inputs)`` into ``outputs`` on page load and on every language switch."""
        self.refreshers.append(Refresher(fn, inputs, outputs))

    def llm_event(self) -> dict[str, Any]:
        """Event options for handlers that call the model: one shared, bounded concurrency group."""
        return {"concurrency_id": LLM_GROUP, "concurrency_limit": self.llm_limit, "api_visibility": "private"}

    @staticmethod
    def quick_event() -> dict[str, Any]:
        """Event options for fast handlers (database reads, formatting)."""
        return {"api_visibility": "private", "concurrency_limit": None}
