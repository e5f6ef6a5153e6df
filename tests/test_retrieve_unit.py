"""Fusion rules of the hybrid retriever, over a fake index (no embeddings, no Chroma)."""

import numpy as np
import pytest

from tutorbot.errors import InputError
from tutorbot.retrieval.fusion import balanced_lists, rrf, side_masks
from tutorbot.retrieval.index import IndexMismatch
from tutorbot.retrieval.retriever import Retriever
from tutorbot.retrieval.second_view import SecondView
from tutorbot.schemas import Chunk, Hit
from tutorbot.settings import RetrievalSettings


class FakeIndex:
    """Dense ranking = the chunks in the order given (best first): the i-th vector is i hundredths of a
    radian from the query's (``NoEmbedder``'s [1, 0])."""

    def __init__(self, chunks):
        self.chunks = chunks

    def snapshot(self):
        angles = np.arange(len(self.chunks)) / 100
        return list(self.chunks), np.stack([np.cos(angles), np.sin(angles)], axis=1).astype(np.float32)


class NoEmbedder:
    """Records what it was asked to embed; counts one token per character (plus the two specials)."""

    def __init__(self):
        self.queries = []

    def embed_query(self, text):
        self.queries.append(text)
        return [1.0, 0.0]

    def count_tokens(self, text):
        return len(text) + 2


def chunk(i: int, kind: str, text: str, lang: str = "en") -> Chunk:
    return Chunk(id=f"{kind}{i}{lang}", doc_id=f"https://page{i}.example" if kind == "linked" else f"roadmaps/{i}.txt",
                 title="t", text=text, kind=kind, trusted=kind != "linked", lang=lang)


def retriever(chunks, embedder=None, **kw) -> Retriever:
    return Retriever(FakeIndex(chunks), embedder or NoEmbedder(), RetrievalSettings(**kw))


def test_rrf_adds_reciprocal_ranks():
    assert rrf([["a", "b"], ["b"]], k=60) == {"a": 1 / 61, "b": 1 / 62 + 1 / 61}


def test_linked_pages_cannot_crowd_roadmap_sections_out_of_the_top_k():
    # Eight linked pages outrank both roadmap sections in both retrievers.
    linked = [chunk(i, "linked", "helm benchmark percy liang evaluation") for i in range(8)]
    road = [chunk(i, "roadmap", f"model evaluation overview {i}") for i in range(2)]
    r = retriever(linked + road, top_k=5, min_roadmap=2)
    top = r.search("helm benchmark percy liang", k=5)
    assert [h.chunk.kind for h in top].count("roadmap") == 2 and top[0].chunk.kind == "linked"
    assert r.search("helm benchmark percy liang", k=10)[:5] == top  # eval at k=10 sees what chat sees
    plain = retriever(linked + road, top_k=5, min_roadmap=0).search("helm benchmark percy liang", k=5)
    assert all(h.chunk.kind == "linked" for h in plain)  # without the floor they would be gone


def test_the_floor_changes_nothing_without_linked_pages():
    road = [chunk(i, "roadmap", f"lora fine tuning {i}") for i in range(8)]
    r = retriever(road, min_roadmap=2)
    assert [h.chunk.id for h in r.search("lora fine tuning", k=5)] == \
        [h.chunk.id for h in retriever(road, min_roadmap=0).search("lora fine tuning", k=5)]


def test_each_language_gets_its_own_first_place_weighted_by_its_best_match():
    chunks = [chunk(0, "roadmap", "a", "en"), chunk(1, "roadmap", "b", "en"), chunk(2, "roadmap", "c", "zh")]
    lex = np.array([9.0, 8.0, 3.0])  # the Chinese chunk is third in one global ranking
    dense = {"en": [Hit(chunk=chunks[0], score=0.90)], "zh": [Hit(chunk=chunks[2], score=0.90)]}
    lists, weights = balanced_lists(lex, chunks, side_masks(chunks), dense, 10)
    assert lists[0] == [chunks[2].id] and lists[2] == [chunks[0].id, chunks[1].id]  # zh first, then en
    assert weights[0] == 3.0 / 9.0 and weights[2] == 1.0 and weights[1] == weights[3] == 1.0
    fused = rrf(lists, 60, weights)
    assert sorted(fused, key=fused.get, reverse=True)[:2] == [chunks[0].id, chunks[2].id]  # zh now second


def test_a_side_far_behind_in_dense_similarity_weighs_little():
    chunks = [chunk(0, "roadmap", "a", "en"), chunk(1, "roadmap", "b", "zh")]
    dense = {"en": [Hit(chunk=chunks[0], score=0.92)], "zh": [Hit(chunk=chunks[1], score=0.87)]}
    _, weights = balanced_lists(np.zeros(2), chunks, side_masks(chunks), dense, 10)
    assert weights[3] == 1.0 and weights[1] < 0.01


