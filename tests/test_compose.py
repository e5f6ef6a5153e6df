"""Composed answers (``chat.compose``): what follows a quoted sentence in its source comes with it."""

from tutorbot.chat.compose import Outline, compose
from tutorbot.retrieval.sentences import RankedSentence, split_sentences
from tutorbot.schemas import Chunk, Hit

PAPERS = ("## Reading list\n\n- The Annotated Transformer, line by line.\n- BERT: pre-training of deep "
          "bidirectional transformers.\n- Advanced:\n- FlashAttention: fast and exact attention.\n"
          "- LoRA: low-rank adaptation of large language models.\n- QLoRA: efficient finetuning of quantized models.\n"
          "- DPO: direct preference optimization of language models.\n")


def quoted(text: str, first: str) -> str:
    """The composed answer when the sentence starting with ``first`` ranks best."""
    hit = Hit(chunk=Chunk(id="c", doc_id="roadmaps/r.txt", title="r", text=text, section="Reading list"), score=1.0)
    s = next(s for s in split_sentences(text) if s.text.startswith(first))
    ranked = [RankedSentence(hit=0, chunk_id="c", text=s.text, start=s.start, end=s.end, score=1.0, lexical=1.0)]
    return compose(ranked, [hit], lambda t, h: t).render("en")


def test_the_items_after_a_lead_in_are_quoted_with_it_even_past_the_usual_three():
    answer = quoted(PAPERS, "The Annotated Transformer")
    assert "FlashAttention" in answer and "LoRA" in answer and "QLoRA" in answer
    assert "DPO" not in answer  # three items after the lead-in, not the whole list


def test_without_a_lead_in_three_items_follow_the_quoted_sentence():
    plain = PAPERS.replace("- Advanced:\n", "")
    answer = quoted(plain, "The Annotated Transformer")
    assert "LoRA" in answer and "QLoRA" not in answer


STAGE = "Road map > Learning path > Stage 2: Transformers in depth (3-4 weeks)"
THEORY = "#### Theory\n- Read Attention Is All You Need and derive every formula yourself.\n"
CODE = "#### Code\n- Implement a configurable Transformer block from scratch in PyTorch.\n"


def composed(*sections: tuple[str, str]) -> str:
    """The composed answer quoting the first sentence of each (section path, text), best first."""
    hits, ranked = [], []
    for n, (path, text) in enumerate(sections):
        chunk = Chunk(id=f"c{n}", doc_id="roadmaps/r.txt", title="r", text=text, section=path)
        hits.append(Hit(chunk=chunk, score=1.0))
        s = split_sentences(text)[-1]  # the list item under the heading
        ranked.append(RankedSentence(hit=n, chunk_id=f"c{n}", text=s.text, start=s.start, end=s.end, score=1.0,
                                     lexical=1.0))
    return compose(ranked, hits, lambda t, h: t).render("en")


def test_a_quoted_line_names_the_heading_above_its_section_once():
    answer = composed((f"{STAGE} > Theory", THEORY), (f"{STAGE} > Code", CODE))
    assert "**Stage 2: Transformers in depth (3-4 weeks) › Theory**: Read Attention" in answer
    assert "**Code**: Implement" in answer and answer.count("3-4 weeks") == 1  # twice would read as a loop


def test_a_documents_title_is_not_named_as_a_parent():
    answer = composed(("Road map > Theory", THEORY))
    assert "**Theory**: Read Attention" in answer and "Road map" not in answer


def split_list(second_section: str) -> str:
    """A section's list cut in two chunks (positions 3 and 5), the second retrieved as hit 2."""
    first = Chunk(id="a", doc_id="p", title="Guide", section="Serving > Disaggregation", position=3,
                  text="##### Disaggregation\n\n- DistServe: disaggregating prefill and decoding for goodput.")
    other = Chunk(id="b", doc_id="p", title="Guide", section="Serving > Batching", position=1,
                  text="- Orca: a distributed serving system for transformer models.")
    later = Chunk(id="c", doc_id="p", title="Guide", section=second_section, position=5,
                  text="- Mooncake: a KVCache-centric disaggregated architecture for serving.")
    hits = [Hit(chunk=c, score=1.0) for c in (first, other, later)]
    s = split_sentences(first.text)[-1]
    ranked = [RankedSentence(hit=0, chunk_id="a", text=s.text, start=s.start, end=s.end, score=1.0, lexical=1.0)]
    return compose(ranked, hits, lambda t, h: t).render("en")


