"""The line view: the other language's roadmap lines, ranked one at a time, joining the fusion only where
BM25 agrees (fake embedder, fake index)."""

from pathlib import Path

import numpy as np
from test_retrieve_unit import FakeIndex, KeyedEmbedder, NoEmbedder, chunk

from tutorbot.retrieval.line_view import LineView
from tutorbot.retrieval.retriever import Retriever
from tutorbot.retrieval.second_view import SecondView, load_vectors
from tutorbot.schemas import Chunk
from tutorbot.settings import RetrievalSettings

KEYS = {"notes": [0.0, 1.0, 0.0], "Residual": [1.0, 0.0, 0.0], "残差": [1.0, 0.0, 0.0], "Dropout": [0.8, 0.6, 0.0]}


def english_answer(i: int = 1) -> Chunk:
    # As a chunk it reads as study notes; one of its lines is what the question asks about.
    return chunk(i, "roadmap", "Study notes for week one.\n- Residual Connections: important for deep networks.")


def view(chunks: list[Chunk], embedder: KeyedEmbedder | None = None, lines: Path | None = None) -> LineView:
    return LineView(SecondView(embedder or KeyedEmbedder(KEYS), lines=lines).embed_lines, chunks)


def test_the_line_nearest_the_question_names_its_chunk_in_the_other_language_only():
    zh = chunk(2, "roadmap", "残差连接的笔记。", "zh")
    other = chunk(3, "roadmap", "Dropout helps against overfitting.")
    lines = view([zh, english_answer(), other])
    query = np.asarray(KEYS["残差"], np.float32)
    everything = [zh.id, "roadmap1en", other.id]
    assert lines.agreeing(query, "en", everything, cut=5) == ["roadmap1en", other.id]
    assert lines.agreeing(query, "zh", everything, cut=5) == [zh.id]


def test_a_chunk_joins_only_when_its_languages_bm25_list_holds_it_too():
    lines = view([english_answer(), chunk(3, "roadmap", "Dropout helps against overfitting.")])
    query = np.asarray(KEYS["残差"], np.float32)
    assert lines.agreeing(query, "en", ["roadmap3en"], cut=5) == ["roadmap3en"]
    assert lines.agreeing(query, "en", [], cut=5) == []


def test_only_the_first_lines_by_the_view_count():
    lines = view([english_answer(), chunk(3, "roadmap", "Dropout helps against overfitting.")])
    query = np.asarray(KEYS["残差"], np.float32)
    # Lines: "Study notes…" (far), "Residual…" (nearest), "Dropout…" (second): a cut of 1 keeps the nearest.
    assert lines.agreeing(query, "en", ["roadmap1en", "roadmap3en"], cut=1) == ["roadmap1en"]


def test_a_question_naming_a_roadmap_or_part_keeps_only_lines_inside_it():
    inside = english_answer().model_copy(update={"section": "ChatGPT > Key Issues"})
    outside = chunk(3, "roadmap", "Residual learning, revisited.").model_copy(update={"section": "DeepSeek"})
    lines = view([inside, outside])
    query = np.asarray(KEYS["残差"], np.float32)
    ids = [inside.id, outside.id]
    assert set(lines.agreeing(query, "en", ids, cut=5)) == set(ids)
    named = {"roadmaps/1.txt"}  # the doc scope of ``inside`` only
    assert lines.agreeing(query, "en", ids, cut=5, named=named) == [inside.id]


def test_linked_pages_give_no_lines_and_a_refresh_with_the_same_roadmap_embeds_nothing_again():
    embedder = KeyedEmbedder(KEYS)
    page = chunk(7, "linked", "Residual networks, the paper.")
    lines = view([english_answer(), page], embedder)
    assert set(lines.owners) == {"roadmap1en"} and embedder.passages == 2  # the roadmap chunk's two lines
    embed = SecondView(embedder).embed_lines
    assert lines.refreshed([english_answer(), page, chunk(8, "linked", "another page")], embed) is lines
    changed = lines.refreshed([english_answer(), chunk(4, "roadmap", "Dropout helps.")], embed)
    assert changed is not lines and embedder.passages == 2 + 3