def test_an_english_question_finds_the_chinese_passage_through_mined_terms():
    from tutorbot.ingest.terms import TermPair, TermTable

    road = [chunk(i, "roadmap", f"English notes on transformers and attention {i}", "en") for i in range(6)]
    zh = chunk(9, "roadmap", "实现混合精度训练（`torch.cuda.amp`）和梯度缩放", "zh")
    terms = TermTable(pairs=[TermPair(zh="混合精度训练", en="mixed precision training")],
                      en_to_zh={"mix precis train": ["混合精度训练"]})
    r = Retriever(FakeIndex([*road, zh]), NoEmbedder(), RetrievalSettings(), terms=terms)
    assert zh.id in [h.chunk.id for h in r.search("where does it mention mixed precision training?", k=3)]
    bare = Retriever(FakeIndex([*road, zh]), NoEmbedder(), RetrievalSettings())
    assert zh.id not in [h.chunk.id for h in bare.search("mixed precision training attention", k=3, mode="bm25")]


def test_the_pieces_of_a_chinese_word_weigh_half_so_its_english_translation_is_not_outweighed():
    from tutorbot.ingest.terms import TermPair, TermTable
    from tutorbot.retrieval.tokenize import piece_weight

    assert piece_weight("回归", ["回归", "自回归", "模型"]) == 0.5 and piece_weight("自回归", ["回归", "自回归"]) == 1.0
    assert piece_weight("model", ["model", "models"]) == 1.0  # an English word is no piece of another
    en = chunk(1, "roadmap", "Autoregressive vs. Encoder-Decoder Models: GPT is autoregressive.", "en")
    zh = [chunk(2, "roadmap", "线性回归和编码的笔记", "zh"),
          *(chunk(i, "roadmap", f"其他笔记 {i}", "zh") for i in range(3, 9)),
          *(chunk(i, "roadmap", f"English note {i}", "en") for i in range(9, 15))]
    terms = TermTable(pairs=[TermPair(zh="自回归", en="autoregressive"), TermPair(zh="编码器", en="encoder")],
                      zh_to_en={"自回归": ["autoregressive"], "编码器": ["encoder"]})
    r = Retriever(FakeIndex([*zh, en]), NoEmbedder(), RetrievalSettings(), terms=terms)  # 回归 + 编码 outweighed it
    weights = r.weighted_terms("自回归和编码器", r.expand("自回归和编码器"))
    assert weights["自回归"] == 1.0 and weights["回归"] == weights["码器"] == 0.5 and weights["autoregress"] == 1.0
    lex = r.bm25_scores(weights)[0]
    assert lex[r._position[en.id]] > max(lex[r._position[c.id]] for c in zh)
    # grounding reads the question's words at full weight, as its thresholds were set
    assert r.retrieve("自回归和编码器").top_lexical == r.lexical_strength(
        r.bm25_scores({**weights, **dict.fromkeys(r.own_terms("自回归和编码器"), 1.0)})[0])


def test_names_of_courses_papers_and_tools_are_recognised_in_questions():
    from tutorbot.retrieval.tokenize import mentions_name, name_terms

    names = name_terms(["Stanford CS336: Language Modeling from Scratch", "karpathy/nanoGPT", "LoRA 微调", "HELM"])
    assert {"cs336", "nanogpt", "lora", "helm"} <= names and "stanford" not in names and "language" not in names
    assert mentions_name("what is cs336?", names) and mentions_name("Tell me about nanoGPT", names)
    assert not mentions_name("Who won the 2018 football World Cup?", names)


def test_names_the_index_never_saw_are_told_from_names_it_knows():
    from tutorbot.retrieval.grounding import name_evidence

    vocab = {"pytorch", "pku-dair", "lora", "cs336"}
    ev = name_evidence("How do I export my PyTorch model to ONNX Runtime?", vocab, str)
    assert ev.known == ["PyTorch"] and ev.unknown == ["ONNX"]
    assert name_evidence("PKU-DAIR 那份指南", vocab, str).unknown == []  # a piece of a known token
    assert name_evidence("LoRA 的 lora_alpha 设多少？", vocab, str).unknown == ["lora_alpha"]
    assert name_evidence("YOLO v5 还是 v8？", vocab, str).unknown == ["YOLO", "v5", "v8"]
    assert name_evidence("what does the 7-stage table list?", vocab, str) == name_evidence("", vocab, str)


def test_a_name_written_in_the_plural_is_the_name_the_index_holds():
    from tutorbot.retrieval.grounding import name_evidence

    vocab = {"cnfs", "rnn", "lstm"}
    assert name_evidence("Flow Matching 训练 CNF 效果如何？", vocab, str).unknown == []  # the index writes "CNFs"
    assert name_evidence("What about RNNs and LSTMs?", vocab, str).known == ["RNNs", "LSTMs"]  # RNN, LSTM written
    assert name_evidence("What about GRUs?", vocab, str).unknown == ["GRUs"]


