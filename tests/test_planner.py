"""Study plans: invariants for typical and random learners, prerequisites and week packing, budget filling,
goals the roadmaps do not cover, re-planning, the guidance truth gate, export."""

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
from tutorbot.plans.planner import OVERVIEW_SHARE, PlanError, make_plan, plan_curriculum
from tutorbot.plans.profile import parse_profile
from tutorbot.plans.targets import goal_targets, implied_known, path
from tutorbot.plans.truth import keep_supported, plan_vocabulary
from tutorbot.schemas import CatalogEntry
from tutorbot.verify.loops import is_degenerate

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
    assert 1 <= len(plan.weeks) <= profile.weeks, "a plan is never empty and never longer than asked"
    for w in plan.weeks:
        assert w.hours <= profile.hours_per_week + 1e-9, f"week {w.week} is over budget"
        for r in w.resources:  # every resource, and so every URL, is a catalog entry
            entry = by_id[r.id]
            assert (r.url, r.title, r.kind) == (entry.url, entry.title, entry.kind)
        for t in w.topics:
            assert t.name == cur.topic(t.id).name.get(profile.language)
    check_order_and_hours(plan, profile, cur, done)
    if profile.language == "zh":
        assert CJK.search(plan.summary)


def check_order_and_hours(plan: Plan, profile: LearnerProfile, cur, done: set[str] = frozenset()) -> None:
    """Prerequisites (and recommended topics, when both are planned) come first, known topics are not
    taught, each taught topic gets all its hours unless the rest is deferred. An overview leaves out the
    skills to practise, and the foundations when time is short; condensed topics get an overview's share."""
    cur = plan_curriculum(profile, cur, plan.condensed)
    overview = profile.depth == "overview"
    covered = set(profile.known) | set(done)
    skipped = implied_known(covered, profile.learn, cur)
    if overview:
        skipped |= {t.id for t in cur.topics if t.practice or "foundations" in t.tracks}
    sequence = [t.id for w in plan.weeks for t in w.topics if t.learning]
    deferred = {d.id: d.hours for d in plan.deferred}
    first = {t: sequence.index(t) for t in sequence}
    last = {t: len(sequence) - 1 - sequence[::-1].index(t) for t in sequence}
    assert [w.week for w in plan.weeks] == list(range(1, len(plan.weeks) + 1))
    for w in plan.weeks:
        assert w.checkpoint in w.topic_ids
    for tid in first:
        assert tid not in covered, f"known topic {tid} taught again"
        for p in cur.topic(tid).prereqs:
            assert p in skipped or (p in last and last[p] < first[tid]), f"{tid} before its prerequisite {p}"
        for p in cur.topic(tid).recommended:
            assert p not in first or last[p] < first[tid], f"{tid} before its recommended predecessor {p}"
        taught = sum(t.hours for w in plan.weeks for t in w.topics if t.id == tid and t.learning)
        assert taught + deferred.get(tid, 0.0) == pytest.approx(cur.topic(tid).hours)


def needed(profile, cur, targets):
    return path(targets, implied_known(profile.known, profile.learn, cur), cur)


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
    "app_builder": LearnerProfile(goal="build_llm_apps", hours_per_week=3, weeks=4),
}


@pytest.mark.parametrize("name", ["deepseek", *LEARNERS])
def test_typical_learners(name, cur, catalog):
    profile = deepseek_learner(cur) if name == "deepseek" else LEARNERS[name]
    plan = make_plan(profile, cur, catalog)
    check_plan(plan, profile, cur, catalog)
    assert plan.weeks and plan.phases


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
    assert {"rlhf", "peft_lora", "research_skills"} <= set(plans["zh_alignment"])
    assert {"inference_serving", "llm_systems", "flash_attention"} <= set(plans["systems"])
    assert "gpu_cuda_triton" not in plans["systems"]
    assert plans["beginner"][0] == "llm_intro"  # the big picture first, as the roadmaps advise