def test_a_list_cut_by_a_chunk_boundary_goes_on_in_the_retrieved_chunk_further_on_in_its_section():
    answer = split_list("Serving > Disaggregation")
    assert "DistServe" in answer and "  - Mooncake: a KVCache-centric disaggregated architecture for serving [3]." \
        in answer.split("\n")
    assert "Orca" not in answer  # an earlier chunk of another section does not continue the list
    assert "Mooncake" not in split_list("Serving > Batching")  # nor does a later one of another section


def test_a_pointer_never_repeats_a_quoted_lines_label_and_the_line_stays():
    theory = Chunk(id="t", doc_id="roadmaps/r.txt", title="r", text=THEORY, section=f"{STAGE} > Theory")
    stage = Chunk(id="s", doc_id="roadmaps/r.txt", title="r", section=STAGE,
                  text="### Stage 2: Transformers in depth (3-4 weeks)\n\n> Goal: know the architecture by heart.")
    hits = [Hit(chunk=theory, score=1.0), Hit(chunk=stage, score=0.5)]
    s = split_sentences(THEORY)[-1]
    ranked = [RankedSentence(hit=0, chunk_id="t", text=s.text, start=s.start, end=s.end, score=1.0, lexical=1.0)]
    comp = compose(ranked, hits, lambda t, h: t)
    assert [line.source for line in comp.lines] == [1]  # before: every line was dropped for the pointer's repeat
    assert comp.more == [] and comp.render("en").count("3-4 weeks") == 1


def test_a_pointer_whose_name_a_quoted_line_already_says_is_left_out_not_the_line():
    theory = Chunk(id="t", doc_id="roadmaps/r.txt", title="r", text=THEORY, section=f"{STAGE} > Theory")
    paper = Chunk(id="p", doc_id="roadmaps/p.txt", title="p", section="Read Attention Is All You Need and derive "
                  "every formula", text="Notes on the paper.")
    hits = [Hit(chunk=theory, score=1.0), Hit(chunk=paper, score=0.5)]
    s = split_sentences(THEORY)[-1]
    ranked = [RankedSentence(hit=0, chunk_id="t", text=s.text, start=s.start, end=s.end, score=1.0, lexical=1.0)]
    comp = compose(ranked, hits, lambda t, h: t)
    assert [line.source for line in comp.lines] == [1] and comp.more == []


def test_a_quoted_lead_in_brings_its_list_even_when_it_is_not_the_first_line():
    tips = ("Here are some practical recommendations for tuning score-based models:\n\n"
            "- Choose the noise scales as a geometric progression.\n- Parameterize the model with a U-Net.\n"
            "- Apply an exponential moving average to the weights.\n- A fourth tip that is one too many.")
    hits, ranked = [], []
    for n, text in enumerate([THEORY, tips]):
        hits.append(Hit(chunk=Chunk(id=f"c{n}", doc_id=f"d{n}", title="t", text=text, section="S"), score=1.0))
        s = split_sentences(text)[1 if n == 0 else 0]
        ranked.append(RankedSentence(hit=n, chunk_id=f"c{n}", text=s.text, start=s.start, end=s.end, score=1.0 - n / 4,
                                     lexical=1.0))
    answer = compose(ranked, hits, lambda t, h: t).render("en")
    assert "geometric progression" in answer and "U-Net" in answer and "exponential moving average" in answer
    assert "fourth tip" not in answer


