"""The curriculum stage: load and validate ``corpus/curriculum.yaml`` into a topic graph.

Stage: corpus → catalog → **curriculum** → profile/planner. The graph must be a DAG whose
sources are the topics without prerequisites; every resource must be a catalog id. Also
answers "which topic does this text name?" for the profile parser and the coverage check.
"""

from __future__ import annotations

import difflib
import heapq
import re
from collections.abc import Iterable
from pathlib import Path

import yaml
from pydantic import BaseModel, PrivateAttr, ValidationError

from tutorbot.curriculum.models import CoverageReport, Goal, GoalSpec, Section, Topic, Track
from tutorbot.errors import TutorbotError
from tutorbot.schemas import CatalogEntry, Chunk
from tutorbot.urls import find_urls

ASCII_WORD = re.compile(r"[a-z0-9]")


class CurriculumError(TutorbotError, ValueError):
    """The curriculum file is invalid; the message names the file, the topic and what to fix."""


def alias_key(text: str) -> str:
    """Loose form for exact alias comparison: case, spaces, hyphens and underscores ignored."""
    return re.sub(r"[\s\-_]+", " ", text.casefold()).strip()


class AliasIndex:
    """Finds names (aliases) of things in free text; longest alias wins, ASCII aliases need word edges."""

    def __init__(self, aliases: dict[str, str]):
        self.by_key = {alias_key(a): owner for a, owner in aliases.items() if alias_key(a)}
        parts = [self._pattern(a) for a in sorted(self.by_key, key=len, reverse=True)]
        self.regex = re.compile("|".join(parts)) if parts else None

    @staticmethod
    def _pattern(key: str) -> str:
        body = r"[\s\-_]*".join(re.escape(w) for w in key.split(" "))
        # English names may be plural in learner text ("CNNs", "transformers").
        head = r"(?<![a-z0-9])" if ASCII_WORD.match(key[0]) else ""
        tail = r"(?:e?s)?(?![a-z0-9])" if ASCII_WORD.match(key[-1]) else ""
        return head + body + tail

    def exact(self, text: str) -> str | None:
        return self.by_key.get(alias_key(text))

    def find(self, text: str) -> list[tuple[str, int, int]]:
        """(owner, start, end) of every non-overlapping alias mention, in text order."""
        if self.regex is None:
            return []
        found = []
        for m in self.regex.finditer(text.casefold()):
            key = alias_key(m.group(0))
            owner = self.by_key.get(key) or self.by_key.get(re.sub(r"e?s$", "", key))
            if owner:
                found.append((owner, m.start(), m.end()))
        return found

    def close(self, text: str, cutoff: float = 0.8) -> str | None:
        hit = difflib.get_close_matches(alias_key(text), list(self.by_key), n=1, cutoff=cutoff)
        return self.by_key[hit[0]] if hit else None


class Curriculum(BaseModel):
    """The validated topic graph; build it with ``load_curriculum``."""

    tracks: list[Track]
    goals: dict[Goal, GoalSpec]
    topics: list[Topic]
    _by_id: dict[str, Topic] = PrivateAttr(default_factory=dict)
    _order: dict[str, int] = PrivateAttr(default_factory=dict)
    _topic_index: AliasIndex | None = PrivateAttr(None)
    _track_index: AliasIndex | None = PrivateAttr(None)

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

    def ancestors(self, ids: Iterable[str], stop: Iterable[str] = ()) -> set[str]:
        """All transitive prerequisites of ``ids``, not walking into (or returning) ``stop`` topics."""
        blocked, seen = set(stop), set()
        todo = [p for i in ids for p in self.topic(i).prereqs]
        while todo:
            tid = todo.pop()
            if tid in seen or tid in blocked:
                continue
            seen.add(tid)
            todo.extend(self.topic(tid).prereqs)
        return seen

    def topo_order(self, ids: Iterable[str], first: Iterable[str] = ()) -> list[str]:
        """``ids`` with prerequisites first; ties go to ``first``, then stage order, then file order."""
        wanted, urgent = set(ids), set(first)
        key = {i: (i not in urgent, self.topic(i).stage, self._order[i]) for i in wanted}
        waiting = {i: {p for p in self.topic(i).prereqs if p in wanted} for i in wanted}
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
        for p in t.prereqs:
            if p not in cur.ids:
                raise CurriculumError(f"{source}: topic {t.id!r} requires unknown topic {p!r}")


def check_acyclic(cur: Curriculum, source: str) -> None:
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished

    def visit(tid: str, path: list[str]) -> None:
        state[tid] = 1
        for p in cur.topic(tid).prereqs:
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


def sections_from_chunks(chunks: Iterable[Chunk]) -> list[Section]:
    """Merge chunks back into their heading sections (a long section is several chunks)."""
    merged: dict[tuple[str, str], Section] = {}
    for c in chunks:
        s = merged.setdefault((c.doc_id, c.section), Section(doc_id=c.doc_id, section=c.section))
        s.text += "\n" + c.text
        s.urls += c.urls
    return list(merged.values())


def coverage(cur: Curriculum, catalog: list[CatalogEntry],
             sections: Iterable[Section | Chunk | tuple[str, str, str]]) -> CoverageReport:
    """Catalog resources no topic uses, and roadmap sections no topic covers.

    A topic covers a section when one of its names or synonyms appears in the heading path or
    text, or when the section links (or names, for link-less entries) one of its resources.
    Sections may be given as ``Section``s, ``Chunk``s or ``(doc_id, section, text)`` tuples.
    """
    used = {r for t in cur.topics for r in t.resources}
    by_id = {e.id: e for e in catalog}
    # A heading with no body of its own (its content sits in sub-sections) has nothing to cover.
    uncovered = [(s.doc_id, s.section) for s in _as_sections(sections)
                 if re.search(r"\w", s.text) and not _covers(cur, s, used, by_id)]
    return CoverageReport(unused_resources=[e.id for e in catalog if e.id not in used],
                          uncovered_sections=uncovered,
                          topics_without_resources=[t.id for t in cur.topics if not t.resources])


def _as_sections(items: Iterable[Section | Chunk | tuple[str, str, str]]) -> list[Section]:
    items = list(items)
    chunks = [i for i in items if isinstance(i, Chunk)]
    plain = [i if isinstance(i, Section) else Section(doc_id=i[0], section=i[1], text=i[2])
             for i in items if not isinstance(i, Chunk)]
    return plain + sections_from_chunks(chunks)


def _covers(cur: Curriculum, s: Section, used: set[str], by_id: dict[str, CatalogEntry]) -> bool:
    text = f"{s.section}\n{s.text}"
    if cur.mentions(text):
        return True
    if used & (set(find_urls(text)) | set(s.urls)):
        return True
    folded = text.casefold()
    return any(e.url is None and e.title.casefold() in folded for i in used if (e := by_id.get(i)))