def test_a_name_the_index_writes_only_as_a_whole_piece_of_a_link_is_known():
    from tutorbot.retrieval.grounding import name_evidence

    links = "(https://www.jarvis73.com/2024/06/30/scaling-laws-1/)\n(https://x.example/html1/psi-tests)"
    known = name_evidence("jarvis73 那篇博客训练多少步？", set(), str, text="x", links=links).known
    assert known == ["jarvis73"] and name_evidence("jarvis73.com 那篇呢", set(), str, text="x", links=links).known
    assert name_evidence("L1 or L2, and PSI?", set(), str, text="x", links=links).unknown == ["L1", "L2", "PSI"]
    cut = name_evidence("stanford-cs336.github.io 那个课程页", {"cs336"}, str, text="x", links="(https://a.github.io/)")
    assert cut.known == ["cs336.github.io"]  # read from inside a host: each of its parts is known


def test_a_question_asking_for_two_settings_at_once_asks_for_a_value():
    from tutorbot.retrieval.grounding import asks_for_value

    assert asks_for_value("What chunk size and overlap should I use for RAG?")
    assert asks_for_value("What learning rate or batch size works for LoRA?")
    assert not asks_for_value("What size and shape do the roadmaps cover?")


def test_a_proper_noun_the_index_never_writes_is_an_unknown_name_and_one_it_writes_adds_nothing():
    from tutorbot.retrieval.grounding import name_evidence

    text = "see [lil'log](https://lilianweng.github.io/) and the runtime notes; 讲课老师钟爱宝可梦; hasso-plattner"
    links = "(https://lilianweng.github.io/)"
    vocab = {"runtim", "宝可梦"}

    def translate(word: str) -> set[str]:
        return {"宝可梦"} if word == "pokemon" else set()

    def unknown(q: str) -> list[str]:
        return name_evidence(q, vocab, str, translate, text, links).unknown

    assert unknown("Which vector database is fastest, Milvus or Qdrant?") == ["Milvus", "Qdrant"]
    assert unknown("What does Lilian Weng say about agents?") == []  # her name is in a link the roadmaps give
    assert unknown("When is isotonic regression better than Platt scaling?") == ["Platt"]  # a piece of a word
    assert unknown("Which lecturer is a big Pokémon fan?") == []  # written in the other language
    assert unknown("Whisper for speech?") == []  # a sentence's first word is capitalised anyway
    assert name_evidence("Can I use ONNX Runtime?", vocab, str, translate, text).known == []  # a plain word


def test_a_question_asking_for_a_value_is_covered_only_where_a_sentence_states_one_beside_its_words():
    notes = [chunk(1, "roadmap", "- 高效推理：KV 缓存、量化和模型蒸馏\n- 蒸馏的温度 T 一般取 2 到 5。"),
             chunk(2, "roadmap", "- **4. Learn About Dropout**\n- Dropout is one of the regularization methods."),
             chunk(3, "roadmap", "- CMU 11868: LLM Systems, batch size and GPU kernels."),
             *(chunk(i, "roadmap", f"unrelated note {i}") for i in range(4, 40))]
    r = retriever(notes)
    assert r.retrieve("知识蒸馏的温度 T 怎么选？").value_stated is True  # "取 2 到 5" beside 温度
    assert r.retrieve("What is the best dropout rate for a CNN?").value_stated is False  # "4." numbers a heading
    assert r.retrieve("What batch size should I use for a GAN?").value_stated is False  # a course code
    assert r.retrieve("What is dropout?").value_stated is None  # asks for no value


def test_a_percentage_after_a_capitalised_word_is_a_value_not_a_label():
    rules = Chunk(id="r", doc_id="https://repo.example", title="BERT-pytorch", section="Masked LM > Rules",
                  kind="linked", text="Randomly 15% of input tokens will be masked.\n1. Randomly 80% become [MASK].")
    label = chunk(1, "roadmap", "- Month 3: masked tokens and their share")
    r = retriever([rules, label, *(chunk(i, "roadmap", f"unrelated note {i}") for i in range(2, 40))])
    assert r.retrieve("What is the best ratio of masked tokens in BERT-pytorch?").value_stated is True  # "Randomly 15%"
    r = retriever([label, *(chunk(i, "roadmap", f"unrelated note {i}") for i in range(2, 40))])
    assert r.retrieve("What is the best ratio of masked tokens?").value_stated is False  # "Month 3" names a month


def test_a_setting_stated_for_another_model_answers_nothing_about_the_one_the_question_names():
    said = "When pre-training iGPT-XL, we use a batch size of 64 and train for 2M iterations."
    paper = Chunk(id="p", doc_id="https://page.example", title="minGPT", section="References > Image GPT",
                  kind="linked", text=said)
    notes = [paper, chunk(1, "roadmap", "- 根据你的基础，我为你设计了一个 GAN 学习路线图，包括 batch 的选择。"),
             *(chunk(i, "roadmap", f"unrelated note {i}") for i in range(2, 40))]
    r = retriever(notes)
    assert r.retrieve("What batch size should I use to pre-train iGPT-XL?").value_stated is True
    assert r.retrieve("What batch size should I use to train a GAN?").value_stated is False  # 一个 is "a"