def test_preferred_kinds_and_language_rank_resources(cur, catalog):
    def first_resource(plan, topic):
        return next(r for w in plan.weeks for r in w.resources if r.topic == topic)

    video = make_plan(LEARNERS["beginner"], cur, catalog)
    assert first_resource(video, "dl_basics").kind == "video"
    books = make_plan(LEARNERS["beginner"].model_copy(update={"preferred_kinds": ["book"]}), cur, catalog)
    assert first_resource(books, "python_numpy").kind == "book"
    zh = make_plan(LEARNERS["beginner"].model_copy(update={"language": "zh", "preferred_kinds": []}), cur, catalog)
    by_id = {e.id: e for e in catalog}
    assert by_id[first_resource(zh, "python_numpy").id].language == "zh"


def test_named_only_resources_have_no_url(cur, catalog):
    profile = LearnerProfile(known=["python_pytorch", "dl_basics", "nlp_basics", "sequence_models",
                                    "attention_transformer", "tokenization", "pretrained_models"],
                             goal="finetune_deploy", hours_per_week=10, weeks=20)
    resources = [r for w in make_plan(profile, cur, catalog).weeks for r in w.resources]
    lora = next(r for r in resources if r.id == "name:lora")
    assert lora.url is None and lora.title.startswith("LoRA")


# -- prerequisites and week packing (UI issue: overloaded first week, 16 h on 15, FlashAttention before CUDA) ----

def test_flash_attention_comes_after_the_gpu_programming_it_presupposes(cur, catalog):
    assert "gpu_cuda_triton" in cur.topic("flash_attention").prereqs
    plan = make_plan(LearnerProfile(goal="llm_systems_inference", hours_per_week=15, weeks=40), cur, catalog)
    taught = plan.taught()
    assert taught.index("gpu_cuda_triton") < taught.index("flash_attention")


@pytest.mark.parametrize("hours", [15, 6, 25])
def test_no_week_exceeds_the_weekly_hours(cur, catalog, hours):
    for goal in Goal:
        plan = make_plan(LearnerProfile(goal=goal, hours_per_week=hours, weeks=30), cur, catalog)
        assert max(w.hours for w in plan.weeks) <= hours


def test_a_week_opens_with_a_reading_list_it_can_finish(cur, catalog):
    plan = make_plan(LearnerProfile(goal="understand_llms", hours_per_week=15, weeks=30), cur, catalog)
    for w in plan.weeks:
        starts = sum(t.learning and t.part == 1 for t in w.topics)
        assert len(w.resources) <= max(4, starts), f"week {w.week} has {len(w.resources)} resources"
        assert {r.topic for r in w.resources} >= {t.id for t in w.topics if t.learning and t.part == 1}


def test_recommended_topics_are_planned_when_the_time_allows(cur, catalog):
    roomy = make_plan(LearnerProfile(goal="understand_llms", hours_per_week=10, weeks=40), cur, catalog).taught()
    tight = make_plan(LearnerProfile(goal="understand_llms", hours_per_week=10, weeks=13), cur, catalog).taught()
    assert "sequence_models" in cur.topic("attention_transformer").recommended
    assert roomy.index("sequence_models") < roomy.index("attention_transformer")
    assert "sequence_models" not in tight and "attention_transformer" in tight


# -- what the learner knows and wants --------------------------------------------------------

def test_known_topics_are_skipped_and_missing_prerequisites_added(cur, catalog):
    profile = LearnerProfile(known=["dl_basics", "attention_transformer"], goal="research", area="diffusion",
                             hours_per_week=20, weeks=10)
    taught = make_plan(profile, cur, catalog).taught()
    assert not {"dl_basics", "attention_transformer", "python_pytorch", "math_basics"} & set(taught)
    assert taught[:2] == ["generative_overview", "ddpm"]  # the missing prerequisite of diffusion first


def test_a_topic_the_learner_lacks_is_not_assumed_from_what_they_know(cur, catalog):
    profile = LearnerProfile(known=["gpu_cuda_triton"], learn=["dl_basics"], goal="llm_systems_inference",
                             hours_per_week=12, weeks=30)
    taught = make_plan(profile, cur, catalog).taught()
    assert "dl_basics" in taught and "python_pytorch" in taught and "gpu_cuda_triton" not in taught


