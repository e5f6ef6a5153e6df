"""UI stage: what every tab builder receives — services, the learner resolver, labels, language.

Built once per ``build_ui``; nothing here is global. Tabs register "refreshers" (handlers that
re-render language- or learner-dependent content) which the app runs on page load and
whenever the interface language changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tutorbot.ui.auth import Identity
from tutorbot.ui.i18n import Labels

LLM_GROUP = "llm"  # events that call the model share one concurrency limit


@dataclass
class Refresher:
    fn: Callable[..., Any]
    inputs: list[Any]
    outputs: list[Any]


@dataclass
class UIContext:
    container: Any
    identity: Identity
    labels: Labels
    lang: Any  # gr.State holding the interface language ("en" | "zh")
    llm_limit: int = 1
    refreshers: list[Refresher] = field(default_factory=list)
    shared: dict[str, Any] = field(default_factory=dict)  # components one tab hands to another

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
