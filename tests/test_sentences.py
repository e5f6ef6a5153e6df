"""Sentence splitting (Chinese, English, markdown) and ranking sentences of hits against a question."""

from tutorbot.retrieval.embed import HashEmbedder
from tutorbot.retrieval.sentences import idf_weights, lexical_overlap, rank_sentences, split_sentences
from tutorbot.schemas import Chunk, Hit

MIXED = """## 阶段 1：巩固基础（1-2 周）

1. **深度学习框架强化**
   - 重点复习 PyTorch 的动态计算图。学习混合精度训练（`torch.cuda.amp`）！还有 JIT 编译
- **Masking**: How tokens are masked (e.g., BERT). Causal LM works differently, see Vaswani et al. 2017.

| 阶段 | 推荐内容 |
| --- | --- |
| 4. LLM 原理 | LLM.int8（[link](https://llm.int8.dev/?a=1)），还有 Karpathy 的视频 |
"""


def texts(text: str) -> list[str]:
    return [s.text for s in split_sentences(text)]


def test_every_sentence_is_the_exact_slice_of_the_text_it_came_from():
    for s in split_sentences(MIXED):
        assert MIXED[s.start:s.end] == s.text and s.text == s.text.strip()


def test_chinese_and_english_sentences_are_split_at_their_own_terminators():
    got = texts(MIXED)
    assert "重点复习 PyTorch 的动态计算图。" in got and "学习混合精度训练（`torch.cuda.amp`）！" in got
    assert "还有 JIT 编译" in got
    assert "**Masking**: How tokens are masked (e.g., BERT)." in got  # "e.g." ends nothing
    assert "Causal LM works differently, see Vaswani et al. 2017." in got


def test_markdown_headings_list_items_and_table_rows_are_sentences_without_their_markers():
    got = texts(MIXED)
    assert got[0] == "阶段 1：巩固基础（1-2 周）" and "**深度学习框架强化**" in got
    assert "阶段 | 推荐内容" in got and not any(set(t) <= set("-| ") for t in got)  # separator row dropped
    row = next(t for t in got if "LLM 原理" in t)
    assert row.startswith("4. LLM 原理") and "?a=1" in row  # a table row keeps its number; a URL is not cut


def test_a_list_number_in_a_heading_does_not_end_a_sentence():
    assert texts("### **5. Dive Deeper into Language Models**") == ["**5. Dive Deeper into Language Models**"]


ANNOTATED = """We employ a residual connection around each of the two sub-layers.

```python
class SublayerConnection(nn.Module):
    \"\"\"
    A residual connection followed by a layer norm.
    \"\"\"
    def __init__(self, size, dropout):
        self.norm = LayerNorm(size)
```
Each layer has two sub-layers.
"""


def test_code_in_a_fenced_block_is_no_sentence_to_quote_but_a_line_of_words_in_it_is():
    prose = [s.text for s in split_sentences(ANNOTATED, code=False)]
    assert prose == ["We employ a residual connection around each of the two sub-layers.",
                     "A residual connection followed by a layer norm.", "Each layer has two sub-layers."]
    assert "self.norm = LayerNorm(size)" in texts(ANNOTATED)  # by default every line is split (the gate's view)
    for s in split_sentences(ANNOTATED, code=False):
        assert ANNOTATED[s.start:s.end] == s.text


def test_ranked_sentences_never_include_code_lines():
    hit = Hit(chunk=Chunk(id="a", doc_id="a", title="t", text=ANNOTATED), score=1)
    ranked = rank_sentences("residual connection layer norm", [hit], str.split, {})
    assert len(ranked) == 3 and not any("=" in r.text or "def " in r.text for r in ranked)


def test_lexical_overlap_weighs_rare_terms_more():
    idf = idf_weights([["lora", "微调"], ["微调"], ["微调", "部署"]])
    assert lexical_overlap(["lora", "微调"], ["lora"], idf) > lexical_overlap(["lora", "微调"], ["微调"], idf) > 0
    assert lexical_overlap([], ["lora"], idf) == 0.0