def test_a_linked_page_states_its_own_setting_which_answers_only_a_question_naming_a_model_or_the_page():
    said = "The model uses 12 attention heads and 768-dimensional states; the paper sets the weight λ to 1."
    paper = Chunk(id="p", doc_id="https://paper.example", title="Improving Language Understanding",
                  section="Model specifications", kind="linked", text=said)
    r = retriever([paper, *(chunk(i, "roadmap", f"unrelated note {i}") for i in range(1, 40))])
    assert r.retrieve("How many attention heads should a 100M parameter model have?").value_stated is False
    assert r.retrieve("How many attention heads should GPT-1 have?").value_stated is True  # names a model
    # ... or the page itself, by its title
    assert r.retrieve("How many attention heads should I use, per Improving Language Understanding?").value_stated


def test_a_heading_states_the_value_its_section_is_given():
    stage = Chunk(id="s", doc_id="roadmaps/r.txt", title="LLM Road Map",
                  section="DeepSeek > 阶段 2：Transformer 深度解析（3-4 周） > 代码实现进阶",
                  text="- 从零实现一个可配置的 Transformer 模块")
    r = retriever([stage, *(chunk(i, "roadmap", f"unrelated note {i}") for i in range(1, 40))])
    assert r.retrieve("How many weeks should I spend on the Transformer stage of DeepSeek?").value_stated is True
    assert r.retrieve("How many layers should the DeepSeek decoder have?").value_stated is False  # the name alone


def test_a_word_is_rare_among_the_chunks_of_its_own_script_and_a_word_the_index_never_saw_is_rare():
    from tutorbot.retrieval.grounding import rare_words
    from tutorbot.retrieval.rarity import Rarity

    chunks = [*(chunk(i, "roadmap", f"模型 笔记 {i}") for i in range(10)),
              *(chunk(i, "linked", f"english page {i}") for i in range(10, 200))]
    rarity = Rarity(chunks, {"模型": 5, "dropout": 5})
    assert not rarity.is_rare("模型")  # in half the Chinese chunks, though in 5 of 200 in all
    assert rarity.is_rare("dropout") and rarity.is_rare("xgboost")
    assert rare_words({"模型": 1.0, "dropout": 1.0, "rate": 0.5, "64": 1.0}, rarity.is_rare) == {"dropout"}


def test_the_models_translation_adds_search_terms_when_a_translator_is_given():
    class Translator:
        def __init__(self):
            self.asked = []

        def translate(self, question):
            self.asked.append(question)
            return "梯度检查点可以节省显存"

    road = [chunk(i, "roadmap", f"English notes on transformers {i}", "en") for i in range(6)]
    zh = chunk(9, "roadmap", "实现梯度检查点（降低显存消耗）", "zh")
    t = Translator()
    r = Retriever(FakeIndex([*road, zh]), NoEmbedder(), RetrievalSettings(), translator=t)
    found = r.retrieve("which trick trades compute for memory?", k=3)
    assert zh.id in [h.chunk.id for h in found.hits] and t.asked == ["which trick trades compute for memory?"]
    assert {"梯度", "显存"} <= set(found.terms)


def test_a_pasted_page_is_cut_to_the_token_budget_before_bm25_and_the_embedding():
    embedder = NoEmbedder()
    r = retriever([chunk(i, "roadmap", f"kv cache inference {i}") for i in range(3)], embedder, max_query_tokens=64)
    found = r.retrieve("kv cache " * 2000)
    assert embedder.count_tokens(found.query) <= 64 and r.tokenize.count(found.query) <= 64
    assert all(embedder.count_tokens(q) <= 64 + 2 * 64 for q in embedder.queries)  # (+ expansion terms)
    assert found.hits and found.query.startswith("kv cache kv cache")


def test_a_short_question_reaches_retrieval_unchanged():
    embedder = NoEmbedder()
    r = retriever([chunk(1, "roadmap", "kv cache inference")], embedder)
    assert r.retrieve("What is a KV cache?").query == "What is a KV cache?"


def test_a_chunk_holding_every_rare_word_of_the_question_is_not_outvoted_by_middling_ones():
    # The dense ranking (the fake's order) puts the three overviews first, the answer last; BM25 puts it first.
    overviews = [chunk(i, "roadmap", f"llm overview part {i}: models, training and hallucinations") for i in range(3)]
    answer = chunk(9, "roadmap", "extrinsic hallucinations in llms: output not grounded by the pretraining data")
    chunks = [*overviews, *(chunk(i, "roadmap", f"unrelated topic {i}") for i in range(3, 8)), answer]
    question = "extrinsic hallucinations in llms"
    assert retriever(chunks, lexical_lead=0.8).search(question, k=3)[0].chunk == answer
    assert retriever(chunks, lexical_lead=0).search(question, k=3)[0].chunk != answer  # ranks alone outvote it


def page_chunk(position: int, text: str, section: str = "Tips") -> Chunk:
    return Chunk(id=f"p{position}", doc_id="https://blog.example/score", title="Score", text=text, kind="linked",
                 section=section, position=position)


