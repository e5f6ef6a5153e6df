"""UI stage: what every tab builder receives — services, the learner resolver, labels, language.

Built once per ``build_ui``; nothing here is global. Tabs register "refreshers" (handlers that
re-render language- or learner-dependent content) which the app runs on page load and
whenever the interface language changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tutorbot.ui.auth import Identity
from tutorbot.ui.i18n import Labels
from tutorbot.ui.status import Health, probe

if TYPE_CHECKING:
    from tutorbot.chat.conversations import Conversations
    from tutorbot.chat.service import ChatService
    from tutorbot.container import Container
    from tutorbot.curriculum.graph import Curriculum
    from tutorbot.ingest.progress import LinkedProgress
    from tutorbot.learner.progress import Progress
    from tutorbot.plans.service import PlanService
    from tutorbot.quiz.service import QuizService
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

    @classmethod
    def from_container(cls, c: Container) -> Services:
        return cls(settings=c.settings, chat=c.chat, conversations=c.conversations, plans=c.plans,
                   quizzes=c.quizzes, progress=c.progress, catalog=c.catalog, curriculum=c.curriculum,
                   accounts=c.store, health=lambda: probe(c.llm, c.index.count, c.settings, c.linked_progress),
                   linked=c.linked_progress)


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
