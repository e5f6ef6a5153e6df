"""Learner preferences: the settings that follow a learner from browser to browser.

Stage: UI → **Preferences** → ``LearnerStore`` (one JSON row per learner). Today only the interface
language: the UI reads it when a page opens and writes it when the learner switches.
"""

from __future__ import annotations

from typing import Any, get_args

from tutorbot.lang import Language

UI_LANG = "ui_lang"


class Preferences:
    """Per-learner settings, read and written through the learner store."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def ui_lang(self, user_id: int) -> Language | None:
        """The interface language the learner chose last, or None when they never chose one."""
        value = self.store.preferences(user_id).get(UI_LANG)
        return value if value in get_args(Language) else None

    def set_ui_lang(self, user_id: int, lang: str) -> Language:
        """Remember the learner's interface language (anything but zh/en is refused as English)."""
        chosen: Language = "zh" if lang == "zh" else "en"
        if self.ui_lang(user_id) != chosen:
            self.store.set_preference(user_id, UI_LANG, chosen)
        return chosen