def test_a_hit_ending_on_a_lead_in_brings_the_list_after_it_in_its_section():
    lead = page_chunk(1, "Here are some practical recommendations for tuning with several noise scales:")
    chunks = [page_chunk(0, "Intro."), lead, page_chunk(2, "* Choose the noise scales as a geometric progression."),
              page_chunk(3, "* Apply an exponential moving average to the weights."),
              page_chunk(4, "* A third tip, one too far."), page_chunk(5, "Next part.", section="Sampling")]
    r = retriever(chunks)
    assert [h.chunk.id for h in r.continuations([Hit(chunk=lead, score=0.5)])] == ["p2", "p3"]
    assert r.continuations([Hit(chunk=chunks[0], score=0.5)]) == []  # no lead-in, nothing added
    assert [h.chunk.id for h in r.continuations([Hit(chunk=lead, score=0.5), Hit(chunk=chunks[2], score=0.4)])] \
        == ["p3"]  # a chunk already among the hits is not given twice


def test_the_list_after_a_lead_in_stops_at_the_end_of_its_section():
    lead = page_chunk(1, "The two ways:")
    r = retriever([lead, page_chunk(2, "Another section.", section="Sampling")])
    assert r.continuations([Hit(chunk=lead, score=0.5)]) == []


def test_the_top_five_are_the_same_whatever_k_search_is_asked_for():
    # Dense order is the list order; BM25 favours the chunks that say "attention" most. The fused top 5 must not
    # depend on how many hits the caller asked for (chat asks 5, `tutorbot search` and the evaluation 10).
    chunks = [chunk(i, "roadmap", "attention " * (i % 7 + 1) + f"note {i}") for i in range(60)]
    r = retriever(chunks)
    top5 = [h.chunk.id for h in r.search("attention", k=5)]
    assert top5 == [h.chunk.id for h in r.search("attention", k=10)][:5]
    assert top5 == [h.chunk.id for h in r.search("attention", k=20)][:5]


def blog_pages() -> list[Chunk]:
    """An author's blog home page (which carries a post on hallucination) and one of her posts, both
    named by her name, among enough other chunks for the words to be rare."""
    home = Chunk(id="home", doc_id="https://lilianweng.github.io/", title="Lil'Log", kind="linked",
                 text="Hi, this is Lilian. Extrinsic hallucinations in LLMs: the output must be grounded.")
    post = Chunk(id="post", doc_id="https://lilianweng.github.io/posts/diffusion-models", kind="linked",
                 title="What are diffusion models?", text="Cited as: Weng, Lilian. What are diffusion models?")
    return [home, post, *(chunk(i, "roadmap", f"unrelated note {i}") for i in range(30))]


def test_a_name_two_pages_share_names_the_one_holding_the_questions_other_rare_words():
    r = retriever(blog_pages())
    assert r.retrieve("Lilian Weng's blog on hallucination: which two kinds?").scopes == [
        "https://lilianweng.github.io/"]
    both = r.retrieve("What does Lilian Weng write on her blog?").scopes  # nothing else to tell them apart
    assert both == ["https://lilianweng.github.io/", "https://lilianweng.github.io/posts/diffusion-models"]


def test_a_roadmap_is_named_by_the_rare_word_of_its_name_and_not_by_its_common_one():
    # "relearn-ai.txt" is named "relearn ai": "the relearn roadmap" says its rare half, "the AI roadmap" its common one.
    notes = [Chunk(id=f"r{i}", doc_id="roadmaps/relearn-ai.txt", title="如果重学AI我会怎么学", text=f"AI note {i}",
                   position=i) for i in range(3)]
    r = retriever([*notes, *(chunk(i, "roadmap", f"AI and LLM note {i}") for i in range(30))])
    assert r.retrieve("What does the relearn roadmap say about RAG?").scopes == ["roadmaps/relearn-ai.txt"]
    assert r.retrieve("What does the AI roadmap say about RAG?").scopes == []


def test_a_roadmap_is_named_by_another_word_for_its_kind_of_document():
    # "llm-researcher-plan.txt" is a plan: learners also call it "the researcher roadmap" or "研究者那份路线图".
    notes = [Chunk(id=f"p{i}", doc_id="roadmaps/llm-researcher-plan.txt", title="首要任务", text=f"LLM note {i}",
                   position=i) for i in range(3)]
    r = retriever([*notes, *(chunk(i, "roadmap", f"LLM roadmap note {i}") for i in range(30))])
    assert r.retrieve("How long is the researcher roadmap end to end?").scopes == ["roadmaps/llm-researcher-plan.txt"]
    assert r.retrieve("How long is the researcher course end to end?").scopes == []  # a course is no document kind


