"""Learner profiles: validation messages, the free-text parser (en/zh: time, known, wanted, goals, negations,
resource names, deadlines against an injected date), the model's gap filling, and learner corrections."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError
from test_planner import real_catalog, real_curriculum

from tutorbot.curriculum.models import Goal
from tutorbot.curriculum.names import ResourceNames
from tutorbot.errors import InputError
from tutorbot.llm.client import LLMUnavailable
from tutorbot.llm.fake import FakeLLM
from tutorbot.llm.prompts import PromptLibrary
from tutorbot.plans.clauses import clauses
from tutorbot.plans.models import LearnerProfile, ProfileDraft
from tutorbot.plans.numbers import number, parse_hours, parse_weeks
from tutorbot.plans.profile import parse_profile
from tutorbot.plans.refine import ProfileExtraction, refine_profile
from tutorbot.plans.understood import override, understood

ROOT = Path(__file__).resolve().parents[1]
TODAY = date(2025, 1, 6)


@pytest.fixture(scope="module")
def cur():
    return real_curriculum()


@pytest.fixture(scope="module")
def names():
    return ResourceNames(real_catalog(), real_curriculum())


@pytest.fixture(scope="module")
def prompts():
    return PromptLibrary(ROOT / "prompts")


def read(text: str, cur, names=None, today: date = TODAY) -> ProfileDraft:
    return parse_profile(text, cur, names=names, today=today)


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


def test_a_known_topic_is_never_also_one_to_learn():
    assert LearnerProfile(known=["dl_basics"], learn=["dl_basics", "rlhf"]).learn == ["rlhf"]


# -- numbers, hours, weeks ------------------------------------------------------------------

@pytest.mark.parametrize(("token", "value"), [
    ("12", 12), ("twelve", 12), ("twenty-five", 25), ("thirty five", 35), ("十二", 12), ("两", 2), ("二十五", 25),
    ("半", 0.5), ("half a", 0.5), ("a few", 3), ("a dozen", 12), ("pineapple", None),
])
def test_number_words_in_both_languages(token, value):
    assert number(token) == value


@pytest.mark.parametrize(("text", "hours"), [
    ("I have 10 hours a week", 10), ("about 10h/week", 10), ("12 hours per week", 12), ("3h/wk", 3),
    ("8-10 hrs weekly", 9), ("2 hours a day", 14), ("two hours every weekday", 10), ("an hour a day", 7),
    ("half an hour a day", 4), ("30 minutes a day", 4), ("twenty-five hours a week", 25), ("1.5 hours a week", 2),
    ("每周10小时", 10), ("每周十小时", 10), ("一周 8 个小时", 8), ("每周大概十二个小时", 12), ("每天两小时", 14),
    ("10小时/周", 10), ("每天能学 3-4 小时，差不多一周 25h", 25), ("工作日每天一个半小时", 8),
    ("no numbers here", None), ("200 hours a week", 80),
])
def test_hours_per_week(text, hours):
    reading = parse_hours(text)
    assert (reading.value if reading else None) == hours


@pytest.mark.parametrize(("text", "weeks"), [
    ("for 3 months", 13), ("12 weeks", 12), ("two months", 9), ("half a year", 26), ("a year", 52),
    ("a month and a half", 6), ("one semester", 16), ("a full-year plan", 52), ("over the next year", 52),
    ("三个月", 13), ("12 周", 12), ("半年", 26), ("两个月", 9), ("两个半月", 11), ("一年半", 78), ("一个学期", 16),
    ("3~6个月", 26), ("6 months of free time", 26),
    ("I have 10 years of experience", None), ("twice a week", None), ("第3周开始", None), ("3 years of PyTorch", None),
    ("2 years ago", None), ("I've used PyTorch for 2 years", None), ("我学了两年 Python", None),
    ("React 写了四年", None), ("在游戏公司做了 5 年图形渲染", None), ("工作三年了", None),
    ("(I've trained ViTs for two years), next 10 weeks", 10),
])
def test_weeks(text, weeks):
    reading = parse_weeks(text, TODAY)
    assert (reading.value if reading else None) == weeks


@pytest.mark.parametrize(("text", "today", "weeks"), [
    ("till March", TODAY, 8), ("until the end of June", TODAY, 25), ("by June 30", TODAY, 25),
    ("到三月", TODAY, 8), ("到明年三月底", TODAY, 64), ("年底前", TODAY, 51), ("until 2025-04-01", TODAY, 12),
    ("till March", date(2025, 5, 1), 43),  # a month already past this year means next year's
    ("5 hrs/wk through June", date(2025, 3, 3), 17),  # through a month: all of it
    ("for the rest of the year", date(2025, 9, 1), 17), ("今年剩下的时间", date(2025, 9, 1), 17),
])
def test_deadlines_count_from_the_injected_date(text, today, weeks):
    assert parse_weeks(text, today).value == weeks


def test_hours_phrase_is_not_read_as_a_plan_length(cur):
    draft = read("一周 8 个小时，三个月", cur)
    assert (draft.hours_per_week, draft.weeks) == (8, 13)
    assert read("10 hours a week", cur).weeks is None
    assert read("3h/wk, 4 weeks", cur).evidence == {"hours_per_week": "3h/wk", "weeks": "4 weeks"}


@pytest.mark.parametrize(("text", "lang"), [
    ("I want to learn transformers", "en"), ("我想学习 transformer 和 pytorch", "zh"),
    ("I want to learn 大模型 quickly", "en"),
])
def test_language_by_script(cur, text, lang):
    assert read(text, cur).language == lang


# -- what each clause says ------------------------------------------------------------------

def test_clauses_before_the_first_cue_take_it():
    parts = clauses("但 RLHF、LoRA、KV cache、MoE 这些只知道名字，说不清原理")
    assert [c.polarity for c in parts if c.text.startswith(("RLHF", "LoRA", "KV"))] == ["neg", "neg", "neg"]


def test_a_wish_goes_on_until_a_new_subject_speaks():
    assert [c.polarity for c in clauses("Goal: understand and tune LLM serving, and I know Python")] == \
        ["want", "want", "want", "pos"]


@pytest.mark.parametrize(("text", "polarity"), [
    ("C++ 没问题", "pos"), ("No plans to become a researcher", "avoid"), ("不打算深入", "avoid"),
    ("深度学习只停留在听说过的程度", "neg"), ("I'm shaky on RLHF", "neg"), ("I run inference infra", "pos"),
])
def test_clause_polarity(text, polarity):
    assert clauses(text)[0].polarity == polarity


# -- known topics, negations, resource names ------------------------------------------------

def test_deepseek_roadmap_background(cur):
    text = (ROOT / "corpus/roadmaps/llm-roadmap-deepseek-chatgpt.txt").read_text(encoding="utf-8")
    draft = read(text.split("## DeepSeek")[0], cur)
    assert set(draft.known) == {"python_pytorch", "dl_basics"}
    assert {"attention_transformer", "llm_overview"} <= set(draft.not_known)
    assert draft.language == "zh"
    assert draft.goal == Goal.implement_from_scratch


@pytest.mark.parametrize(("text", "known"), [
    ("I can write CNNs in PyTorch and know C++, but I don't get transformers.", {"python_pytorch", "dl_basics"}),
    ("I know deep learning and transformers well.", {"dl_basics", "attention_transformer"}),
    ("I've written CNNs before.", {"dl_basics"}),
    ("Finished CS231n and nanoGPT last year.", {"dl_basics", "gpt_from_scratch"}),
    ("Already did all the Stanford CS224N assignments.", {"nlp_basics", "sequence_models", "attention_transformer",
                                                          "pretrained_models"}),
    ("学过线性代数和概率。", {"math_basics"}),
    ("我熟悉 PyTorch，学过 Transformer 和 BERT，但不懂强化学习里的 PPO。",
     {"python_pytorch", "attention_transformer", "pretrained_models"}),
    ("CS231n 的作业都写完了", {"dl_basics"}),
    ("GEMM、shared memory、warp 级优化这些都很熟，C++ 没问题", {"gpu_cuda_triton"}),
    ("I run inference infra at a startup: Kubernetes, GPUs, some CUDA profiling.", {"gpu_cuda_triton"}),
])
def test_known_topics_from_topic_and_resource_names(cur, names, text, known):
    draft = read(text, cur, names)
    assert set(draft.known) == known
    assert all(draft.sources[f"known:{t}"] == "parser" and draft.evidence[f"known:{t}"] for t in known)


@pytest.mark.parametrize("text", [
    "I don't get transformers", "I do not understand RLHF or LoRA", "I'm not familiar with diffusion models",
    "我不太理解 transformer", "我不了解 RLHF", "我不会 CUDA", "完全没学过 LoRA",
    "I'm shaky on RLHF, LoRA and KV caching",
    "RLHF、LoRA、KV cache、MoE 这些只知道名字，说不清原理",
])
def test_negated_topics_are_not_known(cur, text):
    draft = read(text, cur)
    assert draft.known == []
    assert draft.not_known


@pytest.mark.parametrize("text", ["I want to learn transformers", "我想学习 Transformer 和 RLHF"])
def test_wanted_topics_are_not_known_but_learned(cur, text):
    draft = read(text, cur)
    assert draft.known == [] and draft.learn


def test_inherited_polarity_within_a_sentence(cur):
    assert set(read("I know PyTorch and CNNs.", cur).known) == {"python_pytorch", "dl_basics"}
    assert read("I don't know PyTorch and CNNs.", cur).known == []


def test_a_field_named_as_a_modifier_is_not_wanted(cur):
    draft = read("I want to tune LLM serving and 想做大模型推理引擎", cur)
    assert "inference_serving" in draft.learn and "llm_overview" not in draft.learn


def test_the_means_of_a_wish_is_not_what_is_wanted(cur):
    draft = read("老板让我用大模型做一个智能客服，能查知识库。", cur)
    assert draft.learn == ["agents_rag"] and draft.goal == Goal.build_llm_apps
    assert read("I want to build RAG with LangChain", cur).learn == ["agents_rag"]


def test_lacking_what_the_goal_needs_makes_it_a_topic_to_learn(cur):
    draft = read("I know CUDA well but deep learning I only heard of. I want to work on LLM inference.", cur)
    assert draft.known == ["gpu_cuda_triton"] and "dl_basics" in draft.learn
    assert draft.goal == Goal.llm_systems_inference


# -- goals, areas and what the roadmaps do not cover ----------------------------------------

@pytest.mark.parametrize(("text", "goal", "area"), [
    ("I want to understand how ChatGPT works", Goal.understand_llms, None),
    ("I'd like to implement a GPT from scratch", Goal.implement_from_scratch, None),
    ("I want to work on LLM inference serving", Goal.llm_systems_inference, None),
    ("I want to fine-tune and deploy a model for my company", Goal.finetune_deploy, None),
    ("I want to get into diffusion models", Goal.diffusion_models, None),
    ("My team wants RAG and agent features in our app and I'm supposed to build them.", Goal.build_llm_apps, None),
    ("公司想做一个基于内部文档的客服助手，要能检索文档回答问题，还要能调工单系统", Goal.build_llm_apps, None),
    ("I'm a PhD student researching diffusion models", Goal.research, "Diffusion & generative models"),
    ("PhD student; I want to research diffusion and flow matching", Goal.research, "Diffusion & generative models"),
    ("我是研究生，想做大模型对齐方向的研究", Goal.research, "微调与对齐"),
    ("想读博，研究 RLHF 和 DPO", Goal.research, "微调与对齐"),
    ("想转去做大模型推理引擎（vLLM、TensorRT-LLM 那种方向）", Goal.llm_systems_inference, None),
])
def test_goal_and_area(cur, text, goal, area):
    draft = read(text, cur)
    assert draft.goal == goal
    assert draft.area == area


def test_negated_goal_is_ignored(cur):
    assert read("I don't want to do research; I want to understand LLMs", cur).goal == Goal.understand_llms
    assert read("No plans to become a researcher - I just want the concepts of ChatGPT.", cur).goal != Goal.research


@pytest.mark.parametrize("text", ["三周后面试大模型算法岗，重点是面试常考的东西", "I'm preparing for LLM interviews"])
def test_an_uncovered_request_is_named_and_gets_the_nearest_goal(cur, text):
    draft = read(text, cur)
    assert draft.not_covered == ["interview_practice"] and draft.goal == Goal.understand_llms


@pytest.mark.parametrize(("text", "depth", "goal"), [
    ("I'm curious how ChatGPT works. No plans to train anything big - I just want to get the concepts.",
     "overview", Goal.understand_llms),
    ("产品经理，不会写代码，想搞明白 RLHF、微调、RAG 这些概念大概是什么意思。", "overview", Goal.understand_llms),
    ("想大概了解一下大模型是怎么回事，不打算深入", "overview", Goal.understand_llms),
    ("I want the big picture of diffusion models.", "overview", Goal.diffusion_models),
    ("目标是看懂大模型大概是怎么回事，自己能跑通一个小模型", "full", Goal.understand_llms),  # hands-on too
    ("I want to fine-tune LLMs and deploy them.", "full", Goal.finetune_deploy),
])
def test_concepts_only_is_an_overview_and_a_goal_about_doing_becomes_understanding(cur, text, depth, goal):
    draft = read(text, cur)
    assert (draft.depth, draft.goal) == (depth, goal)


def test_preferred_kinds(cur):
    assert read("I prefer papers and code.", cur).preferred_kinds == ["paper", "code"]
    assert read("我喜欢看视频和博客", cur).preferred_kinds == ["video", "blog"]
    assert read("I don't like videos.", cur).preferred_kinds == []


def test_draft_becomes_a_profile_with_defaults(cur):
    draft = read("每周10小时，三个月，我会 PyTorch", cur)
    profile = draft.to_profile()
    assert (profile.hours_per_week, profile.weeks, profile.language) == (10, 13, "zh")
    assert profile.known == ["python_pytorch"]
    assert profile.goal == Goal.understand_llms and "goal" not in draft.sources


# -- the model fills gaps, only with what the text supports ---------------------------------

def reply(**fields) -> str:
    return json.dumps(ProfileExtraction(**fields).model_dump(mode="json"))


def test_refine_merges_only_fields_the_text_supports(cur, prompts):
    text = "CNNs came up in a seminar. Transformers I don't get. About alignment research. Two hours a day."
    draft = read(text, cur)
    assert draft.hours_per_week == 14 and draft.known == []  # the first sentence has no cue: a gap
    llm = FakeLLM(reply(known_topics=["dl_basics", "attention_transformer", "moe", "not_a_topic"],
                        goal="research", research_area="alignment", weeks=20, preferred_kinds=["paper", "video"]))
    refined = refine_profile(draft, text, llm, cur, prompts)
    assert "dl_basics" in refined.known and refined.sources["known:dl_basics"] == "llm"
    assert "attention_transformer" not in refined.known  # the text says they don't get it
    assert "moe" not in refined.known  # never named in the text
    assert refined.weeks is None  # "20" is stated nowhere
    assert refined.preferred_kinds == []  # neither papers nor videos are mentioned
    call = llm.calls[0]
    assert call.schema is ProfileExtraction and text in call.prompt and "attention_transformer" in call.prompt


def test_refine_fills_a_number_the_text_states_in_another_form(cur, prompts):
    text = "I can spare about 2 hours daily, for roughly 3 months, to learn LLMs"
    draft = read(text, cur).model_copy(update={"hours_per_week": None, "weeks": None})
    refined = refine_profile(draft, text, FakeLLM(reply(hours_per_week=14, weeks=13)), cur, prompts)
    assert (refined.hours_per_week, refined.weeks) == (14, 13)
    assert refined.sources["hours_per_week"] == refined.sources["weeks"] == "llm"


def test_refine_never_overrides_the_parser(cur, prompts):
    text = "10 hours a week for 12 weeks, I want to understand LLMs"
    draft = read(text, cur)
    refined = refine_profile(draft, text, FakeLLM(reply(hours_per_week=3, weeks=50, goal="research")), cur, prompts)
    assert (refined.hours_per_week, refined.weeks, refined.goal) == (10, 12, Goal.understand_llms)


def test_refine_rejects_a_goal_nothing_in_the_text_points_to(cur, prompts):
    text = "Hello! 5 hours a week."
    refined = refine_profile(read(text, cur), text, FakeLLM(reply(goal="diffusion_models")), cur, prompts)
    assert refined.goal is None


@pytest.mark.parametrize("failure", [LLMUnavailable("server down"), "not json at all", '{"goal": "world_peace"}'])
def test_refine_keeps_the_parser_result_on_llm_errors(cur, prompts, failure):
    text = "每周10小时，我会 PyTorch"
    draft = read(text, cur)
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


# -- what was understood, and corrections ---------------------------------------------------

def test_understood_rows_give_value_source_and_evidence(cur, names):
    draft = read("PhD student, I know deep learning and transformers well; I want to research diffusion "
                 "and flow matching. 20 hours a week for 10 weeks.", cur, names)
    rows = {r.field: r for r in understood(draft, cur, "en")}
    assert (rows["hours_per_week"].value, rows["hours_per_week"].evidence) == ("20", "20 hours a week")
    assert (rows["weeks"].value, rows["weeks"].source) == ("10", "parser")
    assert rows["known"].value == "Deep learning basics, Attention & the Transformer"
    assert "know deep learning" in rows["known"].evidence
    assert rows["area"].value == "Diffusion & generative models" and rows["goal"].source == "parser"
    assert rows["preferred_kinds"].source == "default"


def test_corrections_replace_what_was_read_and_are_marked_as_the_learners(cur):
    draft = read("I know CNNs. 10 hours a week for 3 months.", cur)
    fixed = override(draft, cur, known=["pytorch", "注意力机制与 Transformer"], weeks=20, goal="build_llm_apps")
    profile = fixed.to_profile()
    assert profile.known == ["python_pytorch", "attention_transformer"] and profile.weeks == 20
    assert profile.goal == Goal.build_llm_apps and fixed.sources["known:python_pytorch"] == "learner"
    assert "known:dl_basics" not in fixed.sources


@pytest.mark.parametrize(("changes", "message"), [
    ({"known": ["gardening"]}, "unknown topic 'gardening'"), ({"goal": "get_rich"}, "unknown goal 'get_rich'"),
    ({"weeks": 500}, "weeks must be between 1 and 104"),
])
def test_bad_corrections_name_the_fix(cur, changes, message):
    with pytest.raises(InputError, match=message):
        override(read("10 hours a week", cur), cur, **changes)
