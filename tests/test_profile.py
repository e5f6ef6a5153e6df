"""Learner profiles: validation messages, the free-text parser (en/zh, negations), LLM refinement."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from tutorbot.curriculum.graph import load_curriculum
from tutorbot.curriculum.models import Goal
from tutorbot.llm.client import LLMUnavailable
from tutorbot.llm.fake import FakeLLM
from tutorbot.llm.prompts import PromptLibrary
from tutorbot.plans.models import LearnerProfile, ProfileDraft
from tutorbot.plans.profile import ProfileExtraction, parse_hours, parse_profile, parse_weeks, refine_profile

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def cur():
    return load_curriculum(ROOT / "corpus" / "curriculum.yaml")


@pytest.fixture(scope="module")
def prompts():
    return PromptLibrary(ROOT / "prompts")


# -- LearnerProfile validation --------------------------------------------------------------

@pytest.mark.parametrize(("field", "value", "message"), [
    ("hours_per_week", 0, "hours_per_week must be between 1 and 80, got 0"),
    ("hours_per_week", 81, "hours_per_week must be between 1 and 80, got 81"),
    ("weeks", 105, "weeks must be between 1 and 104"),
    ("goal", "get_rich", "understand_llms"),
    ("preferred_kinds", ["podcast"], "'video', 'course', 'paper', 'code', 'blog' or 'book'"),
    ("language", "fr", "'zh' or 'en'"),
])
def test_profile_validation_messages_say_what_is_allowed(field, value, message):
    with pytest.raises(ValidationError, match=message.replace("(", r"\(")):
        LearnerProfile(**{field: value})


def test_area_needs_the_research_goal():
    with pytest.raises(ValidationError, match="only used with goal 'research'"):
        LearnerProfile(goal="diffusion_models", area="alignment")
    assert LearnerProfile(goal="research", area="alignment").area == "alignment"


# -- hours, weeks, language -----------------------------------------------------------------

@pytest.mark.parametrize(("text", "hours"), [
    ("I have 10 hours a week", 10), ("about 10h/week", 10), ("12 hours per week", 12),
    ("8-10 hrs weekly", 9), ("2 hours a day", 14), ("每周10小时", 10), ("一周 8 个小时", 8),
    ("每周大概十二个小时", 12), ("每天两小时", 14), ("10小时/周", 10), ("no numbers here", None),
    ("200 hours a week", 80),
])
def test_hours_per_week(text, hours):
    assert parse_hours(text)[0] == hours


@pytest.mark.parametrize(("text", "weeks"), [
    ("for 3 months", 13), ("12 weeks", 12), ("half a year", 26), ("a year", 52), ("三个月", 13),
    ("12 周", 12), ("半年", 26), ("两个月", 9), ("3~6个月", 26), ("I have 10 years of experience", None),
    ("twice a week", None), ("第3周开始", None), ("3 years of PyTorch", None), ("2 years ago", None),
    ("I've used PyTorch for 2 years", None), ("我学了两年 Python", None), ("6 months of free time", 26),
])
def test_weeks(text, weeks):
    assert parse_weeks(text)[0] == weeks


def test_hours_phrase_is_not_read_as_a_plan_length(cur):
    draft = parse_profile("一周 8 个小时，三个月", cur)
    assert (draft.hours_per_week, draft.weeks) == (8, 13)
    assert parse_profile("10 hours a week", cur).weeks is None


@pytest.mark.parametrize(("text", "lang"), [
    ("I want to learn transformers", "en"), ("我想学习 transformer 和 pytorch", "zh"),
    ("I want to learn 大模型 quickly", "en"),
])
def test_language_by_script(cur, text, lang):
    assert parse_profile(text, cur).language == lang


# -- known topics and negations -------------------------------------------------------------

def test_deepseek_roadmap_background(cur):
    text = (ROOT / "corpus/roadmaps/llm-roadmap-deepseek-chatgpt.txt").read_text(encoding="utf-8")
    draft = parse_profile(text.split("## DeepSeek")[0], cur)
    assert set(draft.known) == {"python_pytorch", "dl_basics"}
    assert {"attention_transformer", "llm_overview"} <= set(draft.not_known)
    assert draft.language == "zh"
    assert draft.goal == Goal.implement_from_scratch


def test_english_background_with_negation(cur):
    draft = parse_profile("I can write CNNs in PyTorch and know C++, but I don't get transformers.", cur)
    assert set(draft.known) == {"python_pytorch", "dl_basics"}
    assert "attention_transformer" not in draft.known
    assert draft.sources["known:dl_basics"] == "parser"
    assert "CNNs" in draft.evidence["known:dl_basics"]


@pytest.mark.parametrize("text", [
    "I don't get transformers", "I do not understand RLHF or LoRA", "I'm not familiar with diffusion models",
    "我不太理解 transformer", "我不了解 RLHF", "我不会 CUDA", "完全没学过 LoRA",
])
def test_negated_topics_are_not_known(cur, text):
    draft = parse_profile(text, cur)
    assert draft.known == []
    assert draft.not_known


@pytest.mark.parametrize("text", ["I want to learn transformers", "我想学习 Transformer 和 RLHF"])
def test_wanted_topics_are_not_known(cur, text):
    assert parse_profile(text, cur).known == []


def test_chinese_known_topics(cur):
    draft = parse_profile("我熟悉 PyTorch，学过 Transformer 和 BERT，但不懂强化学习里的 PPO。", cur)
    assert set(draft.known) == {"python_pytorch", "attention_transformer", "pretrained_models"}
    assert "rlhf" in draft.not_known


def test_inherited_polarity_within_a_sentence(cur):
    assert set(parse_profile("I know PyTorch and CNNs.", cur).known) == {"python_pytorch", "dl_basics"}
    assert parse_profile("I don't know PyTorch and CNNs.", cur).known == []


# -- goals and preferences ------------------------------------------------------------------

@pytest.mark.parametrize(("text", "goal", "area"), [
    ("I want to understand how ChatGPT works", Goal.understand_llms, None),
    ("I'd like to implement a GPT from scratch", Goal.implement_from_scratch, None),
    ("I want to work on LLM inference serving", Goal.llm_systems_inference, None),
    ("I want to fine-tune and deploy a model for my company", Goal.finetune_deploy, None),
    ("I want to get into diffusion models", Goal.diffusion_models, None),
    ("I'm a PhD student researching diffusion models", Goal.research, "Diffusion & generative models"),
    ("我是研究生，想做大模型对齐方向的研究", Goal.research, "微调与对齐"),
])
def test_goal_keywords(cur, text, goal, area):
    draft = parse_profile(text, cur)
    assert draft.goal == goal
    assert draft.area == area


def test_negated_goal_is_ignored(cur):
    assert parse_profile("I don't want to do research; I want to understand LLMs", cur).goal == Goal.understand_llms


def test_preferred_kinds(cur):
    assert parse_profile("I prefer papers and code.", cur).preferred_kinds == ["paper", "code"]
    assert parse_profile("我喜欢看视频和博客", cur).preferred_kinds == ["video", "blog"]
    assert parse_profile("I don't like videos.", cur).preferred_kinds == []


def test_draft_becomes_a_profile_with_defaults(cur):
    draft = parse_profile("每周10小时，三个月，我会 PyTorch", cur)
    profile = draft.to_profile()
    assert (profile.hours_per_week, profile.weeks, profile.language) == (10, 13, "zh")
    assert profile.known == ["python_pytorch"]
    assert profile.goal == Goal.understand_llms and "goal" not in draft.sources


# -- LLM refinement -------------------------------------------------------------------------

def reply(**fields) -> str:
    return json.dumps(ProfileExtraction(**fields).model_dump(mode="json"))


def test_refine_merges_only_valid_fields(cur, prompts):
    text = "I know PyTorch but don't get transformers. I'm into alignment research."
    draft = parse_profile(text, cur)
    llm = FakeLLM(reply(known_topics=["dl_basics", "attention_transformer", "not_a_topic"],
                        goal="research", research_area="alignment", hours_per_week=500, weeks=20,
                        preferred_kinds=["paper"]))
    refined = refine_profile(draft, text, llm, cur, prompts)
    assert refined.known == ["python_pytorch", "dl_basics"]  # negated and unknown ids are dropped
    assert refined.sources["known:dl_basics"] == "llm" and refined.sources["known:python_pytorch"] == "parser"
    assert refined.hours_per_week is None  # 500 is out of bounds
    assert refined.weeks == 20 and refined.sources["weeks"] == "llm"
    assert refined.preferred_kinds == ["paper"]
    assert refined.to_profile().goal == Goal.research
    call = llm.calls[0]
    assert call.schema is ProfileExtraction and text in call.prompt and "attention_transformer" in call.prompt


def test_refine_never_overrides_the_parser(cur, prompts):
    text = "10 hours a week for 12 weeks, I want to understand LLMs"
    draft = parse_profile(text, cur)
    refined = refine_profile(draft, text, FakeLLM(reply(hours_per_week=3, weeks=50, goal="research")), cur, prompts)
    assert (refined.hours_per_week, refined.weeks, refined.goal) == (10, 12, Goal.understand_llms)


@pytest.mark.parametrize("failure", [LLMUnavailable("server down"), "not json at all", '{"goal": "world_peace"}'])
def test_refine_keeps_the_parser_result_on_llm_errors(cur, prompts, failure):
    text = "每周10小时，我会 PyTorch"
    draft = parse_profile(text, cur)
    assert refine_profile(draft, text, FakeLLM(failure), cur, prompts) == draft


def test_extraction_schema_is_bounded():
    schema = ProfileExtraction.model_json_schema()
    assert schema["properties"]["known_topics"]["maxItems"] == 40
    assert "maxLength" in json.dumps(schema["properties"]["research_area"])
    assert isinstance(ProfileDraft().sources, dict)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"])
def test_a_profile_file_is_read_with_or_without_a_byte_order_mark(tmp_path, encoding):
    from tutorbot.cli.plan import _read_profile

    path = tmp_path / "me.json"
    path.write_text(json.dumps({"goal": "research", "area": "扩散模型", "hours_per_week": 6}, ensure_ascii=False),
                    encoding=encoding)
    profile = _read_profile(path)
    assert profile.area == "扩散模型" and profile.hours_per_week == 6