def test_a_word_for_a_kind_of_document_names_no_part_headed_by_it():
    # The researcher plan's part "II. 路线图" is headed by the word for "roadmap": "路线图里有讲吗" asks the roadmaps.
    plan = [Chunk(id=f"p{i}", doc_id="roadmaps/llm-researcher-plan.txt", title="首要任务", section="II. 路线图",
                  text=f"课程笔记 {i}", position=i) for i in range(3)]
    r = retriever([*plan, *(chunk(i, "roadmap", f"LLM note {i}", "zh") for i in range(30))])
    assert r.retrieve("偏见和公平性问题路线图里有讲吗？").scopes == []


def test_a_chinese_word_is_rare_or_common_among_the_chinese_chunks_not_among_english_pages_too():
    # "基础" opens three of twenty Chinese notes: common there, however many English pages the index also
    # holds (3 of 120 chunks would read as rare). "复习基础" is no name of the part "基础"; "扩散模型" still is one.
    def note(i: int, section: str, text: str) -> Chunk:
        return Chunk(id=f"n{i}", doc_id="roadmaps/relearn-ai.txt", title="如果重学AI我会怎么学", section=section,
                     text=text, position=i, lang="zh")
    notes = [note(i, "基础 > 深度学习", f"基础 的 笔记 {i}") for i in range(3)]
    notes += [note(3, "扩散模型", "扩散模型 入门 路线")]
    notes += [note(i, "其它", f"其它 中文 笔记 {i}") for i in range(4, 20)]
    r = retriever([*notes, *(chunk(i, "linked", f"unrelated english page {i}") for i in range(100))])
    assert r.retrieve("复习基础的时候，激活函数要看哪些？").scopes == []
    assert "roadmaps/relearn-ai.txt > 扩散模型" in r.retrieve("扩散模型从哪里开始学？").scopes


def test_a_heading_ending_on_a_short_name_in_brackets_is_a_scope_that_name_names():
    from tutorbot.retrieval.scopes import short_name

    assert short_name("Language Models are Unsupervised Multitask Learners (GPT-2)") == "GPT-2"
    assert short_name("Connection with noise-conditioned score networks (NCSN)") == "NCSN"
    assert short_name("8. Advanced Topics (Optional)") == short_name("数据并行（All-Reduce based）") == ""
    notes = [Chunk(id=f"g{v}", doc_id="https://github.com/karpathy/minGPT", title="minGPT", kind="linked",
                   section=f"References > Language Models, part {v} (GPT-{v})", text="LayerNorm moved", position=v)
             for v in (1, 2, 3)]
    r = retriever([*notes, *(chunk(i, "roadmap", f"unrelated note {i}") for i in range(40))])
    gpt2 = "https://github.com/karpathy/minGPT > References > Language Models, part 2 (GPT-2)"
    assert gpt2 in r.retrieve("GPT-2 在结构上改了哪些地方？").scopes
    assert not any("GPT-" in s for s in r.retrieve("What changed in the models?").scopes)


def test_a_paper_is_named_by_the_acronym_its_title_spells_in_capitals():
    from tutorbot.retrieval.scopes import initials

    assert initials("[2006.11239] Denoising Diffusion Probabilistic Models") == "ddpm"
    assert initials("Flow Matching") == ""  # two words spell no acronym anyone asks by
    paper = Chunk(id="p", doc_id="https://arxiv.org/abs/2006.11239", title="Denoising Diffusion Probabilistic Models",
                  kind="linked", text="Authors: Jonathan Ho, Ajay Jain, Pieter Abbeel")
    r = retriever([paper, *(chunk(i, "roadmap", f"unrelated note {i}") for i in range(30))])
    assert r.retrieve("DDPM 论文的作者是谁？").scopes == ["https://arxiv.org/abs/2006.11239"]
    assert r.retrieve("what's llm basics about?").scopes == []  # "s" + "llm" spells no title it was not given


def test_a_paper_is_named_by_its_titles_head_a_coined_name_or_the_words_before_for():
    from tutorbot.retrieval.scopes import title_head

    assert title_head("Scaling Laws for Neural Language Models") == "Scaling Laws"
    assert title_head("DreamBooth: Fine Tuning Text-to-Image Diffusion Models") == "DreamBooth"
    assert title_head("Neural Networks: Zero to Hero") == ""  # a topic before a colon, no name
    assert title_head("A Survey of Large Language Models") == title_head("Attention Is All You Need") == ""
    paper = Chunk(id="p", doc_id="https://arxiv.org/abs/2001.08361", title="Scaling Laws for Neural Language Models",
                  kind="linked", text="# Scaling Laws for Neural Language Models\n\n- Authors: Jared Kaplan")
    abstract = paper.model_copy(update={"id": "a", "position": 1, "section": "Abstract",
                                        "text": "The loss scales as a power-law with model size."})
    r = retriever([paper, abstract, *(chunk(i, "roadmap", f"unrelated note {i}") for i in range(30))])
    assert r.retrieve("what does the scaling laws paper say?").scopes == ["https://arxiv.org/abs/2001.08361"]
    assert r.scopes.openings("https://arxiv.org/abs/2001.08361") == ["p", "a"]  # a byline: the abstract says it
    more = paper.model_copy(update={"id": "m", "position": 1, "text": "- Text source: the arXiv abstract"})
    after = abstract.model_copy(update={"position": 2})
    assert retriever([paper, more, after]).scopes.openings("https://arxiv.org/abs/2001.08361") == ["p", "a"]
    long = paper.model_copy(update={"text": "Scaling laws: " + "the loss falls as models grow. " * 12})
    assert retriever([long, abstract]).scopes.openings("https://arxiv.org/abs/2001.08361") == ["p"]


