"""Study plans against the real vLLM CPU server and the real catalog.

The typical learners get plans that keep every invariant whatever the model writes; three development
learner descriptions are read (parser + the real model), planned and advised end to end, and every
sentence of advice the model wrote passes the truth gate; the CLI prints what it understood, takes
corrections and prints the documented JSON; `eval plans` scores a description file; marking topics,
changing hours and weak quiz topics re-plan the remaining weeks without losing the ones behind the learner.
"""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from conftest import SHARED
from test_planner import LEARNERS, check_plan, deepseek_learner
from typer.testing import CliRunner

from tutorbot.cli import app
from tutorbot.plans.evaluate import ProfileCase, advice, evaluate_case
from tutorbot.plans.models import LearnerProfile
from tutorbot.plans.truth import keep_supported, plan_vocabulary
from tutorbot.verify.loops import is_degenerate

pytestmark = pytest.mark.integration
URL = re.compile(r"https?://\S+")


def prose_urls(plan) -> list[str]:
    """URLs in the text the model may write (overview, guidance, phase tips)."""
    return URL.findall(" ".join([plan.overview, plan.guidance, *(p.tips for p in plan.phases)]))


@pytest.mark.parametrize("name", ["deepseek", *LEARNERS])
def test_typical_learners_with_the_real_model(real, name):
    profile = deepseek_learner(real.curriculum) if name == "deepseek" else LEARNERS[name]
    user = real.store.add_user(f"plan-{name}", "a long enough password").id
    plan = real.plans.create(user, profile)
    check_plan(plan, profile, real.curriculum, real.catalog)  # catalog URLs, order, budget, known, language
    assert plan.guidance_source in ("llm", "template") and plan.overview
    assert prose_urls(plan) == []  # no URL in a plan comes from the model
    assert real.plans.current(user) == plan  # stored


DEV_PROFILES = SHARED / "eval" / "dev_profiles.json"


def dev_case(case_id: str) -> ProfileCase:
    cases = json.loads(DEV_PROFILES.read_text(encoding="utf-8"))
    return ProfileCase.model_validate(next(c for c in cases if c["id"] == case_id))


@pytest.mark.parametrize("case_id", ["dp1", "dp3", "dp8"])  # an app builder (zh), a CUDA engineer (zh), a GPT-2 runner
def test_dev_descriptions_end_to_end_with_the_real_model(real, case_id):
    case = dev_case(case_id)
    result = evaluate_case(case, real.plans, use_llm=True, today=date(2025, 1, 6))
    failed = [k for k, ok in result.checks.items() if not ok]
    assert failed == [], f"{case_id}: {failed} ({result})"
    profile = real.plans.draft(case.text).to_profile()
    plan = real.plans.guide(real.plans.create(real.store.add_user(f"dev-{case_id}", "a long password").id,
                                              profile, guidance=False), profile)
    check_plan(plan, profile, real.curriculum, real.catalog)
    assert not is_degenerate(advice(plan)) and prose_urls(plan) == []
    vocab = plan_vocabulary(plan, real.curriculum, real.catalog)
    written = {"overview": plan.overview, "order": plan.guidance,
               **{f"tips:{i}": p.tips for i, p in enumerate(plan.phases, 1)}}
    for part, source in plan.guidance_parts.items():  # what the model wrote passes the gate as it stands
        if source == "llm":
            assert keep_supported(written[part], vocab) == written[part], part


def test_cli_reads_a_description_shows_it_and_takes_corrections(real, monkeypatch):
    monkeypatch.setenv("TUTORBOT_DATA_DIR", str(real.settings.data_dir))
    monkeypatch.setenv("TUTORBOT_LLM_BASE_URL", real.settings.llm.base_url)
    text = "PhD student, I know deep learning and transformers well; I want to research diffusion. 20 h a week."
    out = CliRunner().invoke(app, ["plan", "--text", text, "--no-llm", "--weeks", "6"])
    assert out.exit_code == 0, out.output
    assert re.search(r"hours/week\s+20\s+\[parser\]\s+← \"20 h a week\"", out.output)
    assert re.search(r"weeks\s+6\s+\[learner\]", out.output)
    assert re.search(r"known\s+Deep learning basics, Attention & the Transformer\s+\[parser\]", out.output)
    assert "### Week 6 " in out.output and "### Week 7 " not in out.output
    fixed = json.loads(CliRunner().invoke(app, [
        "plan", "--text", text, "--no-llm", "--json", "--known", "deep learning, generative_overview"]).output)
    assert {r["field"]: r["value"] for r in fixed["understood"]}["known"] == \
        "Deep learning basics, Deep generative models (VAE/GAN/flows)"
    taught = {t for w in fixed["weeks"] for t in w["topic_ids"]}
    assert "generative_overview" not in taught and "ddpm" in taught
    ends = json.loads(CliRunner().invoke(app, ["plan", "--text", text, "--no-llm", "--json", "--no-fill"]).output)
    assert ends["goal_week"] == len(ends["weeks"]) < 12
    bad = CliRunner().invoke(app, ["plan", "--text", text, "--no-llm", "--goal", "get_rich"])
    assert bad.exit_code == 2 and "unknown goal 'get_rich'" in bad.output and "Traceback" not in bad.output


