"""Plan guidance: the LLM writes the overview, why this order, and tips per phase.

Stage: planner → **guidance** → export/UI. The model only writes prose: its output is schema-bounded,
stripped of URLs (every link in a plan comes from the catalog), checked to be in the plan's language and
passed through the truth gate (``truth.keep_supported``: no loops, no filler, only sentences about this
plan's own topics and resources with facts the plan states). Each part that survives is the model's;
each that does not is template text, and ``guidance_parts`` records which is which. Output with nothing
usable is retried once; after that, or when the server is unavailable, the template is used throughout.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from tutorbot.lang import LANGUAGE_NAME
from tutorbot.llm.client import LLMClient, LLMError, LLMOutputError
from tutorbot.llm.prompts import PromptLibrary
from tutorbot.plans.models import LearnerProfile, Plan, TextSource
from tutorbot.plans.profile import profile_language
from tutorbot.plans.truth import PlanVocabulary, keep_supported

MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
URL_CHARS = r"[^\s<>()\[\]，。；、）（！？]"  # a URL ends at whitespace or CJK punctuation
URLISH = re.compile(rf"(?:https?|ftp)://{URL_CHARS}+|www\.{URL_CHARS}+|"
                    rf"\b[A-Za-z0-9.-]+\.(?:com|org|net|io|ai|dev|edu|cn|fm|co)\b(?:/{URL_CHARS}*)?", re.I)
TEMPLATE = {
    "en": {
        "overview": "This plan covers {n} topics in {weeks} weeks, from {first} to {last}. Every week ends "
                    "with a checkpoint quiz and every phase with a hands-on project.",
        "deferred": " {n} topics did not fit and are listed as deferred.",
        "order": "Each topic comes after the topics it builds on, so you never meet an idea before its "
                 "prerequisites; where several topics are ready, the roadmaps' own stage order decides.",
        "empty": "You already know everything this goal needs: these weeks review it; pick a new goal to learn more.",
    },
    "zh": {
        "overview": "本计划在 {weeks} 周内覆盖 {n} 个主题，从“{first}”到“{last}”。每周末有一次检查测验，"
                    "每个阶段以一个动手项目收尾。",
        "deferred": "另有 {n} 个主题因时间不足被推迟。",
        "order": "每个主题都排在它所依赖的主题之后，保证先学前置知识；多个主题同时可学时，按路线图自身的阶段顺序安排。",
        "empty": "这个目标需要的内容你都已掌握：这些周用于复习；想学新内容可以换一个目标。",
    },
}


class PhaseTip(BaseModel):
    phase: int = Field(ge=1, le=60, description="Phase number, starting at 1.")
    tips: str = Field(max_length=120)


class PlanGuidance(BaseModel):
    """What the model may write. The bounds are enforced during decoding, so the whole object fits
    in GUIDANCE_MAX_TOKENS even in Chinese (~1.6 SmolLM2 tokens a character): a small model fills
    every string to its limit, and looser bounds ran into max_tokens (truncated JSON) 4 times in 5."""

    overview: str = Field(max_length=280)
    order_rationale: str = Field(max_length=180)
    phase_tips: list[PhaseTip] = Field(default_factory=list, max_length=4)


# (280 + 180 + 4 * 120) characters * 1.6 tokens + JSON keys and quotes, with some margin.
GUIDANCE_MAX_TOKENS = 1700


def strip_urls(text: str) -> str:
    """Model prose without links: markdown links keep their text, bare URLs and domains go."""
    text = re.sub(r"\(\s*\)|（\s*）", "", URLISH.sub("", MD_LINK.sub(r"\1", text)))
    return re.sub(r"[ \t]+([,.;:!?，。；：！？])", r"\1", re.sub(r"[ \t]{2,}", " ", text)).strip()


def write_guidance(plan: Plan, profile: LearnerProfile, llm: LLMClient, prompts: PromptLibrary,
                   vocab: PlanVocabulary) -> Plan:
    """``plan`` with overview, order rationale and phase tips from the model where they pass the
    truth gate, and from templates elsewhere."""
    if not plan.taught():
        return template_guidance(plan)  # nothing new to explain: no need to wait for the model
    messages = [{"role": "user", "content": _prompt(plan, profile, prompts)}]
    for _attempt in range(2):
        try:
            out = llm.structured(messages, PlanGuidance, max_tokens=GUIDANCE_MAX_TOKENS)
        except LLMOutputError:
            continue
        except LLMError:
            break  # the server is down or busy: retrying now only delays the plan
        checked = validated(out, plan, vocab)
        if checked.overview or checked.order_rationale or checked.phase_tips:
            return _apply(plan, checked)
    return template_guidance(plan)


def validated(out: PlanGuidance, plan: Plan, vocab: PlanVocabulary) -> PlanGuidance:
    """What a learner may read of the model's guidance: URL-free, in the plan's language, and kept by
    the truth gate; a part that does not pass is empty."""
    kept: list[str] = []

    def check(text: str) -> str:
        text = strip_urls(text)
        if not text or profile_language(text) != plan.language:
            return ""
        if good := keep_supported(text, vocab, kept):
            kept.append(good)
        return good

    overview, order = check(out.overview), check(out.order_rationale)
    tips = [PhaseTip(phase=t.phase, tips=tip) for t in out.phase_tips
            if t.phase <= len(plan.phases) and (tip := check(t.tips))]
    return PlanGuidance(overview=overview, order_rationale=order, phase_tips=tips)


def template_guidance(plan: Plan) -> Plan:
    """The plan with template advice in every part (a re-plan, a failed or unavailable model)."""
    parts: dict[str, TextSource] = {"overview": "template", "order": "template"}
    parts |= {f"tips:{i}": "template" for i in range(1, len(plan.phases) + 1)}
    update = {"overview": _template_overview(plan), "guidance": TEMPLATE[plan.language]["order"],
              "guidance_source": "template", "guidance_parts": parts}
    if not plan.taught():
        update["guidance"] = ""
    return plan.model_copy(update=update)


def _template_overview(plan: Plan) -> str:
    text = TEMPLATE[plan.language]
    taught = {t.id: t.name for w in plan.weeks for t in w.topics if t.learning}
    if not taught:
        return text["empty"]
    names = list(taught.values())
    overview = text["overview"].format(n=len(names), weeks=len(plan.weeks), first=names[0], last=names[-1])
    return overview + (text["deferred"].format(n=len(plan.deferred)) if plan.deferred else "")


def _apply(plan: Plan, g: PlanGuidance) -> Plan:
    """The model's parts that passed, the template's elsewhere; ``guidance_parts`` says which is which."""
    tips = {t.phase: t.tips for t in g.phase_tips}
    phases = [p.model_copy(update={"tips": tips.get(i, p.tips)}) for i, p in enumerate(plan.phases, 1)]
    parts: dict[str, TextSource] = {"overview": "llm" if g.overview else "template",
                                    "order": "llm" if g.order_rationale else "template"}
    parts |= {f"tips:{i}": "llm" if i in tips else "template" for i in range(1, len(plan.phases) + 1)}
    return plan.model_copy(update={
        "overview": g.overview or _template_overview(plan), "phases": phases, "guidance_parts": parts,
        "guidance": g.order_rationale or TEMPLATE[plan.language]["order"], "guidance_source": "llm"})


def _prompt(plan: Plan, profile: LearnerProfile, prompts: PromptLibrary) -> str:
    names = {t.id: t.name for w in plan.weeks for t in w.topics}
    phases = "\n".join(
        f"{i}. {p.title} (weeks {p.first_week}-{p.last_week}): "
        f"{', '.join(names.get(t, t) for t in p.topics)}; project: {p.project}"
        for i, p in enumerate(plan.phases, 1))
    resources = "\n".join(dict.fromkeys(f"- {r.title} ({names.get(r.topic, r.topic)})"
                                         for w in plan.weeks for r in w.resources))
    return prompts.render(
        "plan_guidance", language_name=LANGUAGE_NAME[plan.language], goal=plan.goal.value.replace("_", " "),
        hours_per_week=plan.hours_per_week, weeks=len(plan.weeks),
        known=", ".join(k.replace("_", " ") for k in profile.known) or "-",
        deferred=", ".join(d.name for d in plan.deferred) or "-", phases=phases or "-", resources=resources or "-")
