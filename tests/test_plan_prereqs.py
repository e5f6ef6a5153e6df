"""Weak prerequisites in the plan: a prerequisite that repeated quiz mistakes point to is planned before the
topics that need it and says why (plan, its HTML view and its Markdown export), in the plan's language."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_quiz_service import CURRICULUM

from tutorbot.llm.fake import FakeLLM
from tutorbot.llm.prompts import PromptLibrary
from tutorbot.plans.models import LearnerProfile
from tutorbot.plans.service import PlanService
from tutorbot.store.learner_store import LearnerStore
from tutorbot.ui import plan_view

PROMPTS = PromptLibrary(Path(__file__).resolve().parents[1] / "prompts")
PROFILE = LearnerProfile(goal="understand_llms", hours_per_week=10, weeks=12)


@pytest.fixture
def store(tmp_path):
    with LearnerStore(f"sqlite:///{tmp_path / 'l.db'}") as s:
        yield s


def service(store, blamed):
    return PlanService(CURRICULUM, [], FakeLLM("not json"), PROMPTS, store, weak_prereqs=lambda uid: blamed)


def plans_markdown(store, uid) -> str:
    return service(store, {}).export_markdown(uid)


def order(plan) -> list[str]:
    return [tp.id for w in plan.weeks for tp in w.topics]


def test_a_blamed_prerequisite_comes_before_the_topic_whose_mistakes_point_to_it_and_says_why(store):
    uid = store.get_or_create_local_user().id
    plan = service(store, {"attention_transformer": ["pretrained_models"]}).create(uid, PROFILE, guidance=False)
    ids = order(plan)
    assert ids.index("attention_transformer") < ids.index("pretrained_models")
    [slot] = [tp for w in plan.weeks for tp in w.topics if tp.id == "attention_transformer"][:1]
    assert slot.because == "first: your mistakes in Pretrained models (BERT/GPT/T5) point to this prerequisite"
    assert all(not tp.because for w in plan.weeks for tp in w.topics if tp.id != "attention_transformer")
    assert "↳ first: your mistakes in Pretrained models" in plan_view.plan_html(plan, {}, "en")
    assert "(first: your mistakes in Pretrained models" in plans_markdown(store, uid)


def test_without_blamed_prerequisites_no_topic_carries_a_reason(store):
    uid = store.get_or_create_local_user().id
    plan = service(store, {}).create(uid, PROFILE, guidance=False)
    assert all(not tp.because for w in plan.weeks for tp in w.topics)


def test_a_chinese_plan_says_why_in_chinese_and_a_replan_keeps_it(store):
    uid = store.get_or_create_local_user().id
    plans = service(store, {"attention_transformer": ["pretrained_models"]})
    plans.create(uid, PROFILE.model_copy(update={"language": "zh"}), guidance=False)
    again = plans.replan(uid)
    [slot] = [tp for w in again.weeks for tp in w.topics if tp.id == "attention_transformer"][:1]
    assert slot.because.startswith("优先：你在预训练模型") and "前置主题" in slot.because