def test_a_question_about_a_table_finds_the_table_whose_cells_never_say_table():
    from tutorbot.retrieval.sentences import form_words

    table = chunk(1, "roadmap", "| 阶段 | 推荐内容 |\n| --- | --- |\n| 4. LLM 原理 | LLM.int8 和 Zero to Hero |", "zh")
    notes = chunk(2, "roadmap", "- 理解 LLM 原理：先读 LLM 原理的综述", "zh")
    others = [chunk(i, "roadmap", f"note {i} on cooking pasta with tomato sauce and basil") for i in range(3, 12)]
    assert form_words(table.text) == "table 表格" and form_words(notes.text) == ""
    r = retriever([notes, table, *others], lexical_lead=0)
    assert r.search("那张表格里 LLM 原理 一行写了什么？", k=1, mode="bm25")[0].chunk == table
    assert r.search("LLM 原理 写了什么？", k=1, mode="bm25")[0].chunk == notes  # the notes say it more


class KeyedEmbedder:
    """A second view for tests: each text's vector is given by the first key word it contains."""

    name, dim = "keyed", 3

    def __init__(self, vectors: dict[str, list[float]]):
        self.vectors, self.passages = vectors, 0

    def _vec(self, text: str) -> np.ndarray:
        v = np.asarray(next((v for k, v in self.vectors.items() if k in text), [0.0, 0.0, 1.0]), np.float32)
        return v / np.linalg.norm(v)

    def embed_passages(self, texts):
        self.passages += len(texts)
        return np.array([self._vec(t) for t in texts], np.float32)

    def embed_query(self, text):
        return self._vec(text)


def test_a_passage_only_the_second_view_finds_reaches_the_top_k():
    # The first dense view (the fake's order) puts the answer fourth and BM25 cannot see it (no shared word);
    # the second view puts it first. Without the view it stays out of the top 3.
    answer = chunk(9, "roadmap", "多模态：如何让 LLM 理解图像、视频？", "zh")
    notes = [chunk(i, "roadmap", f"research note {i}", "zh") for i in range(8)]
    chunks = [*notes[:3], answer, *notes[3:]]
    second = KeyedEmbedder({"图像": [1.0, 0.0, 0.0], "vision": [1.0, 0.1, 0.0], "research": [0.0, 1.0, 0.0]})
    with_view = Retriever(FakeIndex(chunks), NoEmbedder(), RetrievalSettings(), second=SecondView(second))
    without = Retriever(FakeIndex(chunks), NoEmbedder(), RetrievalSettings(second_view_weight=0),
                        second=SecondView(second))
    assert answer in [h.chunk for h in with_view.search("which direction is about vision?", k=3)]
    assert answer not in [h.chunk for h in without.search("which direction is about vision?", k=3)]


def test_the_second_view_ranks_each_language_weighted_by_how_close_its_best_comes():
    zh, en = chunk(1, "roadmap", "图像 note", "zh"), chunk(2, "roadmap", "research note", "en")
    view = SecondView(KeyedEmbedder({"图像": [1.0, 0.0, 0.0], "research": [0.6, 0.8, 0.0]})).refreshed([zh, en])
    lists, weights = view.lists("图像", [zh, en], side_masks([zh, en]), 5)
    assert lists == [[zh.id], [en.id]]
    assert weights[0] == 1.0 and weights[1] < 0.01  # the English side's best is 0.4 behind: it weighs little


def test_a_refresh_embeds_only_new_chunks_and_leaves_the_view_searches_are_using_unchanged():
    embedder = KeyedEmbedder({})
    old_chunks = [chunk(i, "roadmap", f"note {i}") for i in range(3)]
    view = SecondView(embedder).refreshed(old_chunks)
    fresh = view.refreshed([*old_chunks[1:], chunk(7, "roadmap", "a page the background job added")])
    assert embedder.passages == 3 + 1  # the two kept chunks were not embedded again
    assert view._matrix.shape == (3, 3) and fresh._matrix.shape == (3, 3)
    assert list(fresh._vectors) == ["roadmap1en", "roadmap2en", "roadmap7en"]  # the dropped chunk is forgotten


def test_a_new_process_reads_the_saved_vectors_and_embeds_only_what_the_file_lacks(tmp_path):
    chunks = [chunk(i, "roadmap", f"note {i}") for i in range(3)]
    first = KeyedEmbedder({})
    SecondView(first, tmp_path / "v.npz").refreshed(chunks)
    again = KeyedEmbedder({})
    view = SecondView(again, tmp_path / "v.npz").refreshed([*chunks, chunk(5, "roadmap", "a new page")])
    assert (first.passages, again.passages) == (3, 1)
    assert np.allclose(view._matrix[:3], SecondView(first).refreshed(chunks)._matrix)


