"""Study plans against the real vLLM CPU server and the real catalog (issue 5).

The five typical learners get plans that keep every invariant whatever the model writes; the
CLI prints the documented JSON; marking topics, changing hours and weak quiz topics re-plan the
remaining weeks without losing the ones behind the learner.
"""

from __future__ import annotations

import json
import re

import pytest
from test_planner import LEARNERS, check_plan, deepseek_learner
from typer.testing import CliRunner

from tutorbot.cli import app
from tutorbot.plans.models import LearnerProfile

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
        assert w.hours <= hours * 1.1 + 1e-9 and all(r.url == urls[r.id] for r in w.resources)