def test_sentences_of_all_hits_are_ranked_with_their_hit_index_and_offsets():
    first = Chunk(id="a", doc_id="a", title="t", text="序列建模。Gradient checkpointing saves memory.")
    second = Chunk(id="b", doc_id="b", title="t", text="- LoRA 微调\n- 量化")
    hits = [Hit(chunk=first, score=1), Hit(chunk=second, score=0.5)]
    idf = idf_weights([["lora", "微调"], ["gradient", "checkpointing"], ["量化"]])
    ranked = rank_sentences("gradient checkpointing", hits, lambda t: t.lower().rstrip(".").split(), idf)
    best = ranked[0]
    assert (best.hit, best.chunk_id, best.text) == (0, "a", "Gradient checkpointing saves memory.")
    assert hits[0].chunk.text[best.start:best.end] == best.text and best.dense is None
    assert len(ranked) == 4 and ranked[-1].score == 0.0
    dense = rank_sentences("lora 微调", hits, str.split, idf, embedder=HashEmbedder())
    assert dense[0].text == "LoRA 微调" and dense[0].dense is not None


def test_a_table_row_is_read_as_part_of_a_table_so_a_question_about_the_table_finds_it():
    from tutorbot.retrieval.tokenize import Tokenizer

    table = Chunk(id="t", doc_id="r", title="t", text="| Stage | Read |\n| --- | --- |\n| 4. LLM basics | LLM.int8 |")
    notes = Chunk(id="n", doc_id="r", title="t", text="- Stage 2: LLM basics, read the tokenizer notes.")
    hits = [Hit(chunk=notes, score=1), Hit(chunk=table, score=1)]
    tok = Tokenizer()
    best = rank_sentences("LLM basics in the table", hits, tok, {})[0]
    assert best.chunk_id == "t" and "LLM.int8" in best.text


def test_an_ordinal_reads_as_the_number_a_heading_writes():
    from tutorbot.retrieval.tokenize import Tokenizer

    tok = Tokenizer()
    assert "3" in tok("DeepSeek 路线的第三阶段学什么？") and "3" in tok("what does the third stage cover")
    assert "12" in tok("第十二章") and "10" not in tok("第十二章") and "2" in tok("the 2nd week")
    stages = [Chunk(id=f"s{n}", doc_id="r", title="t", section=f"阶段 {n}：基础", text="- 精读论文，复现实验")
              for n in (1, 2, 3)]
    best = rank_sentences("第二阶段做什么", [Hit(chunk=c, score=1) for c in stages], tok, {})[0]
    assert best.chunk_id == "s2"


def test_a_count_of_time_and_a_range_read_as_the_numbers_they_say():
    from tutorbot.retrieval.tokenize import Tokenizer

    tok = Tokenizer()
    assert {"2"} <= set(tok("刚开始的头两个月学什么")) and {"4", "5"} <= set(tok("第四、五个月干点啥"))
    assert {"3", "4"} <= set(tok("要三四周的那个阶段")) and {"3", "4"} <= set(tok("three to four weeks"))
    assert {"6", "7", "8"} <= set(tok("weeks six to eight")) and {"1", "2"} <= set(tok("- **Month 1-2**: Review"))
    assert "2" not in tok("两个模型") and "2" not in tok("two models")  # a count of something else says nothing
    assert "2019" not in tok("2017-2023") and "3" in tok("Weeks 1-4")  # years say their ends only
    months = [Chunk(id=f"m{a}", doc_id="r", title="t", text=f"- **Month {a}-{a + 1}**: read papers") for a in (1, 4)]
    best = rank_sentences("第四、五个月读什么", [Hit(chunk=c, score=1) for c in months], tok, {})[0]
    assert best.chunk_id == "m4"


def test_a_corpus_word_the_question_cut_differently_is_found_inside_it():
    from tutorbot.retrieval.tokenize import Tokenizer, words_inside

    assert words_inside("何恺明教什么课？", {"何恺明", "宝可梦", "明教"}) == ["何恺明"]  # three characters or more
    tok = Tokenizer()
    assert "宋飏" in tok.unlisted("宋飏是谁？") and "推荐" not in tok.unlisted("推荐一款好用的手机")


def test_an_abbreviation_before_a_lower_case_word_ends_no_sentence():
    text = "FlashAttention trains faster: 15% on BERT-large (seq. length 512), 3x on GPT-2 (seq. length 1K). It also."
    assert texts(text) == ["FlashAttention trains faster: 15% on BERT-large (seq. length 512), 3x on GPT-2 "
                           "(seq. length 1K).", "It also."]