def test_wanted_topics_come_first_in_the_learners_order(cur, catalog):
    profile = LearnerProfile(known=["dl_basics", "gpt_from_scratch", "pretrained_models"],
                             learn=["scaling_laws", "distributed_training", "rlhf"], hours_per_week=12, weeks=9)
    taught = make_plan(profile, cur, catalog).taught()
    assert taught.index("scaling_laws") < taught.index("distributed_training") < taught.index("rlhf")
    assert taught.index("rlhf") < taught.index("kv_cache")  # a goal target the learner did not name comes later


# -- using the budget ------------------------------------------------------------------------

def test_a_long_budget_is_filled_after_the_goal_and_the_plan_says_so(cur, catalog):
    profile = LEARNERS["diffusion_researcher"].model_copy(update={"hours_per_week": 20, "weeks": 10})
    plan = make_plan(profile, cur, catalog)
    check_plan(plan, profile, cur, catalog)
    assert len(plan.weeks) == 10 and plan.goal_week is not None and plan.goal_week < 10
    later = [t for w in plan.weeks if w.week > plan.goal_week for t in w.topics]
    assert any(t.project for t in later) and any(t.learning for t in later)
    assert f"path ends in week {plan.goal_week}" in plan.summary and "go further" in plan.summary
    assert any("Project time for" in task for w in plan.weeks for task in w.tasks)


def test_a_free_last_week_starts_the_next_topic(cur, catalog):
    profile = LearnerProfile(goal="build_llm_apps", hours_per_week=5, weeks=17)
    plan = make_plan(profile, cur, catalog)
    check_plan(plan, profile, cur, catalog)
    assert len(plan.weeks) == 17 and plan.goal_week == 5
    started = [d for d in plan.deferred if d.id in plan.taught()]
    assert len(started) == 1 and f"{started[0].name} is started in the last weeks" in plan.summary


def test_without_filling_the_plan_ends_with_the_goal_and_says_so(cur, catalog):
    profile = LEARNERS["diffusion_researcher"].model_copy(update={"hours_per_week": 20, "weeks": 10,
                                                                  "fill_weeks": False})
    plan = make_plan(profile, cur, catalog)
    assert len(plan.weeks) == plan.goal_week < 10
    assert f"{10 - plan.goal_week} weeks before your 10" in plan.summary


def test_everything_known_still_gives_review_weeks(cur, catalog, prompts):
    profile = LearnerProfile(known=cur.ids, goal="diffusion_models", hours_per_week=8, weeks=4)
    plan = make_plan(profile, cur, catalog)
    assert plan.weeks and all(t.review or t.project for w in plan.weeks for t in w.topics)
    assert plan.deferred == [] and "already know everything" in plan.summary
    llm = FakeLLM(LLMUnavailable("must not be called"))
    guided = write_guidance(plan, profile, llm, prompts, plan_vocabulary(plan, cur, catalog))
    assert guided.overview and not llm.calls


def test_an_overview_leaves_out_skills_and_projects_and_takes_less_time(cur, catalog):
    profile = LearnerProfile(goal="understand_llms", hours_per_week=2, weeks=26, depth="overview")
    plan = make_plan(profile, cur, catalog)
    check_plan(plan, profile, cur, catalog)
    taught = plan.taught()
    assert taught[0] == "llm_intro" and "attention_transformer" in taught
    assert not {t.id for t in cur.topics if t.practice} & set(taught)  # no Python, PyTorch, CUDA...
    hours = {t: sum(x.hours for w in plan.weeks for x in w.topics if x.id == t) for t in taught}
    assert hours["attention_transformer"] == round(cur.topic("attention_transformer").hours * OVERVIEW_SHARE)
    assert not any(t.project for w in plan.weeks for t in w.topics) and all(not p.project for p in plan.phases)
    assert not any(task.startswith("Project") for w in plan.weeks for task in w.tasks)
    assert "An overview" in plan.summary
    tight = make_plan(profile.model_copy(update={"weeks": 6}), cur, catalog).taught()
    assert "dl_basics" not in tight and tight[0] == "llm_intro"  # the foundations wait when time is short


