"""UI stage: every dropdown, radio and checkbox list, in the interface language.

Each returns (label, value) pairs for Gradio; values are ids the services understand.
"""

from __future__ import annotations

from tutorbot.curriculum.graph import Curriculum
from tutorbot.ui.i18n import t

KINDS = ("video", "course", "paper", "code", "blog", "book")
TYPE_KEYS = {"mcq": "quiz.mcq", "tf": "quiz.tf", "short": "quiz.short", "blank": "quiz.blank"}


def goal_choices(curriculum: Curriculum, lang: str) -> list[tuple[str, str]]:
    return [(spec.name.get("zh" if lang == "zh" else "en"), goal.value) for goal, spec in curriculum.goals.items()]


def topic_choices(curriculum: Curriculum, lang: str, ids: list[str] | None = None) -> list[tuple[str, str]]:
    wanted = curriculum.ids if ids is None else [i for i in ids if i in curriculum.ids]
    return [(curriculum.name_of(i, lang), i) for i in wanted]


def kind_choices(lang: str) -> list[tuple[str, str]]:
    return [(t(lang, f"kind.{k}"), k) for k in KINDS]


def type_choices(lang: str) -> list[tuple[str, str]]:
    return [(t(lang, key), qtype) for qtype, key in TYPE_KEYS.items()]


def confidence_choices(lang: str) -> list[tuple[str, int]]:
    """How sure the learner is before grading, 1 (guessing) to 4 (certain)."""
    return [(t(lang, f"quiz.sure{n}"), n) for n in (1, 2, 3, 4)]


def source_choices(lang: str) -> list[tuple[str, str]]:
    return [(t(lang, "quiz.from_plan"), "plan"), (t(lang, "quiz.from_weak"), "weak"), (t(lang, "quiz.from_all"), "all")]


def answer_lang_choices(lang: str) -> list[tuple[str, str]]:
    return [(t(lang, "chat.auto"), "auto"), ("中文", "zh"), ("English", "en")]
