"""Evaluation metrics: retrieval hit@k/MRR and the whole-chain answer report, with fakes."""

from tutorbot.chat.evaluate import QA, contains_evidence, eval_answers, first_hit_rank, summarise
from tutorbot.chat.service import ChatService
from tutorbot.llm.client import LLMUnavailable
from tutorbot.llm.fake import FakeLLM
from tutorbot.llm.prompts import PromptLibrary
from tutorbot.retrieval.retriever import Retrieval
from tutorbot.schemas import Chunk, Hit
from tutorbot.settings import PROJECT_ROOT, Settings

HITS = [Hit(chunk=Chunk(id="a", doc_id="roadmaps/a.txt", title="T", section="S", text="HELM by Percy Liang"), score=1),
        Hit(chunk=Chunk(id="b", doc_id="roadmaps/b.txt", title="T", section="S", text="DDPM paper"), score=0.5)]


class Fixed:
    by_id = {h.chunk.id: h.chunk for h in HITS}

    def __init__(self, sim):
        self.sim = sim

    def retrieve(self, query, k=None, mode=None):
        return Retrieval(HITS, self.sim(query), 10.0, query)


def chat(llm, sim=lambda q: 0.95):
    return ChatService(Settings(_env_file=None), Fixed(sim), llm, PromptLibrary(PROJECT_ROOT / "prompts"), None, [])


def test_hit_ranks_and_summary():
    assert contains_evidence("The  HELM\n benchmark", ["helm BENCHMARK"])  # whitespace and case normalised
    assert not contains_evidence("The HELM-benchmark", ["helm benchmark"])
    assert first_hit_rank(HITS, ["ddpm"]) == 2 and first_hit_rank(HITS, ["gan"]) is None
    assert summarise([1, 2, None, 6]) == {"n": 4, "hit@1": 0.25, "hit@5": 0.5, "mrr": (1 + 0.5 + 1 / 6) / 4}


def test_answer_report_counts_citations_precision_and_refusals():
    qa = [QA(question="Which benchmark by Percy Liang?", evidence=["HELM"])]
    report = eval_answers(chat(FakeLLM("HELM is the benchmark [1]. DDPM too [2].")), qa,
                          off_topic=["How do I bake bread?"])
    assert report["answers_with_citation"] == 1.0 and report["citation_precision"] == 0.5
    assert report["off_topic_refusal"] == 0.0  # the fake retriever calls everything in scope
    assert report["model_answers"] == 1 and report["median_ttft_s"] is not None and report["errors"] == 0


def test_fallbacks_do_not_flatter_time_to_first_token():
    qa = [QA(question="Which benchmark by Percy Liang?", evidence=["HELM"])]
    down = eval_answers(chat(FakeLLM(LLMUnavailable("down"))), qa, off_topic=[])
    assert down["errors"] == 1 and down["model_answers"] == 0 and down["median_ttft_s"] is None
    refused = eval_answers(chat(FakeLLM("x"), sim=lambda q: 0.1), qa, off_topic=["Bread?"])
    assert refused["not_covered"] == 1 and refused["median_ttft_s"] is None and refused["off_topic_refusal"] == 1.0