def test_an_uncovered_goal_gets_the_nearest_path_and_says_what_is_missing(cur, catalog):
    profile = LEARNERS["app_builder"]
    plan = make_plan(profile, cur, catalog)
    assert plan.taught() == ["llm_intro", "prompting", "agents_rag"]
    assert len(plan.weeks) == 4 and all(w.hours == 3 for w in plan.weeks)
    assert "LangChain" in plan.not_covered[0] and "do not cover" in plan.summary
    assert [d.id for d in plan.deferred] == ["agents_rag"] and "is started" in plan.summary
    zh = make_plan(profile.model_copy(update={"language": "zh", "not_covered": ["interview_practice"]}), cur, catalog)
    assert "面试练习" in zh.summary and "路线图不涉及" in zh.summary


def test_a_topic_asked_for_with_a_deadline_is_reached_by_condensing_the_topics_before_it(cur, catalog):
    profile = LearnerProfile(known=["math_basics", "python_pytorch"], learn=["rlhf"],
                             goal="finetune_deploy", hours_per_week=12, weeks=6)
    plan = make_plan(profile, cur, catalog)
    check_plan(plan, profile, cur, catalog)
    assert "rlhf" in plan.taught() and "rlhf" not in {d.id for d in plan.deferred}
    rlhf = sum(t.hours for w in plan.weeks for t in w.topics if t.id == "rlhf")
    assert rlhf == cur.topic("rlhf").hours  # what was asked for keeps all its hours
    assert {"dl_basics", "attention_transformer"} <= set(plan.condensed) and "rlhf" not in plan.condensed
    assert "condensed to about 40%" in plan.summary
    zh = make_plan(profile.model_copy(update={"language": "zh"}), cur, catalog)
    assert "压缩到动手学习时间的约 40%" in zh.summary


def test_a_long_list_of_wanted_topics_is_named_by_its_first_three_and_how_many_more():
    from tutorbot.plans.wording import some

    assert some("en", ["A", "B"]) == "A, B"
    assert some("en", list("ABCDE")) == "A, B, C and 2 more" and some("zh", list("ABCDE")) == "A、B、C 等 5 个主题"


def test_a_plan_is_not_condensed_when_that_would_not_reach_the_topic_asked_for(cur, catalog):
    for weeks, hours in ((1, 2), (40, 10)):  # hopeless, and roomy enough at full depth
        profile = LearnerProfile(learn=["rlhf"], goal="finetune_deploy", hours_per_week=hours, weeks=weeks)
        plan = make_plan(profile, cur, catalog)
        assert plan.condensed == [] and "condensed" not in plan.summary


def test_a_tiny_budget_says_what_fits_and_what_is_left(cur, catalog):
    profile = LearnerProfile(goal="understand_llms", hours_per_week=1, weeks=1)
    plan = make_plan(profile, cur, catalog)
    check_plan(plan, profile, cur, catalog)
    assert len(plan.weeks) == 1 and plan.weeks[0].topics[0].id == "llm_intro"
    assert plan.deferred[0].id == "llm_intro" and plan.deferred[0].hours == 4
    assert "Not enough time" in plan.summary


def test_too_little_time_defers_topics_and_says_so(cur, catalog):
    profile = LearnerProfile(goal="understand_llms", hours_per_week=5, weeks=4)
    plan = make_plan(profile, cur, catalog)
    check_plan(plan, profile, cur, catalog)
    deferred = {d.id for d in plan.deferred}
    assert deferred and "left for later" in plan.summary
    assert deferred | set(plan.taught()) == needed(profile, cur, cur.goals[profile.goal].targets)
    for tid in plan.taught():
        assert not set(cur.topic(tid).prereqs) & (deferred - {tid})


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
    assert not finished & {t.id for w in again.weeks[3:] for t in w.topics if t.learning}
    for tid in again.taught():  # a topic split across the boundary keeps its total hours
        total = sum(t.hours for w in again.weeks for t in w.topics if t.id == tid and t.learning)
        assert total == pytest.approx(cur.topic(tid).hours)