def test_a_damaged_or_other_models_vector_file_is_embedded_again_not_trusted(tmp_path):
    chunks = [chunk(i, "roadmap", f"note {i}") for i in range(2)]
    (tmp_path / "v.npz").write_bytes(b"not a zip file")
    embedder = KeyedEmbedder({})
    assert SecondView(embedder, tmp_path / "v.npz").refreshed(chunks)._matrix.shape == (2, 3)
    other = KeyedEmbedder({})
    other.name = "another-model"
    SecondView(other, tmp_path / "v.npz").refreshed(chunks)
    assert other.passages == 2  # the file now holds the first model's vectors: not this one's


def test_the_second_view_alone_is_a_mode_only_when_there_is_one():
    chunks = [chunk(1, "roadmap", "图像 note", "zh"), chunk(2, "roadmap", "research note", "en")]
    keyed = KeyedEmbedder({"图像": [1.0, 0.0, 0.0], "research": [0.0, 1.0, 0.0], "vision": [0.9, 0.1, 0.0]})
    with_view = Retriever(FakeIndex(chunks), NoEmbedder(), RetrievalSettings(), second=SecondView(keyed))
    assert "second" in with_view.modes() and "second" not in retriever(chunks).modes()
    with pytest.raises(InputError, match="TUTORBOT_EMBEDDING_SECOND_VIEW=use"):
        retriever(chunks).search("vision", mode="second")  # an empty list would read as "nothing found"
    assert [h.chunk.id for h in with_view.search("vision", k=2, mode="second")] == ["roadmap1zh", "roadmap2en"]


def test_an_index_emptied_of_every_chunk_leaves_an_empty_vector_file_not_an_error(tmp_path):
    view = SecondView(KeyedEmbedder({}), tmp_path / "v.npz").refreshed([chunk(1, "roadmap", "note")])
    empty = view.refreshed([])
    assert empty.lists("note", [], {"zh": np.array([], bool), "en": np.array([], bool)}, 5) == ([], [])
    assert SecondView(KeyedEmbedder({}), tmp_path / "v.npz")._vectors == {}


class WideEmbedder(NoEmbedder):
    name = "another/model"

    def embed_query(self, text):
        return [1.0, 0.0, 0.0]


def test_an_index_embedded_by_another_model_is_refused_with_the_rebuild_command():
    r = retriever([chunk(0, "roadmap", "lora low rank adaptation")], embedder=WideEmbedder())
    with pytest.raises(IndexMismatch, match=r"2-dimensional .*another/model.* gives 3: run `tutorbot index rebuild`"):
        r.search("what is lora")


def roadmap_and_linked_page() -> list[Chunk]:
    """A roadmap whose code list links nanoGPT, and the nanoGPT page, among enough other notes for their
    names to be rare."""
    road = [Chunk(id=f"d{i}", doc_id="roadmaps/deepseek.txt", title="DeepSeek", position=i, section="代码级学习",
                  text=text) for i, text in enumerate(["1. [**nanoGPT**](https://github.com/karpathy/nanoGPT)：单文件 "
                                                       "GPT 训练框架，读懂它的 train.py", "2. 手写 BERT", "3. 读源码"])]
    page = [Chunk(id=f"n{i}", doc_id="https://github.com/karpathy/nanoGPT", title="nanoGPT", kind="linked",
                  position=i, text=text) for i, text in enumerate(
        ["# nanoGPT\n\nThe simplest, fastest repository for training medium-sized GPTs.",
         "train.py reproduces GPT-2 (124M) on OpenWebText, running on a single 8XA100 node in about 4 days."])]
    return [*road, *page, *(chunk(i, "roadmap", f"unrelated note {i}") for i in range(40))]


def test_a_page_named_with_a_roadmap_that_links_to_it_is_what_the_question_asks_about():
    # The roadmap only says where the link is: boosting it as much as the page kept the answer out of the top.
    r = retriever(roadmap_and_linked_page())
    question = "In the DeepSeek roadmap, the nanoGPT link: what does its train.py reproduce, and how long does it run?"
    found = r.retrieve(question)
    assert found.scopes == ["https://github.com/karpathy/nanoGPT", "roadmaps/deepseek.txt"]
    assert found.hits[0].chunk.id == "n1"
    assert r.scopes.addressed(set(found.scopes)) == {"https://github.com/karpathy/nanoGPT"}


def test_a_page_named_with_a_roadmap_that_does_not_link_to_it_leaves_both_boosted():
    r = retriever(roadmap_and_linked_page())
    named = {"https://github.com/karpathy/nanoGPT", "roadmaps/7.txt"}
    assert r.scopes.addressed(named) == named
    assert r.scopes.linked_by == {"https://github.com/karpathy/nanoGPT": {"roadmaps/deepseek.txt"}}
