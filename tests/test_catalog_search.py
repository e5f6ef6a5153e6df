"""Library search in both languages: query words bridged through the retriever's expander (glossary,
dictionary, mined terms), matched against catalog titles and descriptions; the dead-link view's words."""

from __future__ import annotations

import pytest

from tutorbot.ingest.terms import TermTable
from tutorbot.retrieval.catalog_search import matches, search_terms
from tutorbot.retrieval.expand import Glossary, GlossaryEntry, QueryExpander
from tutorbot.retrieval.tokenize import Tokenizer
from tutorbot.schemas import CatalogEntry
from tutorbot.ui import i18n
from tutorbot.ui.library_tab import filter_entries

KV = CatalogEntry(id="kv", title="Transformers Optimization: Part 1 - KV Cache", kind="blog",
                  url="https://example.org/kv", language="en")
ZH = CatalogEntry(id="zh", title="大模型推理加速", description="讲解 KV 缓存与量化", kind="blog",
                  url="https://example.org/zh", language="zh")
OTHER = CatalogEntry(id="other", title="Diffusion models from scratch", kind="course",
                     url="https://example.org/diff", language="en")


@pytest.fixture(scope="module")
def expand():
    """An expander over a hand glossary and a mined pair, as the retriever builds it."""
    glossary = Glossary([GlossaryEntry(en=["cache"], zh=["缓存"]), GlossaryEntry(en=["quantization"], zh=["量化"])])
    terms = TermTable(zh_to_en={"缓存": ["cache"]}, en_to_zh={"kv cach": ["KV 缓存"]})
    return QueryExpander(Tokenizer(), terms, glossary).expand


@pytest.mark.parametrize("query, found", [("KV 缓存", ["kv", "zh"]), ("kv cache", ["kv", "zh"]),
                                          ("KV缓存", ["kv", "zh"]), ("量化", ["zh"]), ("quantization", ["zh"]),
                                          ("diffusion", ["other"]), ("缓存 diffusion", [])])
def test_a_query_in_either_language_finds_resources_titled_or_described_in_the_other(expand, query, found):
    assert [e.id for e in filter_entries([KV, ZH, OTHER], query, expand=expand)] == found


def test_without_an_expander_the_search_is_literal_and_case_insensitive():
    assert [e.id for e in filter_entries([KV, ZH, OTHER], "kv CACHE")] == ["kv"]
    assert [e.id for e in filter_entries([KV, ZH, OTHER], "KV 缓存")] == ["zh"]


def test_every_query_word_must_match_itself_or_a_translation(expand):
    terms = search_terms("KV 缓存", expand)
    assert terms.words[0] == ["kv"] and "cache" in terms.words[1]
    assert not matches("a cache of files", terms) and matches("the kv cache", terms)


def test_the_dead_link_view_tells_the_learner_what_to_do_in_the_page_not_a_command():
    for lang in i18n.LANGS:
        text = i18n.t(lang, "lib.no_fetch")
        assert "`" not in text and "tutorbot fetch-links" not in text
        assert i18n.t(lang, "lib.dead_only") in text


def test_kv_cache_in_chinese_finds_the_real_catalogs_kv_cache_resource(tmp_path):
    from conftest import make_settings

    from tutorbot.container import Container
    from tutorbot.llm.fake import FakeLLM
    from tutorbot.ui.context import _expansion

    c = Container(make_settings(tmp_path / "data", embedding={"backend": "hash"}), llm=FakeLLM("hi"))
    c.ingest()
    try:
        english = [e.id for e in filter_entries(c.catalog, "kv cache")]
        chinese = [e.id for e in filter_entries(c.catalog, "KV 缓存", expand=lambda text: _expansion(c, text))]
    finally:
        c.store.close()
    assert english and set(english) <= set(chinese)


def test_a_chinese_term_with_a_whole_phrase_translation_is_not_matched_by_its_pieces_translations():
    from tutorbot.retrieval.expand import Expansion

    def expand(text: str) -> Expansion:
        return Expansion(terms={"model": 1.0, "diffusion model": 1.0} if text == "扩散模型" else {})

    terms = search_terms("扩散模型", expand)
    assert terms.words == [["扩散模型", "diffusion model"]]
    assert matches("Diffusion Models from scratch", terms) and not matches("Large language models", terms)
