"""Learner text → ``ProfileDraft``: a deterministic reading the learner checks before planning.

Stage: learner free text → **profile** → planner. Everything here is deterministic and bilingual:
time from ``numbers``; what each clause says from ``clauses``; topics from the curriculum's names and
synonyms and from resource names mined from the catalog ("finished CS231n and nanoGPT"); the goal from
the goal words and the tracks of the topics the learner wants. ``refine.refine_profile`` lets the model
fill what stays empty, and ``sources`` / ``evidence`` say where every field came from.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

from tutorbot.curriculum.graph import Curriculum
from tutorbot.curriculum.models import Goal
from tutorbot.curriculum.names import ResourceNames
from tutorbot.lang import PROSE_ZH, Language, detect_lang
from tutorbot.plans.clauses import Clause, clauses
from tutorbot.plans.models import PreferredKind, ProfileDraft
from tutorbot.plans.numbers import parse_hours, parse_weeks
from tutorbot.plans.targets import goal_targets

# Ties between goals go to the more specific one.
PRIORITY = [Goal.research, Goal.diffusion_models, Goal.llm_systems_inference, Goal.build_llm_apps,
            Goal.finetune_deploy, Goal.implement_from_scratch, Goal.understand_llms]
HOW_IT_WORKS = re.compile(r"\bhow\b.{0,40}\bworks?\b|是怎么回事|怎么工作|如何工作", re.I)
FALSE_FRIENDS = re.compile(r"研究生|研究所")  # "graduate student", "institute": not research as a goal
CUE, TOPIC = 2, 1  # a goal's own words count more than a topic of one of its tracks
AREA_SKIP = {"foundations", "research"}  # a research area is a field, not the basics or research itself
OVERVIEW = re.compile(r"\bconcepts?\b|\bconceptual(?:ly)?\b|big picture|high[- ]level|\boverview\b|\bgentle\b|"
                      r"\bintuition\b|not (?:go(?:ing)? )?(?:too )?deep|for my own understanding|概念|大概|大致|"
                      r"科普|不打算深入|不深入|了解一下|是什么意思", re.I)
HANDS_ON = re.compile(r"\bimplement|\bbuild|\bcode\b|\bcoding\b|\btrain(?:ing)? (?:an? |my |our |the |models?\b|"
                      r"networks?\b|llms?\b|gpts?\b)|\brun\b|\breproduce|"
                      r"\bhands-on\b|\bdeploy|从零|实现|复现|跑通|动手|写代码|训练|部署|搭建|做出", re.I)
INSTRUMENT = re.compile(r"(?:用|使用|基于|利用|借助|\buse|\busing|\bwith|\bbased on)\s*$", re.I)
DOING_GOALS = {Goal.finetune_deploy, Goal.build_llm_apps, Goal.llm_systems_inference, Goal.implement_from_scratch}
PREFER = re.compile(r"\b(?:prefer|like|love|enjoy|favou?rite|mostly|learn best|best)\b|喜欢|偏好|倾向|更爱|爱看|习惯")
KINDS: list[tuple[PreferredKind, str]] = [
    ("video", r"\bvideos?\b|\byoutube\b|\blectures?\b|\bbilibili\b|视频|b站"),
    ("course", r"\bcourses?\b|\bmoocs?\b|\bclass(?:es)?\b|课程|公开课|网课"),
    ("paper", r"\bpapers?\b|\barxiv\b|论文"),
    ("code", r"\bcode\b|\bcoding\b|\brepos?(?:itor(?:y|ies))?\b|\bgithub\b|\bhands-on\b|\bnotebooks?\b|代码|源码|动手"),
    ("blog", r"\bblogs?\b|\barticles?\b|\bposts?\b|博客|文章"),
    ("book", r"\bbooks?\b|\btextbooks?\b|书"),
]


def profile_language(text: str) -> Language:
    return detect_lang(text, zh_from=PROSE_ZH, strict=True)


def parse_profile(text: str, curriculum: Curriculum, *, names: ResourceNames | None = None,
                  today: date | None = None) -> ProfileDraft:
    """Deterministic reading of a learner's self-description; ``sources`` marks what it found."""
    draft = ProfileDraft(language=profile_language(text))
    draft.sources["language"] = "parser"
    _read_time(draft, text, today)
    parts = clauses(text)
    _read_topics(draft, parts, curriculum, names)
    _read_goal(draft, parts, curriculum)
    _read_depth(draft, parts)
    _read_learn(draft, parts, curriculum, names)
    _read_not_covered(draft, parts, curriculum)
    _read_kinds(draft, parts)
    return draft