def test_the_lines_after_a_quoted_sentence_leave_out_the_code_block_they_introduce():
    usage = ("## Usage\n\nHere's how you'd instantiate a GPT-2 (124M param version):\n\n```python\n"
             "from mingpt.model import GPT\nmodel_config = GPT.get_default_config()\n```\n\n"
             "And here's how you'd train it with the trainer.\n")
    answer = quoted(usage, "Here's how")
    assert "train it" in answer and "get_default_config" not in answer and "```" not in answer


def test_a_section_saying_only_to_be_added_is_quoted_though_short_and_a_short_line_elsewhere_is_not():
    rag = "- RAG\n\n- 待补充"
    assert "**RAG**: 待补充" in composed(("另外的 > RAG", rag))
    note = "- RAG\n\n- 待补充\n- A longer sentence about retrieval-augmented generation and its uses."
    hit = Hit(chunk=Chunk(id="c", doc_id="roadmaps/r.txt", title="r", text=note, section="另外的 > RAG"), score=1.0)
    s = next(s for s in split_sentences(note) if s.text == "待补充")
    ranked = [RankedSentence(hit=0, chunk_id="c", text=s.text, start=s.start, end=s.end, score=1.0, lexical=1.0)]
    assert "待补充" not in compose(ranked, [hit], lambda t, h: t).render("zh")  # not all the section says


PROJECTS = ("- **Project Ideas**:\n\n  - Implement a basic transformer model from scratch (using PyTorch).\n"
            "  - Fine-tune a pretrained model on a text classification task.\n"
            "  - Train a smaller model from scratch on a custom dataset.\n")


def test_a_ranked_label_announcing_a_list_is_answered_by_its_list_under_its_section_name():
    # "What starter projects does the roadmap suggest?": the label says "projects", its items never do.
    hit = Hit(chunk=Chunk(id="c", doc_id="roadmaps/r.txt", title="r", text=PROJECTS,
                          section="ChatGPT > 7. Hands-On Projects > Project Ideas"), score=1.0)
    s = split_sentences(PROJECTS)[0]
    ranked = [RankedSentence(hit=0, chunk_id="c", text=s.text, start=s.start, end=s.end, score=1.0, lexical=1.0)]
    answer = compose(ranked, [hit], lambda t, h: t).render("en")
    assert answer.splitlines()[1] == ("- **7. Hands-On Projects › Project Ideas**: Implement a basic transformer model "
                                      "from scratch (using PyTorch) [1].")
    assert "Fine-tune a pretrained model" in answer and "custom dataset" in answer


def test_a_heading_announcing_nothing_and_a_tables_header_row_are_never_quoted():
    table = ("### 推荐自学路径\n\n| 阶段 | 推荐内容 |\n| --- | --- |\n"
             "| 5. 论文导读 | arXiv LLM Survey 或 GPT-4 技术报告 |\n")
    hit = Hit(chunk=Chunk(id="c", doc_id="roadmaps/r.txt", title="r", text=table, section="路线图 > 推荐自学路径"),
              score=1.0)
    ranked = [RankedSentence(hit=0, chunk_id="c", text=s.text, start=s.start, end=s.end, score=1.0 - n / 10,
                             lexical=1.0) for n, s in enumerate(split_sentences(table))]
    answer = compose(ranked, [hit], lambda t, h: t).render("zh")
    assert "推荐内容" not in answer and "5. 论文导读 | arXiv LLM Survey" in answer


def test_a_repeat_inside_a_lines_list_drops_that_line_and_keeps_the_lines_after_it():
    from tutorbot.chat.compose import Composition, Line, _without_repeats
    twice = "Read the annotated transformer line by line with the code open"
    comp = Composition(lines=[Line(text="A first line about attention heads and their weights.", source=1),
                              Line(text="The reading list for the second week.", source=2, items=[twice, twice]),
                              Line(text="Dropout, weight decay and batch normalization regularise.", source=3),
                              Line(text="Mixed precision training saves memory on large models.", source=4)],
                       more=[])
    assert [line.source for line in _without_repeats(comp, "").lines] == [1, 3, 4]


