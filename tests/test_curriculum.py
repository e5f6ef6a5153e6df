"""Curriculum: the real file loads against the real catalog; broken files fail with clear messages."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from tutorbot.curriculum.coverage import coverage
from tutorbot.curriculum.graph import CurriculumError, load_curriculum, parse_curriculum
from tutorbot.curriculum.models import Goal, Section
from tutorbot.ingest.catalog import build_catalog, load_named
from tutorbot.ingest.chunking import chunk_document
from tutorbot.ingest.corpus import load_corpus
from tutorbot.schemas import CatalogEntry, Document
from tutorbot.settings import PROJECT_ROOT

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def documents() -> list[Document]:
    return load_corpus(ROOT / "corpus").documents


@pytest.fixture(scope="module")
def catalog(documents) -> list[CatalogEntry]:
    return build_catalog(documents, load_named(PROJECT_ROOT / "corpus" / "named_resources.yaml"))


@pytest.fixture(scope="module")
def cur(catalog):
    return load_curriculum(ROOT / "corpus" / "curriculum.yaml", {e.id for e in catalog})


def topic(tid: str, prereqs: list[str] = (), resources: list[str] = (), **extra) -> dict:
    return {"id": tid, "name": {"en": tid.title(), "zh": f"主题{tid}"}, "description": {"en": "d", "zh": "描述"},
            "prereqs": list(prereqs), "tracks": ["t"], "hours": 4, "stage": 1, "resources": list(resources),
            **extra}


def data(*topics: dict) -> dict:
    tip = {"en": "tip", "zh": "建议"}
    goals = {g.value: {"name": {"en": g.value, "zh": g.value}, "targets": [topics[-1]["id"]]} for g in Goal}
    return {"tracks": [{"id": "t", "name": {"en": "Track", "zh": "轨道"}, "tip": tip}],
            "goals": goals, "topics": list(topics)}


# -- the real curriculum --------------------------------------------------------------------

def test_real_curriculum_has_25_to_40_topics_over_all_tracks(cur):
    assert 25 <= len(cur.topics) <= 40
    used_tracks = {tr for t in cur.topics for tr in t.tracks}
    assert used_tracks == {t.id for t in cur.tracks}


def test_real_curriculum_resources_are_catalog_entries_and_every_entry_is_used(cur, catalog):
    report = coverage(cur, catalog, [])
    assert report.unused_resources == []
    assert report.topics_without_resources == []


def test_real_roadmap_sections_are_covered_except_off_topic_ones(cur, catalog, documents):
    chunks = [c for d in documents for c in chunk_document(d, 256, lambda text: len(text) // 2)]
    report = coverage(cur, catalog, chunks)
    sections = {(c.doc_id, c.section) for c in chunks}
    assert len(report.uncovered_sections) <= 0.05 * len(sections)
    # "contribute to open source" is advice, not a topic: the check should find it.
    assert any("开源参与" in section for _, section in report.uncovered_sections)


def test_suggested_projects_are_in_the_curriculum(cur):
    projects = " ".join(p.en for t in cur.topics for p in t.projects)
    for needle in ("minimal GPT", "LoRA", "reward model + PPO", "DDPM", "IWSLT", "BERT-base on Colab", "nanoGPT"):
        assert needle in projects


# -- helpers --------------------------------------------------------------------------------

def test_match_by_id_names_synonyms_and_typos(cur):
    assert cur.match("rlhf").id == "rlhf"
    assert cur.match("Attention & the Transformer").id == "attention_transformer"
    assert cur.match("扩散模型（DDPM/DDIM）").id == "ddpm"
    assert cur.match("对齐").id == "rlhf"
    assert cur.match("LoRA").id == "peft_lora"
    assert cur.match("transfomer").id == "attention_transformer"
    assert cur.match("gardening with tomatoes") is None


def test_resource_names_are_mined_from_the_catalog_and_name_their_topics(cur, catalog):
    from tutorbot.curriculum.names import ResourceNames

    names = ResourceNames(catalog, cur)

    def topics(text: str) -> set[str]:
        return {t for _, tids, _, _ in names.find(text) for t in tids}

    assert topics("finished CS231n and nanoGPT") == {"dl_basics", "gpt_from_scratch"}
    assert topics("学完了《动手学深度学习》") >= {"dl_basics", "python_pytorch"}
    assert "attention_transformer" in topics("read The Illustrated Transformer")
    assert topics("some intermediate tutorials") == set()  # a generic title names nothing
    assert topics("I took CS294") == set()  # two courses with different topics share it


def test_recommended_topics_order_the_path_but_are_not_required(cur):
    assert "sequence_models" in cur.topic("attention_transformer").recommended
    assert "sequence_models" not in cur.ancestors(["attention_transformer"])
    assert "sequence_models" in cur.ancestors(["attention_transformer"], soft=True)
    order = cur.topo_order({"attention_transformer", "sequence_models", "nlp_basics", "dl_basics"})
    assert order.index("sequence_models") < order.index("attention_transformer")


def test_goal_words_and_uncovered_requests_are_found_in_text(cur):
    assert cur.goal_mentions("I want to build a RAG chatbot and do research") == ["build_llm_apps", "research"]
    assert [u.id for u in cur.uncovered_mentions("准备面试")] == ["interview_practice"]
    assert cur.scaled(0.4).topic("dl_basics").hours == 8 and cur.topic("dl_basics").hours == 20


def test_ancestors_and_topo_order(cur):
    anc = cur.ancestors(["rlhf"])
    assert {"finetuning_sft", "pretrained_models", "attention_transformer", "python_pytorch"} <= anc
    assert "rlhf" not in anc
    assert "python_pytorch" not in cur.ancestors(["rlhf"], stop={"dl_basics"})
    order = cur.topo_order(anc | {"rlhf"})
    for tid in order:
        assert all(order.index(p) < order.index(tid) for p in cur.topic(tid).prereqs if p in order)


def test_topo_order_breaks_ties_by_stage_then_prefers_first():
    cur = parse_curriculum(data(topic("root"), topic("late", ["root"], stage=5), topic("early", ["root"], stage=2)))
    assert cur.topo_order(["late", "early", "root"]) == ["root", "early", "late"]
    assert cur.topo_order(["late", "early", "root"], first={"late"}) == ["root", "late", "early"]


def test_coverage_reports_unused_resources_and_uncovered_sections():
    cur = parse_curriculum(data(topic("lora", resources=["https://x.org/a"], synonyms={"en": ["peft"]})))
    catalog = [CatalogEntry(id="https://x.org/a", url="https://x.org/a", title="A", kind="blog"),
               CatalogEntry(id="https://x.org/b", url="https://x.org/b", title="B", kind="blog")]
    sections = [Section(doc_id="d", section="Fine-tuning", text="Use PEFT for adapters"),
                ("d", "Links", "see [here](https://x.org/a/)"),
                ("d", "Career", "learn frontend instead"),
                ("d", "Empty heading", "")]
    report = coverage(cur, catalog, sections)
    assert report.unused_resources == ["https://x.org/b"]
    assert report.uncovered_sections == [("d", "Career")]


# -- validation -----------------------------------------------------------------------------

def test_missing_prerequisite_is_named():
    with pytest.raises(CurriculumError, match="topic 'b' requires unknown topic 'zzz'"):
        parse_curriculum(data(topic("a"), topic("b", ["zzz"])))


def test_cycle_is_named():
    with pytest.raises(CurriculumError, match=r"cycle (b -> c -> b|c -> b -> c)"):
        parse_curriculum(data(topic("a"), topic("b", ["a", "c"]), topic("c", ["b"])))


def test_self_cycle_is_named():
    with pytest.raises(CurriculumError, match="cycle a -> a"):
        parse_curriculum(data(topic("a", ["a"])))


def test_unknown_resource_is_named():
    with pytest.raises(CurriculumError, match="topic 'a' uses resource 'name:nope' that is not in the catalog"):
        parse_curriculum(data(topic("a", resources=["name:nope"])), catalog_ids={"name:yes"})


def test_resource_urls_are_normalised_before_the_catalog_check():
    cur = parse_curriculum(data(topic("a", resources=["https://www.arxiv.org/pdf/1706.03762v5.pdf"])),
                           catalog_ids={"https://arxiv.org/abs/1706.03762"})
    assert cur.topic("a").resources == ["https://arxiv.org/abs/1706.03762"]


def test_duplicate_id_is_named():
    with pytest.raises(CurriculumError, match="duplicate topic id 'a'"):
        parse_curriculum(data(topic("a"), topic("a")))


def test_field_errors_name_the_topic():
    with pytest.raises(CurriculumError, match=r"topic 'a' > hours: .*greater than 0"):
        parse_curriculum(data(topic("a", hours=0)))


def test_unknown_track_and_goal_target_are_errors():
    bad_track = data(topic("a", tracks=["nope"]))
    with pytest.raises(CurriculumError, match="topic 'a' uses unknown track"):
        parse_curriculum(bad_track)
    bad_goal = data(topic("a"))
    bad_goal["goals"]["research"]["targets"] = ["ghost"]
    with pytest.raises(CurriculumError, match="goal 'research' targets unknown topic"):
        parse_curriculum(bad_goal)


def test_shared_synonym_is_an_error():
    d = data(topic("a", synonyms={"en": ["shared"]}), topic("b", ["a"], synonyms={"en": ["Shared"]}))
    with pytest.raises(CurriculumError, match="name 'Shared' is used by topics 'a' and 'b'"):
        parse_curriculum(d)


def test_file_errors(tmp_path):
    with pytest.raises(CurriculumError, match="not found"):
        load_curriculum(tmp_path / "missing.yaml")
    bad = tmp_path / "curriculum.yaml"
    bad.write_text("topics: [unclosed", encoding="utf-8")
    with pytest.raises(CurriculumError, match="invalid YAML"):
        load_curriculum(bad)


def test_real_file_with_a_cycle_fails(tmp_path, catalog):
    import yaml
    raw = yaml.safe_load((ROOT / "corpus" / "curriculum.yaml").read_text(encoding="utf-8"))
    broken = copy.deepcopy(raw)
    by_id = {t["id"]: t for t in broken["topics"]}
    root = broken["topics"][-1]
    while root["prereqs"]:  # walk down to a topic the last one builds on
        root = by_id[root["prereqs"][0]]
    root["prereqs"] = [broken["topics"][-1]["id"]]
    path = tmp_path / "curriculum.yaml"
    path.write_text(yaml.safe_dump(broken, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CurriculumError, match="cycle"):
        load_curriculum(path, {e.id for e in catalog})