def _set(draft: ProfileDraft, field: str, value: object, evidence: str) -> None:
    setattr(draft, field, value)
    draft.sources[field] = "parser"
    draft.evidence[field] = evidence.strip()


def _read_time(draft: ProfileDraft, text: str, today: date | None) -> None:
    hours = parse_hours(text)
    if hours is not None:
        _set(draft, "hours_per_week", hours.value, hours.evidence)
        a, b = hours.span
        text = text[:a] + " " * (b - a) + text[b:]  # "一周 8 小时" is a weekly budget, not a 1-week plan
    if (weeks := parse_weeks(text, today)) is not None:
        _set(draft, "weeks", weeks.value, weeks.evidence)


def topics_in(text: str, curriculum: Curriculum, names: ResourceNames | None) -> list[str]:
    """Topic ids a clause names: topic names and synonyms, and the topics of resources it names."""
    found = [tid for tid, _, _ in curriculum.mentions(text)]
    if names is not None:
        found += [tid for _, tids, _, _ in names.find(text) for tid in tids]
    return list(dict.fromkeys(found))


def _read_topics(draft: ProfileDraft, parts: list[Clause], cur: Curriculum, names: ResourceNames | None) -> None:
    known: dict[str, str] = {}
    negative: dict[str, str] = {}
    for c in parts:
        for tid in topics_in(c.text, cur, names):
            if c.polarity == "neg":
                negative.setdefault(tid, c.text)
            elif c.polarity == "pos":
                known.setdefault(tid, c.text)
    # A topic also mentioned negatively ("know a bit of X but don't get X") is not known.
    for tid, said in known.items():
        if tid not in negative:
            _add(draft, "known", tid, said)
    draft.not_known = list(negative)
    for tid, said in negative.items():
        draft.evidence[f"not_known:{tid}"] = said


def _add(draft: ProfileDraft, field: str, item: str, evidence: str, source: str = "parser") -> None:
    values = getattr(draft, field)
    if item not in values:
        values.append(item)
        draft.sources[f"{field}:{item}"] = source  # type: ignore[assignment]
        draft.evidence[f"{field}:{item}"] = evidence


def _read_goal(draft: ProfileDraft, parts: list[Clause], cur: Curriculum) -> None:
    """The best-supported goal: first from what the learner wants, else from their neutral sentences."""
    for pool in ([c for c in parts if c.polarity == "want"], [c for c in parts if c.polarity == "none"]):
        pool = [c.model_copy(update={"text": FALSE_FRIENDS.sub(" ", c.text)}) for c in pool]
        scores, said = _goal_scores(pool, cur)
        if Goal.research in scores and any(Goal.research in cur.goal_mentions(c.text) for c in pool):
            _set(draft, "goal", Goal.research, said[Goal.research])
            return _read_area(draft, pool, cur)
        if scores:
            goal = max(scores, key=lambda g: (scores[g], -PRIORITY.index(g)))
            return _set(draft, "goal", goal, said[goal])
    return None


def _goal_scores(pool: list[Clause], cur: Curriculum) -> tuple[Counter[Goal], dict[Goal, str]]:
    scores: Counter[Goal] = Counter()
    said: dict[Goal, str] = {}
    for c in pool:
        hits = [(g, CUE) for g in dict.fromkeys(cur.goal_mentions(c.text))]
        hits += [(Goal.understand_llms, CUE)] if HOW_IT_WORKS.search(c.text) else []
        hits += [(u.nearest, CUE) for u in cur.uncovered_mentions(c.text) if u.nearest]
        tracks = [tr for tid, _, _ in cur.mentions(c.text) for tr in cur.topic(tid).tracks]
        hits += [(g, TOPIC) for tr in tracks + _tracks_named(c.text, cur, skip=set()) for g, spec in cur.goals.items()
                 if tr in spec.tracks]
        for goal, points in hits:
            scores[goal] += points
            said.setdefault(goal, c.text)
    return scores, said