def test_the_lines_file_spares_the_next_start_every_line_and_follows_a_changed_roadmap(tmp_path):
    embedder, path = KeyedEmbedder(KEYS), tmp_path / "line-view.npz"
    first = view([english_answer()], embedder, path)
    assert embedder.passages == 2 and set(load_vectors(path, embedder.name)) == {
        "Study notes for week one.", "Residual Connections: important for deep networks."}
    again = view([english_answer()], embedder, path)  # the next start
    assert embedder.passages == 2 and np.array_equal(again.vectors, first.vectors)
    changed = english_answer().model_copy(update={"text": "Study notes for week one.\n- Dropout: regularises."})
    view([changed], embedder, path)
    assert embedder.passages == 3  # the new line only
    assert set(load_vectors(path, embedder.name)) == {"Study notes for week one.", "Dropout: regularises."}


def retriever(chunks: list[Chunk], **settings) -> Retriever:
    return Retriever(FakeIndex(chunks), NoEmbedder(), RetrievalSettings(**settings),
                     second=SecondView(KeyedEmbedder(KEYS)))


def test_a_chinese_question_reaches_the_english_line_that_answers_it_through_the_line_view():
    # Chinese notes share the question's words and lead every chunk-level list; the English chunk shares one
    # word (ResNet) and reads as study notes as a whole: only its line says what the question asks. It is
    # second with the line view, sixth without.
    notes = [chunk(i, "roadmap", f"笔记 {i}：残差连接。", "zh") for i in range(2, 6)]
    answer = english_answer().model_copy(update={"text": "Study notes, ResNet.\n- Residual Connections: important."})
    chunks = [*notes, chunk(9, "roadmap", "notes on ResNet training"), answer]
    question = "ResNet 的残差连接为什么重要？"
    assert answer.id in [h.chunk.id for h in retriever(chunks).search(question, k=3)]
    assert answer.id not in [h.chunk.id for h in retriever(chunks, line_view_weight=0).search(question, k=3)]


def test_linked_pages_ahead_in_bm25_do_not_keep_a_roadmap_line_from_agreeing():
    # The line view holds roadmap lines only, so its BM25 agreement is among roadmap sections: English pages that
    # say ResNet more often fill the first places of the English BM25 list without blocking the answer's line.
    notes = [chunk(i, "roadmap", f"笔记 {i}：残差连接。", "zh") for i in range(2, 6)]
    pages = [chunk(i, "linked", "ResNet ResNet ResNet notes.") for i in range(10, 13)]
    answer = english_answer().model_copy(update={"text": "Study notes, ResNet.\n- Residual Connections: important."})
    top = [h.chunk.id for h in retriever([*notes, *pages, answer]).search("ResNet 的残差连接为什么重要？", k=5)]
    assert answer.id in top  # eighth, behind the three pages, were they counted in the agreement


class CountingKeyed(KeyedEmbedder):
    def __init__(self, vectors):
        super().__init__(vectors)
        self.queries: list[str] = []

    def embed_query(self, text):
        self.queries.append(text)
        return super().embed_query(text)


def test_a_search_embeds_the_question_once_per_model_for_every_stage_that_reads_it():
    # e5 ranks both languages' chunks; USE ranks them too and ranks the lines: each model embeds the question once.
    first, second = NoEmbedder(), CountingKeyed(KEYS)
    r = Retriever(FakeIndex([chunk(2, "roadmap", "笔记：残差连接。", "zh"), english_answer()]), first,
                  RetrievalSettings(), second=SecondView(second))
    r.search("ResNet 的残差连接为什么重要？")
    assert len(first.queries) == 1 and len(second.queries) == 1
    r.search("Why do residual connections matter?")
    assert len(first.queries) == 2 and len(second.queries) == 2
