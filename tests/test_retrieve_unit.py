"""Fusion rules of the hybrid retriever, over a fake index (no embeddings, no Chroma)."""

from tutorbot.retrieval.retriever import Retriever, rrf
from tutorbot.schemas import Chunk, Hit
from tutorbot.settings import RetrievalSettings


class FakeIndex:
    """Dense ranking = the chunks in the order given (best first)."""

    def __init__(self, chunks):
        self.chunks = chunks

    def all_chunks(self):
        return list(self.chunks)

    def query(self, vector, k):
        return [Hit(chunk=c, score=0.9 - i / 100) for i, c in enumerate(self.chunks[:k])]


class NoEmbedder:
    def embed_query(self, text):
        return [0.0]


def chunk(i: int, kind: str, text: str) -> Chunk:
    return Chunk(id=f"{kind}{i}", doc_id=f"https://page{i}.example" if kind == "linked" else f"roadmaps/{i}.txt",
                 title="t", text=text, kind=kind, trusted=kind != "linked")


def retriever(chunks, **kw) -> Retriever:
    return Retriever(FakeIndex(chunks), NoEmbedder(), RetrievalSettings(**kw))


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


def test_names_of_courses_papers_and_tools_are_recognised_in_questions():
    from tutorbot.retrieval.retriever import mentions_name, name_terms

    names = name_terms(["Stanford CS336: Language Modeling from Scratch", "karpathy/nanoGPT", "LoRA 微调", "HELM"])
    assert {"cs336", "nanogpt", "lora", "helm"} <= names and "stanford" not in names and "language" not in names
    assert mentions_name("what is cs336?", names) and mentions_name("Tell me about nanoGPT", names)
    assert not mentions_name("Who won the 2018 football World Cup?", names)
