"""The curriculum stage: load and validate ``corpus/curriculum.yaml`` into a topic graph.

Stage: corpus → catalog → **curriculum** → profile/planner. The graph must be a DAG whose
sources are the topics without prerequisites; every resource must be a catalog id. Prerequisites
are hard (a topic cannot be learned without them); ``recommended`` edges are soft (the roadmaps'
order, kept when both topics are planned and followed when the budget allows). Also answers
"which topic, track, goal or uncovered request does this text name?" for the profile parser.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from pathlib import Path

import yaml
from pydantic import BaseModel, PrivateAttr, ValidationError

from tutorbot.curriculum.aliases import AliasIndex, alias_key
from tutorbot.curriculum.models import Goal, GoalSpec, Topic, Track, Uncovered
from tutorbot.errors import TutorbotError


class CurriculumError(TutorbotError, ValueError):
    """The curriculum file is invalid; the message names the file, the topic and what to fix."""


class Curriculum(BaseModel):
    """The validated topic graph; build it with ``load_curriculum``."""

    tracks: list[Track]
    goals: dict[Goal, GoalSpec]
    topics: list[Topic]
    uncovered: list[Uncovered] = []
    _by_id: dict[str, Topic] = PrivateAttr(default_factory=dict)
    _order: dict[str, int] = PrivateAttr(default_factory=dict)
    _topic_index: AliasIndex | None = PrivateAttr(None)
    _track_index: AliasIndex | None = PrivateAttr(None)
    _goal_index: AliasIndex | None = PrivateAttr(None)
    _uncovered_index: AliasIndex | None = PrivateAttr(None)
    _scaled: dict[tuple[float, frozenset[str] | None], Curriculum] = PrivateAttr(default_factory=dict)

    def model_post_init(self, _context: object) -> None:
        self._by_id = {t.id: t for t in self.topics}
        self._order = {t.id: i for i, t in enumerate(self.topics)}

    @property
    def ids(self) -> list[str]:
        return [t.id for t in self.topics]

    def topic(self, topic_id: str) -> Topic:
        try:
            return self._by_id[topic_id]
        except KeyError:
            raise KeyError(f"unknown curriculum topic {topic_id!r}") from None

    def track(self, track_id: str) -> Track:
        return next(t for t in self.tracks if t.id == track_id)

    def topic_index(self) -> AliasIndex:
        if self._topic_index is None:
            self._topic_index = AliasIndex({a: t.id for t in self.topics for a in t.aliases()})
        return self._topic_index

    def name_of(self, topic_id: str, lang: str) -> str:
        """The topic's name in ``lang`` (zh, else English); an unknown id is shown as it is."""
        if topic_id not in self._by_id:
            return topic_id
        return self._by_id[topic_id].name.get("zh" if lang == "zh" else "en")

    def mentions(self, text: str) -> list[tuple[str, int, int]]:
        """(topic id, start, end) for every topic name or synonym in ``text``."""
        return self.topic_index().find(text)

    def match(self, text: str) -> Topic | None:
        """The topic ``text`` names: id, name or synonym in either language, else the closest one."""
        index = self.topic_index()
        found = index.exact(text) or next((m[0] for m in index.find(text)), None) or index.close(text)
        return self._by_id[found] if found else None

    def track_index(self) -> AliasIndex:
        if self._track_index is None:
            self._track_index = AliasIndex({a: t.id for t in self.tracks
                                            for a in (t.id, t.name.en, t.name.zh, *t.synonyms.en, *t.synonyms.zh)})
        return self._track_index

    def track_mentions(self, text: str) -> list[str]:
        """Ids of the tracks named in ``text``, in text order."""
        return [m[0] for m in self.track_index().find(text)]

    def match_track(self, text: str) -> Track | None:
        found = self.track_index().exact(text) or next(iter(self.track_mentions(text)), None)
        return self.track(found) if found else None

    def scaled(self, share: float, only: frozenset[str] | None = None) -> Curriculum:
        """This curriculum with every topic's hours (or only those of the topics in ``only``) times
        ``share``, in whole hours, at least one."""
        if (share, only) not in self._scaled:
            data = self.model_dump()
            for t in (t for t in data["topics"] if only is None or t["id"] in only):
                t["hours"] = float(max(1, round(t["hours"] * share)))
            self._scaled[(share, only)] = Curriculum.model_validate(data)
        return self._scaled[(share, only)]

    def goal_index(self) -> AliasIndex:
        if self._goal_index is None:
            self._goal_index = AliasIndex({a: g.value for g, spec in self.goals.items()
                                           for a in (*spec.synonyms.en, *spec.synonyms.zh)})
        return self._goal_index

    def goal_mentions(self, text: str) -> list[Goal]:
        """Goals whose words (synonyms) ``text`` uses, in text order."""
        return [Goal(m[0]) for m in self.goal_index().find(text)]

    def uncovered_mentions(self, text: str) -> list[Uncovered]:
        """Requests the roadmaps do not cover (interview practice…) that ``text`` names."""
        if self._uncovered_index is None:
            self._uncovered_index = AliasIndex({a: u.id for u in self.uncovered
                                                for a in (*u.synonyms.en, *u.synonyms.zh)})
        by_id = {u.id: u for u in self.uncovered}
        return [by_id[m[0]] for m in self._uncovered_index.find(text)]

    def before(self, topic_id: str, soft: bool = False) -> list[str]:
        """A topic's prerequisites, and with ``soft`` its recommended predecessors too."""
        t = self.topic(topic_id)
        return t.prereqs + t.recommended if soft else t.prereqs

    def ancestors(self, ids: Iterable[str], stop: Iterable[str] = (), soft: bool = False) -> set[str]:
        """All transitive prerequisites of ``ids`` (with ``soft``, recommended ones too), not walking
        into (or returning) ``stop`` topics."""
        blocked, seen = set(stop), set()
        todo = [p for i in ids for p in self.before(i, soft)]
        while todo:
            tid = todo.pop()
            if tid in seen or tid in blocked:
                continue
            seen.add(tid)
            todo.extend(self.before(tid, soft))
        return seen

    def topo_order(self, ids: Iterable[str], first: Iterable[str] = ()) -> list[str]:
        """``ids`` with prerequisites (and recommended predecessors) first; ties go to ``first`` (in its
        order), then stage order, then file order."""
        wanted, rank = set(ids), dict[str, int]()
        for i, tid in enumerate(first):
            rank.setdefault(tid, i)
        key = {i: (rank.get(i, len(rank)), self.topic(i).stage, self._order[i]) for i in wanted}
        waiting = {i: {p for p in self.before(i, soft=True) if p in wanted} for i in wanted}
        ready = [(key[i], i) for i, ps in waiting.items() if not ps]
        heapq.heapify(ready)
        out: list[str] = []
        while ready:
            _, tid = heapq.heappop(ready)
            out.append(tid)
            for other, ps in waiting.items():
                if tid in ps:
                    ps.discard(tid)
                    if not ps:
                        heapq.heappush(ready, (key[other], other))
        return out


