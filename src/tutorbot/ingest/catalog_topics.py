"""Ingestion stage 3b: the curriculum's topics onto the resource catalog's entries.

Each curriculum topic lists the resources it uses; an entry's ``topics`` gain every topic that
lists it, matched by the catalog's own grouping key, so a listed http URL finds its https entry.
A missing or broken curriculum leaves the topics empty rather than failing the ingest.
"""

from __future__ import annotations

import logging
from pathlib import Path

from tutorbot.ingest.catalog import same_resource
from tutorbot.schemas import CatalogEntry
from tutorbot.urls import normalise_url

log = logging.getLogger(__name__)


def curriculum_resources(path: Path) -> dict[str, list[str]]:
    """Topic id → the resource ids the curriculum at ``path`` lists for it.

    Empty when there is no curriculum (a custom corpus) or it is invalid: topics are a bonus
    on the catalog, never a reason to fail an ingest. The resources are not checked against
    the catalog here, since the catalog is what is being built.
    """
    import yaml

    from tutorbot.curriculum.graph import CurriculumError, parse_curriculum

    if not path.is_file():
        return {}
    # libyaml when present: the pure-Python parser takes ~0.3 s, most of an unchanged re-ingest.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        curriculum = parse_curriculum(yaml.load(path.read_text(encoding="utf-8"), Loader=loader), source=path.name)
    except (OSError, UnicodeDecodeError, yaml.YAMLError, CurriculumError) as exc:
        log.warning("catalog topics left empty: %s: %s", path, str(exc).splitlines()[0])
        return {}
    return {t.id: list(t.resources) for t in curriculum.topics}


def _resource_key(resource_id: str) -> str:
    return resource_id if resource_id.startswith("name:") else same_resource(normalise_url(resource_id))


def assign_topics(entries: list[CatalogEntry], resources_by_topic: dict[str, list[str]]) -> list[CatalogEntry]:
    """Entries whose ``topics`` also hold every curriculum topic that lists them."""
    topics: dict[str, list[str]] = {}
    for topic, resources in resources_by_topic.items():
        for rid in resources:
            topics.setdefault(_resource_key(rid), []).append(topic)
    return [e.model_copy(update={"topics": list(dict.fromkeys([*e.topics, *topics.get(_resource_key(e.id), [])]))})
            for e in entries]
