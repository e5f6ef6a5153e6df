"""Study plans: invariants for typical and random learners, re-planning, LLM guidance, export."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tutorbot.curriculum.graph import Curriculum, load_curriculum
from tutorbot.curriculum.models import Goal
from tutorbot.ingest.catalog import build_catalog, load_named
from tutorbot.ingest.corpus import load_corpus
from tutorbot.llm.client import LLMUnavailable
from tutorbot.llm.fake import FakeLLM
from tutorbot.llm.prompts import PromptLibrary
from tutorbot.plans.export import plan_to_markdown
from tutorbot.plans.guidance import PlanGuidance, strip_urls, write_guidance
from tutorbot.plans.models import LearnerProfile, Plan
from tutorbot.plans.planner import PlanError, goal_targets, make_plan
from tutorbot.plans.profile import parse_profile
from tutorbot.schemas import CatalogEntry

ROOT = Path(__file__).resolve().parents[1]
CJK = re.compile(r"[\u4e00-\u9fff]")


@functools.cache
def real_catalog() -> tuple[CatalogEntry, ...]:
    named = load_named(ROOT / "corpus" / "named_resources.yaml")
    return tuple(build_catalog(load_corpus(ROOT / "corpus").documents, named))


@functools.cache
def real_curriculum() -> Curriculum:
    return load_curriculum(ROOT / "corpus" / "curriculum.yaml", {e.id for e in real_catalog()})


@pytest.fixture
def catalog() -> list[CatalogEntry]:
    return list(real_catalog())


@pytest.fixture
def cur() -> Curriculum:
    return real_curriculum()


@pytest.fixture(scope="module")
def prompts():
    return PromptLibrary(ROOT / "prompts")


def check_plan(plan: Plan, profile: LearnerProfile, cur, catalog, done: set[str] = frozenset()) -> None:
    """The invariants every plan must keep."""
    by_id = {e.id: e for e in catalog}
    assert plan.language == profile.language
    assert len(plan.weeks) <= profile.weeks
    for w in plan.weeks:
        assert w.hours <= profile.hours_per_week * 1.1 + 1e-9, f"week {w.week} is over budget"
        for r in w.resources:  # every resource, and so every URL, is a catalog entry
            entry = by_id[r.id]
            assert (r.url, r.title, r.kind) == (entry.url, entry.title, entry.kind)
        for t in w.topics:
            assert t.name == cur.topic(t.id).name.get(profile.language)
    check_order_and_hours(plan, profile, cur, done)
    if profile.language == "zh":
        assert CJK.search(plan.summary)


def check_order_and_hours(plan: Plan, profile: LearnerProfile, cur, done: set[str] = frozenset()) -> None:
    """Prerequisites come first, known topics are not taught, each taught topic gets all its hours."""
    covered = set(profile.known) | set(done)
    skipped = covered | cur.ancestors(covered)
    sequence = [t.id for w in plan.weeks for t in w.topics if not t.review]
    deferred = {d.id for d in plan.deferred}
    first = {t: sequence.index(t) for t in sequence}
    last = {t: len(sequence) - 1 - sequence[::-1].index(t) for t in sequence}
    assert [w.week for w in plan.weeks] == list(range(1, len(plan.weeks) + 1))
    for w in plan.weeks:
        assert w.checkpoint in w.topic_ids
    for tid in first:
        assert tid not in covered, f"known topic {tid} taught again"
        for p in cur.topic(tid).prereqs:
            assert p in skipped or (p in last and last[p] < first[tid]), f"{tid} before its prerequisite {p}"
        taught = sum(t.hours for w in plan.weeks for t in w.topics if t.id == tid and not t.review)
        if tid in deferred:  # started in kept weeks, the rest no longer fits
            assert taught < cur.topic(tid).hours
        else:
            assert taught == pytest.approx(cur.topic(tid).hours)


def needed(profile, cur, targets):
    covered = set(profile.known) | cur.ancestors(profile.known)
    return (set(targets) | cur.ancestors(targets, stop=covered)) - covered


# -- typical learners -----------------------------------------------------------------------

def deepseek_learner(cur) -> LearnerProfile:
    text = (ROOT / "corpus/roadmaps/llm-roadmap-deepseek-chatgpt.txt").read_text(encoding="utf-8")
    draft = parse_profile(text.split("## DeepSeek")[0], cur)
    return draft.to_profile().model_copy(update={"hours_per_week": 10, "weeks": 20})


LEARNERS = {
    "beginner": LearnerProfile(goal="understand_llms", hours_per_week=6, weeks=40, preferred_kinds=["video"]),
    "systems": LearnerProfile(known=["python_pytorch", "dl_basics", "gpu_cuda_triton"],
                              goal="llm_systems_inference", hours_per_week=8, weeks=40, preferred_kinds=["code"]),
    "diffusion_researcher": LearnerProfile(known=["python_pytorch", "dl_basics", "generative_overview"],
                                           goal="research", area="diffusion", hours_per_week=15, weeks=12,
                                           preferred_kinds=["paper"]),
    "zh_alignment": LearnerProfile(known=["python_pytorch", "dl_basics", "attention_transformer"], goal="research",
                                   area="对齐", hours_per_week=10, weeks=26, language="zh"),
}


@pytest.mark.parametrize("name", ["deepseek", *LEARNERS])
def test_typical_learners(name, cur, catalog):
    profile = deepseek_learner(cur) if name == "deepseek" else LEARNERS[name]
    plan = make_plan(profile, cur, catalog)
    check_plan(plan, profile, cur, catalog)
    assert plan.weeks and plan.phases and not plan.deferred


def test_deepseek_learner_starts_after_what_they_know(cur, catalog):
    profile = deepseek_learner(cur)
    plan = make_plan(profile, cur, catalog)
    assert profile.language == "zh" and profile.goal == Goal.implement_from_scratch
    taught = plan.taught()
    assert "python_pytorch" not in taught and "dl_basics" not in taught
    assert taught.index("attention_transformer") < taught.index("gpt_from_scratch")
    assert "IWSLT" in " ".join(t for w in plan.weeks for t in w.tasks)


def test_goals_reach_their_topics(cur, catalog):
    plans = {name: make_plan(p, cur, catalog).taught() for name, p in LEARNERS.items()}
    assert {"ddpm", "score_sde", "flow_matching", "consistency_models", "research_skills"} <= set(
        plans["diffusion_researcher"])
    assert "llm_overview" not in plans["diffusion_researcher"]
    assert {"rlhf", "peft_lora", "research_skills"} <= set(plans["zh_alignment"])
    assert {"inference_serving", "llm_systems", "flash_attention"} <= set(plans["systems"])
    assert "gpu_cuda_triton" not in plans["systems"]
    assert plans["beginner"][0] == "python_pytorch"


def test_preferred_kinds_and_language_rank_resources(cur, catalog):
    def first_dl_resource(plan):
        return next(r for w in plan.weeks for r in w.resources if r.topic == "dl_basics")

    video = make_plan(LEARNERS["beginner"], cur, catalog)
    assert first_dl_resource(video).kind == "video"
    books = make_plan(LEARNERS["beginner"].model_copy(update={"preferred_kinds": ["book"]}), cur, catalog)
    assert first_dl_resource(books).kind == "book"
    zh = make_plan(LEARNERS["beginner"].model_copy(update={"language": "zh", "preferred_kinds": []}), cur, catalog)
    by_id = {e.id: e for e in catalog}
    assert by_id[first_dl_resource(zh).id].language == "zh"


def test_named_only_resources_have_no_url(cur, catalog):
    profile = LearnerProfile(known=["python_pytorch", "dl_basics", "nlp_basics", "sequence_models",
                                    "attention_transformer", "tokenization", "pretrained_models"],
                             goal="finetune_deploy", hours_per_week=10, weeks=20)
    resources = [r for w in make_plan(profile, cur, catalog).weeks for r in w.resources]
    lora = next(r for r in resources if r.id == "name:lora")
    assert lora.url is None and lora.title.startswith("LoRA")


def test_big_topic_spans_weeks_within_budget(cur, catalog):
    profile = LearnerProfile(goal="understand_llms", hours_per_week=3, weeks=104)
    plan = make_plan(profile, cur, catalog)
    check_plan(plan, profile, cur, catalog)
    dl = [t for w in plan.weeks for t in w.topics if t.id == "dl_basics"]
    assert len(dl) >= 6 and dl[-1].part == dl[-1].parts == len(dl)


def test_too_little_time_defers_topics_and_says_so(cur, catalog):
    profile = LearnerProfile(goal="understand_llms", hours_per_week=5, weeks=4)
    plan = make_plan(profile, cur, catalog)
    check_plan(plan, profile, cur, catalog)
    deferred = {d.id for d in plan.deferred}
    assert deferred and "deferred" in plan.summary
    assert deferred | set(plan.taught()) == needed(profile, cur, cur.goals[profile.goal].targets)
    for tid in plan.taught():
        assert not set(cur.topic(tid).prereqs) & deferred


def test_everything_known_gives_an_empty_plan(cur, catalog):
    profile = LearnerProfile(known=cur.ids, goal="diffusion_models")
    plan = make_plan(profile, cur, catalog)
    assert plan.weeks == [] and plan.deferred == [] and "already know" in plan.summary
    llm = FakeLLM(LLMUnavailable("must not be called"))
    assert write_guidance(plan, profile, llm, PromptLibrary(ROOT / "prompts")).overview and not llm.calls


def test_unknown_topic_ids_are_rejected(cur, catalog):
    with pytest.raises(PlanError, match=r"known topics \['transformers'\] are not in the curriculum"):
        make_plan(LearnerProfile(known=["transformers"]), cur, catalog)
    with pytest.raises(PlanError, match="weak topics"):
        make_plan(LearnerProfile(), cur, catalog, weak={"nope"})


def test_plan_json_shape_and_round_trip(cur, catalog):
    plan = make_plan(LEARNERS["systems"], cur, catalog)
    assert Plan.model_validate_json(plan.to_json()) == plan  # stored plans come back as `previous`
    data = json.loads(plan.to_json())
    assert {"summary", "language", "weeks", "deferred", "phases", "overview", "guidance"} <= set(data)
    week = data["weeks"][0]
    assert {"week", "hours", "topics", "resources", "tasks", "checkpoint"} <= set(week)
    assert {"title", "url", "kind"} <= set(week["resources"][0])
    assert all(p["project"] for p in data["phases"])


# -- adapting -------------------------------------------------------------------------------

def test_replan_keeps_completed_weeks_verbatim(cur, catalog):
    profile = LEARNERS["beginner"]
    first = make_plan(profile, cur, catalog)
    faster = profile.model_copy(update={"hours_per_week": 12})
    again = make_plan(faster, cur, catalog, previous=first, now_week=4)
    assert again.weeks[:3] == first.weeks[:3]
    assert again.weeks[3].week == 4 and again.weeks[3].hours > 6 * 1.1
    finished = {t.id for w in first.weeks[:3] for t in w.topics if t.part == t.parts}
    assert not finished & {t.id for w in again.weeks[3:] for t in w.topics}
    for tid in again.taught():  # a topic split across the boundary keeps its total hours
        total = sum(t.hours for w in again.weeks for t in w.topics if t.id == tid and not t.review)
        assert total == pytest.approx(cur.topic(tid).hours)


def test_marking_topics_done_removes_them(cur, catalog):
    profile = LEARNERS["beginner"]
    plan = make_plan(profile, cur, catalog, done={"nlp_basics", "tokenization"})
    check_plan(plan, profile, cur, catalog, done={"nlp_basics", "tokenization"})
    assert "sequence_models" in plan.taught()


def test_weak_topics_get_an_early_review(cur, catalog):
    profile = LEARNERS["zh_alignment"]
    first = make_plan(profile, cur, catalog)
    again = make_plan(profile, cur, catalog, done={"nlp_basics"}, weak={"nlp_basics", "attention_transformer"},
                      previous=first, now_week=3)
    week = again.weeks[2]
    assert {"nlp_basics", "attention_transformer"} <= {t.id for t in week.topics if t.review}
    assert any("复习" in task for task in week.tasks)
    assert "复习" in again.summary


def test_weak_topics_not_yet_learned_move_earlier(cur, catalog):
    profile = LEARNERS["beginner"]
    plain = make_plan(profile, cur, catalog).taught()
    weak = make_plan(profile, cur, catalog, weak={"tokenization"}).taught()
    assert plain.index("tokenization") > plain.index("attention_transformer")
    assert weak.index("tokenization") < weak.index("attention_transformer")
    assert weak.index("nlp_basics") < weak.index("tokenization")


# -- property tests -------------------------------------------------------------------------

AREAS = st.sampled_from([None, "diffusion", "alignment", "对齐", "efficiency", "MoE", "quantum gardening"])


@st.composite
def profiles(draw, ids: list[str]):
    goal = draw(st.sampled_from(list(Goal)))
    return LearnerProfile(
        known=draw(st.lists(st.sampled_from(ids), max_size=8, unique=True)), goal=goal,
        area=draw(AREAS) if goal == Goal.research else None,
        hours_per_week=draw(st.integers(1, 80)), weeks=draw(st.integers(1, 104)),
        preferred_kinds=draw(st.lists(st.sampled_from(["video", "course", "paper", "code", "blog", "book"]),
                                      max_size=3, unique=True)),
        language=draw(st.sampled_from(["zh", "en"])))


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_random_profiles_keep_the_invariants(data):
    cur, catalog = real_curriculum(), list(real_catalog())
    profile = data.draw(profiles(cur.ids))
    plan = make_plan(profile, cur, catalog)
    check_plan(plan, profile, cur, catalog)
    deferred = {d.id for d in plan.deferred}
    assert not deferred & set(plan.taught())
    # A week is only closed with less than an hour left, so a plan that needs at most
    # (budget - 1) hours per week on average must fit completely.
    total = sum(cur.topic(t).hours for t in needed(profile, cur, goal_targets(profile, cur)))
    if total <= (profile.hours_per_week - 1) * profile.weeks:
        assert not deferred


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_random_replans_keep_completed_weeks(data):
    cur, catalog = real_curriculum(), list(real_catalog())
    profile = data.draw(profiles(cur.ids))
    first = make_plan(profile, cur, catalog)
    now = data.draw(st.integers(1, max(1, len(first.weeks))))
    changed = profile.model_copy(update={"hours_per_week": data.draw(st.integers(1, 80))})
    again = make_plan(changed, cur, catalog, previous=first, now_week=now)
    assert again.weeks[:now - 1] == first.weeks[:now - 1]
    for w in again.weeks[now - 1:]:
        assert w.hours <= changed.hours_per_week * 1.1 + 1e-9
    check_order_and_hours(again, changed, cur)


# -- LLM guidance ---------------------------------------------------------------------------

def guidance(overview: str, order: str = "Prerequisites come first.", tips=("Code it yourself.",)) -> str:
    return json.dumps({"overview": overview, "order_rationale": order,
                       "phase_tips": [{"phase": i, "tips": t} for i, t in enumerate(tips, 1)]})


@pytest.fixture
def plan_en(cur, catalog):
    return make_plan(LEARNERS["systems"], cur, catalog)


def test_guidance_from_the_model_is_used_without_urls(plan_en, prompts):
    llm = FakeLLM(guidance("Master serving. See https://evil.example.com/x and [docs](http://a.io/b) or www.x.org.",
                           tips=["Profile first, read vllm.ai/blog."]))
    plan = write_guidance(plan_en, LEARNERS["systems"], llm, prompts)
    assert plan.guidance_source == "llm"
    assert plan.overview.startswith("Master serving") and "docs" in plan.overview
    text = plan.overview + plan.guidance + " ".join(p.tips for p in plan.phases)
    assert not re.search(r"https?://|www\.|\.example\.com|vllm\.ai", text)
    assert plan.phases[0].tips.startswith("Profile first")
    assert plan.phases[1].tips == plan_en.phases[1].tips  # no tip from the model: the track's template stays
    assert llm.calls[0].schema is PlanGuidance and "English" in llm.calls[0].prompt
    assert plan.weeks == plan_en.weeks  # the model never touches weeks, resources or URLs


def test_invalid_output_is_retried_once_then_templated(plan_en, prompts):
    llm = FakeLLM("{not json")
    plan = write_guidance(plan_en, LEARNERS["systems"], llm, prompts)
    assert len(llm.calls) == 2 and plan.guidance_source == "template"
    assert plan.overview and plan.guidance


def test_retry_can_succeed(plan_en, prompts):
    llm = FakeLLM(guidance(""), guidance("A solid systems path."))
    plan = write_guidance(plan_en, LEARNERS["systems"], llm, prompts)
    assert len(llm.calls) == 2 and plan.overview == "A solid systems path."


def test_unavailable_server_goes_straight_to_the_template(plan_en, prompts):
    llm = FakeLLM(LLMUnavailable("down"))
    plan = write_guidance(plan_en, LEARNERS["systems"], llm, prompts)
    assert len(llm.calls) == 1 and plan.guidance_source == "template"


def test_wrong_language_is_rejected_and_template_follows_the_plan_language(cur, catalog, prompts):
    profile = LEARNERS["zh_alignment"]
    plan = make_plan(profile, cur, catalog)
    out = write_guidance(plan, profile, FakeLLM(guidance("This is English, not Chinese.")), prompts)
    assert out.guidance_source == "template"
    assert CJK.search(out.overview) and CJK.search(out.guidance)
    zh_reply = guidance("先打好基础，再深入对齐。", "先学前置知识。", ["多动手。"])
    good = write_guidance(plan, profile, FakeLLM(zh_reply), prompts)
    assert good.guidance_source == "llm" and good.phases[0].tips == "多动手。"


def test_strip_urls_keeps_link_text_and_cjk():
    assert strip_urls("读[论文](https://arxiv.org/abs/1)，然后看 https://x.com/a。继续") == "读论文，然后看。继续"


# -- export ---------------------------------------------------------------------------------

def test_markdown_export(plan_en, catalog, cur, prompts):
    plan = write_guidance(plan_en, LEARNERS["systems"], FakeLLM("{bad"), prompts)
    md = plan_to_markdown(plan)
    assert md.startswith("# Study plan") and "## Why this order" in md
    assert all(f"### Week {w.week} " in md for w in plan.weeks)
    assert all(f"**Phase project:** {p.project}" in md for p in plan.phases)
    urls = set(re.findall(r"\]\((https?://[^)]+)\)", md))
    assert urls and urls <= {e.url for e in catalog if e.url}
    zh = plan_to_markdown(make_plan(LEARNERS["zh_alignment"], cur, catalog))
    assert zh.startswith("# 学习计划") and "### 第 1 周" in zh