TASKS = ("#### 任务清单：\n\n-  理解 Self-Attention、Position Embedding、Multi-Head\n\n"
         "-  掌握 Masked LM vs Causal LM 训练机制\n\n-  用 PyTorch 复现最小 GPT\n")


def test_the_second_item_of_a_short_list_is_quoted_from_the_lists_first_item():
    answer = quoted(TASKS, "掌握 Masked LM")
    assert answer.index("理解 Self-Attention") < answer.index("掌握 Masked LM") < answer.index("复现最小 GPT")


def test_a_long_lists_item_and_an_item_after_a_bold_label_are_quoted_from_where_they_stand():
    long = TASKS.replace("-  理解", "-  阅读论文一篇\n\n-  阅读论文两篇\n\n-  理解")
    assert "阅读论文" not in quoted(long, "掌握 Masked LM")  # three items before it: the list is no one answer
    labelled = "- **深度学习框架强化**\n- 重点复习 PyTorch 的动态计算图和分布式训练\n"
    assert quoted(labelled, "重点复习").splitlines()[1].startswith("- **Reading list**: 重点复习")


def test_a_short_line_already_shown_counts_as_a_repeat_though_it_has_no_eight_words():
    from tutorbot.chat.source_lines import repeats
    shown = "精读原始论文并推导所有公式\n✅ **LoRA / QLoRA 论文**\n✅ **Stanford Alpaca**：指令微调"
    assert repeats("✅ **LoRA / QLoRA 论文**", shown) and not repeats("✅ **DeepSpeed 教程**", shown)


RULES = ("#### Rules:\n\nRandomly 15% of input tokens will be changed into something, based on sub-rules\n\n"
         "1. Randomly 80% of tokens, gonna be a `[MASK]` token\n2. Randomly 10% of tokens, gonna be a random token\n")


def ranked_with_intro(intro_lexical: float) -> str:
    """The answer when the list's first item ranks best and its introduction scores ``intro_lexical``."""
    hit = Hit(chunk=Chunk(id="c", doc_id="https://repo.example", title="r", text=RULES, section="Rules"), score=1.0)
    scores = {"Randomly 80%": 0.6, "Randomly 15%": intro_lexical, "Randomly 10%": 0.2, "Rules": 0.2}
    ranked = [RankedSentence(hit=0, chunk_id="c", text=s.text, start=s.start, end=s.end, score=v, lexical=v)
              for s in split_sentences(RULES) for k, v in scores.items() if s.text.startswith(k)]
    return compose(sorted(ranked, key=lambda r: -r.score), [hit], lambda t, h: t).render("en")


def test_a_lists_first_item_is_quoted_from_the_prose_line_that_introduces_it_when_that_line_is_asked_about():
    answer = ranked_with_intro(0.4)  # "15%" holds a word of the question beyond its heading's
    assert answer.index("Randomly 15%") < answer.index("Randomly 80%") < answer.index("Randomly 10%")
    assert "Randomly 15%" not in ranked_with_intro(0.2)  # no more of the question than its heading: no intro


def test_the_outline_of_a_page_the_question_asks_about_leads_cited_and_its_title_is_not_named_again():
    page = Hit(chunk=Chunk(id="p", doc_id="https://repo.example/go.md", title="Go 后端学习路线", kind="linked",
                           text="# Go 后端学习路线\n> Tips：环境安装可以自行搜索"), score=1.0)
    tip = next(s for s in split_sentences(page.chunk.text) if s.text.startswith("Tips"))
    ranked = [RankedSentence(hit=0, chunk_id="p", text=tip.text, start=tip.start, end=tip.end, score=1.0, lexical=1.0)]
    outline = Outline(hit=0, title="Go 后端学习路线", parts=["Go 语法", "Redis", "Docker、Kubernetes"])
    lines = compose(ranked, [page], lambda t, h: t, outlines=[outline.line("zh")]).render("zh").splitlines()
    assert lines[1] == "- Go 后端学习路线 — 各部分：Go 语法；Redis；Docker、Kubernetes [1]"
    assert lines[2] == "- Tips：环境安装可以自行搜索[1]"