def test_marking_topics_done_removes_them(cur, catalog):
    profile = LEARNERS["beginner"]
    plan = make_plan(profile, cur, catalog, done={"nlp_basics", "tokenization"})
    check_plan(plan, profile, cur, catalog, done={"nlp_basics", "tokenization"})
    assert "pretrained_models" in plan.taught()


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
        learn=draw(st.lists(st.sampled_from(ids), max_size=3, unique=True)),
        area=draw(AREAS) if goal == Goal.research else None,
        hours_per_week=draw(st.integers(1, 80)), weeks=draw(st.integers(1, 104)),
        preferred_kinds=draw(st.lists(st.sampled_from(["video", "course", "paper", "code", "blog", "book"]),
                                      max_size=3, unique=True)),
        language=draw(st.sampled_from(["zh", "en"])), fill_weeks=draw(st.booleans()),
        depth=draw(st.sampled_from(["full", "full", "overview"])))


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_random_profiles_keep_the_invariants(data):
    cur, catalog = real_curriculum(), list(real_catalog())
    profile = data.draw(profiles(cur.ids))
    plan = make_plan(profile, cur, catalog)
    check_plan(plan, profile, cur, catalog)
    deferred = {d.id for d in plan.deferred}
    assert len(deferred & set(plan.taught())) <= 1  # at most one topic is started and left unfinished
    # A week is only closed with less than an hour left, so a path that needs at most
    # (budget - 1) hours per week on average must fit completely.
    targets = goal_targets(profile.goal, profile.area, cur) + profile.learn
    need = needed(profile, cur, targets)
    total = sum(plan_curriculum(profile, cur).topic(t).hours for t in need)
    if total <= (profile.hours_per_week - 1) * profile.weeks:
        assert not deferred & set(need)  # the goal's path is complete (a free last week may start one more)
    if not deferred and profile.fill_weeks:  # the weeks given are used until nothing more fits
        assert len(plan.weeks) == profile.weeks or _nothing_fits(plan, profile, cur)


def _nothing_fits(plan: Plan, profile: LearnerProfile, cur) -> bool:
    """No further topic (with what it lacks, recommended topics included) fits the hours left."""
    cur = plan_curriculum(profile, cur, plan.condensed)
    room = (profile.weeks - len(plan.weeks)) * profile.hours_per_week
    room += max(0.0, profile.hours_per_week - plan.weeks[-1].hours)
    finished = implied_known(profile.known, profile.learn, cur)
    if profile.depth == "overview":
        finished |= {t.id for t in cur.topics if t.practice}
    covered = finished | set(plan.taught())
    skipped = cur.ancestors(plan.taught(), stop=covered, soft=True)  # left out to fit the goal: not added after
    chains = [path([tid], covered, cur, soft=True) for tid in cur.ids if tid not in covered]
    return all(sum(cur.topic(t).hours for t in chain) > room - 1e-9 for chain in chains if not chain & skipped)


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
        assert w.hours <= changed.hours_per_week + 1e-9
    check_order_and_hours(again, changed, cur)


# -- LLM guidance and its truth gate --------------------------------------------------------

def guidance(overview: str, order: str = "Attention & the Transformer comes before KV caching.",
             tips=("Profile one kernel from CMU 11868: Large Language Model Systems.",)) -> str:
    return json.dumps({"overview": overview, "order_rationale": order,
                       "phase_tips": [{"phase": i, "tips": t} for i, t in enumerate(tips, 1)]})


@pytest.fixture
def plan_en(cur, catalog):
    return make_plan(LEARNERS["systems"], cur, catalog)


def guide(plan, profile, llm, prompts, cur, catalog):
    return write_guidance(plan, profile, llm, prompts, plan_vocabulary(plan, cur, catalog))