def _read_area(draft: ProfileDraft, pool: list[Clause], cur: Curriculum) -> None:
    """A research goal's area: the track the learner's wanted topics and track names point to most."""
    tracks: Counter[str] = Counter()
    said: dict[str, str] = {}
    for c in pool:
        for tr in cur.track_mentions(c.text) + [tr for tid, _, _ in cur.mentions(c.text)
                                                for tr in cur.topic(tid).tracks[:1]]:
            if tr not in AREA_SKIP:
                tracks[tr] += 1
                said.setdefault(tr, c.text)
    if tracks:
        best = max(tracks, key=lambda tr: (tracks[tr], -[t.id for t in cur.tracks].index(tr)))
        _set(draft, "area", cur.track(best).name.get(draft.language), said[best])


def _read_depth(draft: ProfileDraft, parts: list[Clause]) -> None:
    """An overview (concepts, no coding) when the learner asks for concepts and for nothing hands-on; a goal
    about doing things then becomes understanding LLMs."""
    asked = next((c.text for c in parts if c.polarity != "neg" and OVERVIEW.search(c.text)), None)
    if asked is None or any(HANDS_ON.search(c.text) for c in parts if c.polarity in ("want", "pos", "none")):
        return
    _set(draft, "depth", "overview", asked)
    if draft.goal in DOING_GOALS and draft.source_of("goal") == "parser":
        _set(draft, "goal", Goal.understand_llms, draft.evidence.get("goal", asked))


def _read_learn(draft: ProfileDraft, parts: list[Clause], cur: Curriculum, names: ResourceNames | None) -> None:
    """Topics to learn: those the learner wants, and those they say they lack that their goal needs."""
    known = set(draft.known)
    goal = draft.goal or Goal.understand_llms
    targets = goal_targets(goal, draft.area if goal == Goal.research else None, cur)
    relevant = set(targets) | cur.ancestors(targets, soft=True)
    goal_tracks = {tr for t in targets for tr in cur.topic(t).tracks}
    for c in parts:
        if c.polarity == "want":
            wanted = _wanted_topics(c.text, cur, names) + [t.id for tr in _tracks_named(c.text, cur)
                                                           for t in cur.topics if tr in t.tracks]
            for tid in wanted:
                if tid not in known:
                    _add(draft, "learn", tid, c.text)
    for tid in draft.not_known:
        if tid not in known and (tid in relevant or goal_tracks & set(cur.topic(tid).tracks)):
            _add(draft, "learn", tid, draft.evidence.get(f"not_known:{tid}", ""))


def _wanted_topics(text: str, cur: Curriculum, names: ResourceNames | None) -> list[str]:
    """Topics a wish names, except a field named only as a modifier (in "LLM serving" or "大模型推理引擎" the
    learner wants serving, not an LLM survey) or as the means ("用大模型做客服", "build it with LangChain")."""
    heads = [s for _, s, _ in cur.mentions(text)] + [s for _, s, _ in cur.goal_index().find(text)]
    found = [tid for tid, s, e in cur.mentions(text)
             if not any(0 <= h - e <= 1 for h in heads) and not INSTRUMENT.search(text[:s])]
    if names is not None:
        found += [tid for _, tids, _, _ in names.find(text) for tid in tids]
    return list(dict.fromkeys(found))


def _tracks_named(text: str, cur: Curriculum, skip: set[str] = AREA_SKIP) -> list[str]:
    """Tracks a clause names as a field ("the post-training side"), not inside a topic's name ("transformers",
    "大语言模型"), and by default not the basics or research in general."""
    topics = [(s, e) for _, s, e in cur.mentions(text)]
    return [tr for tr, s, e in cur.track_index().find(text)
            if tr not in skip and not any(s < te and ts < e for ts, te in topics)]


def _read_not_covered(draft: ProfileDraft, parts: list[Clause], cur: Curriculum) -> None:
    for c in parts:
        if c.polarity in ("want", "none"):
            for u in cur.uncovered_mentions(c.text):
                _add(draft, "not_covered", u.id, c.text)


def _read_kinds(draft: ProfileDraft, parts: list[Clause]) -> None:
    """Kinds named after a preference cue, up to the end of its sentence ("I prefer papers and code")."""
    liking: int | None = None
    for c in parts:
        if PREFER.search(c.text.lower()):
            liking = c.sentence
        if c.polarity == "neg" or liking != c.sentence:
            continue
        for kind, pattern in KINDS:
            if re.search(pattern, c.text, re.I):
                _add(draft, "preferred_kinds", kind, c.text)