def load_curriculum(path: Path, catalog_ids: set[str] | None = None) -> Curriculum:
    """Read and validate the curriculum; ``catalog_ids`` (when given) must contain every resource."""
    path = Path(path)
    if not path.is_file():
        raise CurriculumError(f"{path}: curriculum file not found (expected corpus/curriculum.yaml)")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 10x faster
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    except yaml.YAMLError as exc:
        raise CurriculumError(f"{path.name}: invalid YAML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CurriculumError(f"{path}: cannot be read ({exc}); save it as UTF-8 text") from None
    try:
        return parse_curriculum(data, catalog_ids, source=path.name)
    except CurriculumError as exc:  # plans and quizzes stop on it: say where, and what brings them back
        raise CurriculumError(f"{exc} (in {path}: fix it, then run `tutorbot ingest`)") from None


def parse_curriculum(data: object, catalog_ids: set[str] | None = None,
                     source: str = "curriculum.yaml") -> Curriculum:
    if not isinstance(data, dict):
        raise CurriculumError(f"{source}: expected a mapping with 'tracks', 'goals' and 'topics'")
    check_unique_ids(data.get("topics") or [], source)
    try:
        cur = Curriculum.model_validate(data)
    except ValidationError as exc:
        raise CurriculumError(f"{source}: {_describe(exc, data)}") from None
    for check in (check_prereqs, check_acyclic, check_reachable, check_references, check_aliases):
        check(cur, source)
    if catalog_ids is not None:
        check_resources(cur, catalog_ids, source)
    return cur


def _describe(exc: ValidationError, data: dict) -> str:
    err = exc.errors()[0]
    loc = list(err["loc"])
    if loc[:1] == ["topics"] and len(loc) > 1 and isinstance(loc[1], int):
        raw = data["topics"][loc[1]]
        name = raw.get("id", f"#{loc[1] + 1}") if isinstance(raw, dict) else f"#{loc[1] + 1}"
        loc = [f"topic {name!r}", *loc[2:]]
    return f"{' > '.join(str(p) for p in loc)}: {err['msg']}"


def check_unique_ids(raw_topics: list, source: str) -> None:
    seen: set[str] = set()
    for raw in raw_topics:
        tid = str(raw.get("id")) if isinstance(raw, dict) else ""
        if tid in seen:
            raise CurriculumError(f"{source}: duplicate topic id {tid!r}: give each topic a unique id")
        seen.add(tid)


def check_prereqs(cur: Curriculum, source: str) -> None:
    for t in cur.topics:
        for p in t.prereqs + t.recommended:
            if p not in cur.ids:
                raise CurriculumError(f"{source}: topic {t.id!r} requires unknown topic {p!r}")


def check_acyclic(cur: Curriculum, source: str) -> None:
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished

    def visit(tid: str, path: list[str]) -> None:
        state[tid] = 1
        for p in cur.before(tid, soft=True):
            if state.get(p) == 1:
                cycle = path[path.index(p):] + [p]
                raise CurriculumError(f"{source}: prerequisite cycle {' -> '.join(cycle)}: remove one edge")
            if p not in state:
                visit(p, path + [p])
        state[tid] = 2

    for t in cur.topics:
        if t.id not in state:
            visit(t.id, [t.id])


def check_reachable(cur: Curriculum, source: str) -> None:
    reached = {t.id for t in cur.topics if not t.prereqs}
    changed = True
    while changed:
        new = {t.id for t in cur.topics if t.id not in reached and set(t.prereqs) <= reached}
        reached |= new
        changed = bool(new)
    if missing := [i for i in cur.ids if i not in reached]:
        raise CurriculumError(f"{source}: topics not reachable from a topic without prerequisites: {missing}")


def check_references(cur: Curriculum, source: str) -> None:
    tracks = {t.id for t in cur.tracks}
    for t in cur.topics:
        if bad := set(t.tracks) - tracks:
            raise CurriculumError(f"{source}: topic {t.id!r} uses unknown track(s) {sorted(bad)}")
    for goal, spec in cur.goals.items():
        if bad := set(spec.targets + spec.area_base) - set(cur.ids):
            raise CurriculumError(f"{source}: goal {goal.value!r} targets unknown topic(s) {sorted(bad)}")
        if bad := set(spec.tracks) - tracks:
            raise CurriculumError(f"{source}: goal {goal.value!r} uses unknown track(s) {sorted(bad)}")
    if missing := set(Goal) - set(cur.goals):
        raise CurriculumError(f"{source}: goals {sorted(g.value for g in missing)} have no targets")


def check_aliases(cur: Curriculum, source: str) -> None:
    owner: dict[str, str] = {}
    for t in cur.topics:
        for a in t.aliases():
            key = alias_key(a)
            if owner.setdefault(key, t.id) != t.id:
                raise CurriculumError(f"{source}: name {a!r} is used by topics {owner[key]!r} and {t.id!r}")


def check_resources(cur: Curriculum, catalog_ids: set[str], source: str) -> None:
    for t in cur.topics:
        for r in t.resources:
            if r not in catalog_ids:
                raise CurriculumError(f"{source}: topic {t.id!r} uses resource {r!r} that is not in the "
                                      "catalog: use a catalog id (normalised URL or name:<slug>)")