def test_guidance_from_the_model_is_used_without_urls(plan_en, prompts, cur, catalog):
    llm = FakeLLM(guidance("You will serve models with vLLM. See https://evil.example.com/x and "
                           "[the KV cache docs](http://a.io/b) or www.x.org.",
                           tips=["Profile the Attention & the Transformer code first, then read vllm.ai/blog."]))
    plan = guide(plan_en, LEARNERS["systems"], llm, prompts, cur, catalog)
    assert plan.guidance_source == "llm" and plan.guidance_parts["overview"] == "llm"
    assert plan.overview.startswith("You will serve models with vLLM") and "KV cache docs" in plan.overview
    text = plan.overview + plan.guidance + " ".join(p.tips for p in plan.phases)
    assert not re.search(r"https?://|www\.|\.example\.com|vllm\.ai", text)
    assert plan.phases[0].tips.startswith("Profile the Attention")
    assert plan.guidance_parts["tips:2"] == "template" and plan.phases[1].tips == plan_en.phases[1].tips
    assert llm.calls[0].schema is PlanGuidance and "English" in llm.calls[0].prompt
    assert "Inference serving (vLLM)" in llm.calls[0].prompt  # the model is given the plan's own names
    assert plan.weeks == plan_en.weeks  # the model never touches weeks, resources or URLs


def test_looping_filler_and_invented_facts_never_reach_the_learner(plan_en, prompts, cur, catalog):
    loop = "The plan is designed to help you achieve your goals. " * 4
    llm = FakeLLM(guidance("This is a detailed guide to a 2-week study plan. " + loop,
                           order="Take CS999 with Prof. Smith for 7 weeks before the Attention & the Transformer.",
                           tips=["Good luck with Inference serving (vLLM)!"]))
    plan = guide(plan_en, LEARNERS["systems"], llm, prompts, cur, catalog)
    assert len(llm.calls) == 2 and plan.guidance_source == "template"
    assert set(plan.guidance_parts.values()) == {"template"}
    assert "designed to help" not in plan.overview and "CS999" not in plan.guidance


def test_the_gate_keeps_sentences_about_this_plan_and_drops_the_rest(plan_en, cur, catalog):
    vocab = plan_vocabulary(plan_en, cur, catalog)
    text = ("Start with Attention & the Transformer, then KV cache, MQA, GQA & MLA. "  # about the plan: kept
            "Stay motivated and you will achieve your goals. "  # filler
            "Learning is a journey. "  # names nothing in the plan
            "Read the Mamba-3 paper by Dr. Who in 3 days. "  # facts the plan does not state
            f"The plan takes {len(plan_en.weeks)} weeks at 8 hours a week.")  # the plan's own numbers: kept
    kept = keep_supported(text, vocab)
    assert kept.startswith("Start with Attention") and "motivated" not in kept and "journey" not in kept
    assert "Mamba-3" not in kept and f"{len(plan_en.weeks)} weeks" not in kept  # "weeks" alone names no topic
    assert keep_supported("KV cache, MQA, GQA & MLA comes first. " * 3, vocab) == ""  # a loop is dropped whole


@pytest.mark.parametrize("echo", [  # what the bundled 135M model wrote for a real plan
    "Transformers & pretraining (weeks 1-1): LLM overview & survey",
    "Efficiency & inference (weeks 3-3): Instruction tuning (SFT), LoRA & parameter-efficient fine-tuning, RLHF & pre-",
    "DeepSpeed (Distributed training & parallelism) & 6. DeepSpeed (Distributed training & parallelism) & 7. "
    "DeepSpeed (D-",
])
def test_echoed_prompt_lines_and_broken_text_are_not_sentences(cur, catalog, echo):
    profile = LearnerProfile(known=["dl_basics", "gpt_from_scratch", "pretrained_models"],
                             learn=["llm_overview", "distributed_training", "rlhf"], hours_per_week=12, weeks=9)
    plan = make_plan(profile, cur, catalog)
    vocab = plan_vocabulary(plan, cur, catalog)
    assert keep_supported(echo, vocab) == ""
    good = "Instruction tuning (SFT) comes before RLHF & preference optimisation because the reward model needs it."
    assert keep_supported(good, vocab) == good


