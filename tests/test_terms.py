"""Term mining at ingest: bilingual pairs in both writing orders, abbreviations, the dictionary
bridge cut to the corpus's words, and re-mining only when the indexed chunks or the glossary's words change."""

import pytest

from tutorbot.ingest.terms import ensure_terms, load_terms, mine_acronyms, mine_pairs, mine_terms, phrase_key
from tutorbot.retrieval.expand import QueryExpander
from tutorbot.retrieval.tokenize import Tokenizer
from tutorbot.schemas import Chunk

FIXTURE = [
    "- 学习 PyTorch 的**高级特性**：自定义梯度、混合精度训练（`torch.cuda.amp`）、JIT 编译",
    "- **对齐（Alignment）**：如何让 LLM 更安全？",
    "- **模型架构**：Mamba（状态空间模型）",
    "- 实现**动态批处理**（Dynamic Batching）",
    "嘉宾阵容豪华（OpenAI, Anthropic, Meta, Google DeepMind 等）",  # a list of examples, no pair
    "基础夯实（构建Transformer/NLP/LLM底层原理认知）",  # a Chinese note, no pair
    "Mixture-of-Experts (MoE): The Birth and Rise of Conditional Computation",
    "我们的团队在内存墙问题上有很多经验。",
]


def chunks() -> list[Chunk]:
    return [Chunk(id=f"c{i}", doc_id="roadmaps/x.txt", title="x", text=t, position=i) for i, t in enumerate(FIXTURE)]


@pytest.fixture(scope="module")
def tok() -> Tokenizer:
    return Tokenizer()


@pytest.fixture(scope="module")
def table():
    return mine_terms(chunks())


def test_pairs_are_mined_in_both_writing_orders(tok):
    pairs = {(p.zh, p.en) for p in mine_pairs(FIXTURE, tok)}
    assert ("混合精度训练", "torch.cuda.amp") in pairs and ("对齐", "Alignment") in pairs  # 中文（English）
    assert ("状态空间模型", "Mamba") in pairs  # English（中文）
    assert ("动态批处理", "Dynamic Batching") in pairs


def test_lists_of_examples_and_chinese_notes_are_not_pairs(tok):
    found = {p.zh for p in mine_pairs(FIXTURE, tok)}
    assert "嘉宾阵容豪华" not in found and "基础夯实" not in found


def test_an_abbreviation_is_paired_with_the_words_whose_initials_spell_it():
    assert mine_acronyms(FIXTURE) == {"moe": ["mixture of experts"]}


def test_an_abbreviation_s_long_form_shares_the_abbreviation_s_weight_as_one_phrase(table, tok):
    expansion = QueryExpander(tok, table).expand("How does MoE routing work?")
    long_form = tok("mixture of experts")
    assert len(long_form) == 2 and {expansion.en[t] for t in long_form} == {0.5}  # two words standing for one
    assert expansion.terms["mixture of experts"] == 1.0  # the dense query reads the phrase whole


def test_the_dictionary_bridges_english_words_to_the_corpus_chinese_words(table, tok):
    tok.add_words(table.zh_terms())
    assert "内存" in table.en_to_zh[phrase_key(tok, "memory")] and table.en_to_zh[phrase_key(tok, "wall")] == ["墙"]
    expansion = QueryExpander(tok, table).expand("Which hardware limit is the memory wall?")
    assert {"内存", "墙"} <= set(expansion.zh)
    back = QueryExpander(tok, table).expand("混合精度训练怎么做")
    assert "torch.cuda.amp" in back.en


def test_a_word_keeps_the_dictionary_senses_the_corpus_writes_in_english_not_merely_its_first_ones(tok):
    texts = ["- **模型架构**：注意力与前馈层", "The Transformer architecture stacks attention layers.",
             "Each architecture choice matters."]
    table = mine_terms([Chunk(id=f"a{i}", doc_id="roadmaps/a.txt", title="a", text=t, position=i)
                        for i, t in enumerate(texts)])
    assert "架构" in table.en_to_zh[phrase_key(tok, "architecture")]  # CC-CEDICT's fifth sense of 架构
    assert table.zh_to_en["架构"] == ["architecture"]  # not "construct" or "build", which the corpus never writes


def test_an_english_superlative_is_made_by_its_spelling_rules_and_a_long_word_has_none():
    from tutorbot.retrieval.dictionary import superlative

    made = [superlative(w) for w in "large big early long good important greatly".split()]
    assert made == ["largest", "biggest", "earliest", "longest", "best", "", ""]


def test_a_superlative_the_dictionary_leaves_out_bridges_a_chinese_question_to_the_english_text(tok):
    texts = ["Our largest model is a dense Transformer with 405B parameters.", "这个模型的最大长度"]
    table = mine_terms([Chunk(id=f"s{i}", doc_id="roadmaps/s.txt", title="s", text=t, position=i)
                        for i, t in enumerate(texts)])
    assert "largest" in table.zh_to_en["最大"]  # CC-CEDICT lists 大 (big, large) but not 最大
    assert "largest" in QueryExpander(tok, table).expand("最大的那个模型有多少参数？").en
    assert not any(w.startswith("最") and w not in ("最大",) for w in table.zh_to_en if len(w) == 2 and
                   "largest" in table.zh_to_en[w])  # 最 + a rare character (最巨) is a word of no question


def test_a_person_the_roadmaps_name_in_chinese_is_reached_by_the_name_in_pinyin(tok):
    from tutorbot.ingest.names import romanised

    assert romanised("何恺明") == ["kaiming he", "he kaiming", "kaiming"] and romanised("李沐") == ["mu li", "li mu"]
    texts = ["- MIT 6.S978: Deep Generative Models: MIT 新晋明星教授何恺明亲授",
             "初步深入代码建议通过李沐大神的《动手学深度学习》", "这个工具很好用"]
    table = mine_terms([Chunk(id=f"n{i}", doc_id="roadmaps/n.txt", title="n", text=t, position=i)
                        for i, t in enumerate(texts)])
    assert set(table.names) == {"何恺明", "李沐"} and "何恺明" in table.zh_terms()  # 好用 is no name
    names = Tokenizer(table.zh_terms())
    assert table.en_to_zh[phrase_key(names, "Kaiming He")] == table.en_to_zh[phrase_key(names, "Kaiming")] == ["何恺明"]
    assert table.en_to_zh[phrase_key(names, "Li Mu")] == ["李沐"] and phrase_key(names, "Mu") not in table.en_to_zh
    assert "何恺明" in QueryExpander(names, table).expand("Which course does Kaiming He teach?").zh


def test_the_table_is_stored_and_mined_again_only_when_the_chunks_or_the_glossary_words_change(tmp_path, table):
    path = tmp_path / "terms.json"
    path.write_text(table.model_dump_json())
    first = ensure_terms(path, chunks())
    assert load_terms(path) == first == table
    path.write_text(first.model_copy(update={"pairs": []}).model_dump_json())  # marks the stored copy
    assert ensure_terms(path, chunks()).pairs == []  # same chunks: the stored table is used
    changed = [*chunks(), Chunk(id="new", doc_id="roadmaps/x.txt", title="x", text="量化（Quantization）")]
    assert ("量化", "Quantization") in {(p.zh, p.en) for p in ensure_terms(path, changed).pairs}
    marked = ensure_terms(path, changed)
    path.write_text(marked.model_copy(update={"pairs": []}).model_dump_json())
    assert ensure_terms(path, changed, ["星期"]).pairs  # the glossary teaches the tokenizer words: mined again