def test_eval_plans_scores_a_description_file(real, tmp_path, monkeypatch):
    monkeypatch.setenv("TUTORBOT_DATA_DIR", str(real.settings.data_dir))
    cases = tmp_path / "profiles.json"
    cases.write_text(json.dumps([
        {"id": "a", "lang": "en", "text": "Product engineer, no ML. I want to build RAG and agents. 3h/wk, 4 weeks.",
         "hours_per_week": 3, "weeks": 4, "known_any": [], "expect_topics_any": ["rag"]},
        {"id": "b", "lang": "zh", "text": "学过线性代数和概率，想学扩散模型，每周十小时，到三月。",
         "today": "2025-01-06", "hours_per_week": 10, "weeks": 8, "known_any": ["线性代数"],
         "expect_topics_any": ["ddpm"]}]), encoding="utf-8")
    out = CliRunner().invoke(app, ["eval", "plans", "--profiles", str(cases), "--no-llm", "--json"])
    assert out.exit_code == 0, out.output
    report = json.loads(out.output)
    assert all(report["rates"][k] == 1.0 for k in report["rates"]), report
    assert [c["weeks"] for c in report["cases"]] == [[4, 4], [8, 8]]
    table = CliRunner().invoke(app, ["eval", "plans", "--profiles", str(cases), "--no-llm"]).output
    assert "known_not_taught" in table and "100%" in table
    missing = CliRunner().invoke(app, ["eval", "plans", "--profiles", str(tmp_path / "nope.json")])
    assert missing.exit_code == 2 and "not a list of learner descriptions" in missing.output


def test_cli_plan_json_has_the_documented_shape(real, tmp_path, monkeypatch):
    monkeypatch.setenv("TUTORBOT_DATA_DIR", str(real.settings.data_dir))
    monkeypatch.setenv("TUTORBOT_LLM_BASE_URL", real.settings.llm.base_url)
    profile = tmp_path / "me.json"
    profile.write_text(LEARNERS["systems"].model_dump_json(), encoding="utf-8")
    out = CliRunner().invoke(app, ["plan", "--profile", str(profile), "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert {"summary", "language", "weeks", "deferred"} <= set(data)
    catalog_urls = {e.url for e in real.catalog if e.url}
    for week in data["weeks"]:
        assert {"week", "hours", "topics", "resources", "tasks", "checkpoint"} <= set(week)
        assert all(set(r) >= {"title", "url", "kind"} and (r["url"] is None or r["url"] in catalog_urls)
                   for r in week["resources"])
    bad = tmp_path / "bad.json"
    bad.write_text('{"hours_per_week": -3}', encoding="utf-8")
    out = CliRunner().invoke(app, ["plan", "--profile", str(bad), "--json"])
    assert out.exit_code != 0 and "hours_per_week" in out.output and "Traceback" not in out.output


def test_marking_changing_hours_and_weak_topics_replan_the_rest(real):
    user = real.store.add_user("plan-adapts", "a long enough password").id
    profile = LearnerProfile(known=["python_pytorch", "dl_basics"], goal="implement_from_scratch",
                             hours_per_week=8, weeks=30)
    first = real.plans.create(user, profile, guidance=False)
    first_topic = first.weeks[0].topics[0].id
    marked = real.plans.mark(user, first_topic, "done")
    now = real.plans.current_week(first, {first_topic})
    assert marked.weeks[:now - 1] == first.weeks[:now - 1]  # weeks behind the learner are kept as they were
    assert first_topic not in [t.id for w in marked.weeks[now - 1:] for t in w.topics if not t.review]
    within_budget_and_catalog(marked, 8, real.catalog)
    faster = real.plans.update(user, hours_per_week=16)
    assert faster.hours_per_week == 16 and len(faster.weeks) < len(marked.weeks)
    assert f"in {len(faster.weeks)} weeks" in faster.overview  # the text describes the new plan, not the old
    assert faster.weeks[:now - 1] == first.weeks[:now - 1]
    within_budget_and_catalog(faster.model_copy(update={"weeks": faster.weeks[now - 1:]}), 16, real.catalog)
    assert len(real.store.plan_history(user)) == 3  # every version kept


def within_budget_and_catalog(plan, hours: int, catalog) -> None:
    urls = {e.id: e.url for e in catalog}
    for w in plan.weeks:
        assert w.hours <= hours + 1e-9 and all(r.url == urls[r.id] for r in w.resources)