def test_a_part_that_fails_the_gate_falls_back_to_its_template(plan_en, prompts, cur, catalog):
    llm = FakeLLM(guidance("Attention & the Transformer comes first, then Inference serving (vLLM).",
                           order="It is what it is."))
    plan = guide(plan_en, LEARNERS["systems"], llm, prompts, cur, catalog)
    assert plan.guidance_parts["overview"] == "llm" and plan.guidance_parts["order"] == "template"
    assert plan.guidance.startswith("Each topic comes after")
    assert not is_degenerate("\n".join([plan.overview, plan.guidance, *(p.tips for p in plan.phases)]))


def test_invalid_output_is_retried_once_then_templated(plan_en, prompts, cur, catalog):
    llm = FakeLLM("{not json")
    plan = guide(plan_en, LEARNERS["systems"], llm, prompts, cur, catalog)
    assert len(llm.calls) == 2 and plan.guidance_source == "template"
    assert plan.overview and plan.guidance


def test_retry_can_succeed(plan_en, prompts, cur, catalog):
    llm = FakeLLM(guidance("", order="", tips=()),
                  guidance("A solid path through Inference serving (vLLM) and LLM systems."))
    plan = guide(plan_en, LEARNERS["systems"], llm, prompts, cur, catalog)
    assert len(llm.calls) == 2 and plan.overview.startswith("A solid path")


def test_unavailable_server_goes_straight_to_the_template(plan_en, prompts, cur, catalog):
    llm = FakeLLM(LLMUnavailable("down"))
    plan = guide(plan_en, LEARNERS["systems"], llm, prompts, cur, catalog)
    assert len(llm.calls) == 1 and plan.guidance_source == "template"


def test_wrong_language_is_rejected_and_template_follows_the_plan_language(cur, catalog, prompts):
    profile = LEARNERS["zh_alignment"]
    plan = make_plan(profile, cur, catalog)
    out = guide(plan, profile, FakeLLM(guidance("This is English about RLHF, not Chinese.")), prompts, cur, catalog)
    assert out.guidance_source == "template"
    assert CJK.search(out.overview) and CJK.search(out.guidance)
    zh_reply = guidance("先学指令微调（SFT），再学 RLHF 与偏好优化。", "指令微调是 RLHF 的前置知识。",
                        ["多动手做 LoRA 实验。"])
    good = guide(plan, profile, FakeLLM(zh_reply), prompts, cur, catalog)
    assert good.guidance_source == "llm" and good.phases[0].tips == "多动手做 LoRA 实验。"


def test_strip_urls_keeps_link_text_and_cjk():
    assert strip_urls("读[论文](https://arxiv.org/abs/1)，然后看 https://x.com/a。继续") == "读论文，然后看。继续"


# -- export ---------------------------------------------------------------------------------

def test_markdown_export(plan_en, catalog, cur, prompts):
    plan = guide(plan_en, LEARNERS["systems"], FakeLLM("{bad"), prompts, cur, catalog)
    md = plan_to_markdown(plan)
    assert md.startswith("# Study plan") and "## Why this order" in md
    assert all(f"### Week {w.week} " in md for w in plan.weeks)
    assert all(f"**Phase project:** {p.project}" in md for p in plan.phases)
    urls = set(re.findall(r"\]\((https?://[^)]+)\)", md))
    assert urls and urls <= {e.url for e in catalog if e.url}
    zh = plan_to_markdown(make_plan(LEARNERS["zh_alignment"], cur, catalog))
    assert zh.startswith("# 学习计划") and "### 第 1 周" in zh


def test_a_learner_who_knows_the_goal_with_one_hour_for_one_week_still_gets_a_review():
    cur, catalog = real_curriculum(), list(real_catalog())
    profile = LearnerProfile(known=["llm_intro", "python_numpy", "agents_rag"], goal=Goal.build_llm_apps,
                             hours_per_week=1, weeks=1, fill_weeks=False, language="zh")
    plan = make_plan(profile, cur, catalog)
    assert len(plan.weeks) == 1 and plan.weeks[0].hours <= 1
    assert all(not t.learning for t in plan.weeks[0].topics)  # a review of what the goal needs, nothing new
