"""Evaluation metrics: retrieval hit@k/MRR and the whole-chain answer report, with fakes."""

from fakes import RanksSentences

from tutorbot.chat.answer_eval import KeyedQA, correct, evaluate, summary
from tutorbot.chat.evaluate import QA, contains_evidence, first_hit_rank, summarise
from tutorbot.chat.service import ChatService
from tutorbot.llm.client import LLMUnavailable
from tutorbot.llm.fake import FakeLLM
from tutorbot.llm.prompts import PromptLibrary
from tutorbot.retrieval.retriever import Retrieval
from tutorbot.schemas import Chunk, Hit
from tutorbot.settings import PROJECT_ROOT, Settings

HITS = [Hit(chunk=Chunk(id="a", doc_id="roadmaps/a.txt", title="T", section="S", text="HELM by Percy Liang"), score=1),
        Hit(chunk=Chunk(id="b", doc_id="roadmaps/b.txt", title="T", section="S", text="DDPM paper"), score=0.5)]


class Fixed(RanksSentences):
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


def test_an_answer_is_correct_only_with_one_alternative_of_every_key_group():
    keys = [["CS336", "CS 336"], ["scratch", "从零"]]
    assert correct("Stanford CS 336 builds it 从零 [1]", keys) == (True, [])
    assert correct("Stanford CS336 is a course [1]", keys) == (False, [["scratch", "从零"]])


def test_keys_are_matched_in_the_answer_as_the_learner_reads_it_not_in_its_markup_or_error_notice():
    from tutorbot.chat.answer_eval import shown_text
    from tutorbot.schemas import Answer

    text = "label smoothing of value $\\epsilon\\_{ls}\\=0\\.1$, 3\\~6 months, a &lt; b [1]"
    escaped = Answer(answer=text, language="en")
    assert correct(shown_text(escaped), [["0.1"], ["3~6"], ["a < b"]]) == (True, [])
    down = "The model is unavailable right now (server at http://127.0.0.1:9/v1 is not reachable)."
    quoted = Answer(answer=f"{down}\nFrom the sources:\n- label smoothing [1]", language="en", error=down)
    assert correct(shown_text(quoted), [["0.1"]]) == (False, [["0.1"]])


def test_the_report_counts_truth_refusals_loops_and_model_text_per_kind_and_language():
    qa = [KeyedQA(id="a", kind="lookup", lang="en", question="Which benchmark by Percy Liang?", keys=[["HELM"]]),
          KeyedQA(id="b", kind="not-covered", lang="en", question="How do I bake bread?")]
    verified = FakeLLM("HELM by Percy Liang is the benchmark [1]. Percy Liang made HELM. HELM by Percy Liang!")
    refuse_bread = chat(verified, sim=lambda q: 0.1 if "bread" in q else 0.95)
    outcomes = evaluate(refuse_bread, qa)
    assert [(o.correct, o.refused, o.degenerate) for o in outcomes] == [(True, False, False), (True, True, False)]
    assert outcomes[0].model_text and outcomes[0].citations_valid and outcomes[0].first_text_s is not None
    report = summary(outcomes)
    assert report["all"]["correct"] == 1.0 and report["lookup/en"]["n"] == 1 and report["lang:en"]["n"] == 2


def test_a_model_that_is_down_still_answers_from_the_sources_and_says_so():
    qa = [KeyedQA(id="a", kind="lookup", lang="en", question="Which benchmark by Percy Liang?", keys=[["HELM"]])]
    (outcome,) = evaluate(chat(FakeLLM(LLMUnavailable("down"))), qa)
    assert outcome.correct and not outcome.model_text and not outcome.degenerate


def test_the_halves_are_disjoint_deterministic_and_stratified_by_kind_and_language():
    import pytest

    from tutorbot.chat.evaluate import split
    from tutorbot.errors import InputError

    qa = [QA(id=f"q{i}", lang="en" if i % 3 else "zh", kind="advice" if i % 2 else "linked", question=f"q{i}?")
          for i in range(40)]
    tune, held = split(qa, "tune"), split(qa, "heldout")
    assert {q.id for q in tune} | {q.id for q in held} == {q.id for q in qa}
    assert not {q.id for q in tune} & {q.id for q in held}
    assert [q.id for q in split(qa, "tune")] == [q.id for q in tune]
    for kind in ("advice", "linked"):
        for lang in ("en", "zh"):
            n_tune = sum(q.kind == kind and q.lang == lang for q in tune)
            n_held = sum(q.kind == kind and q.lang == lang for q in held)
            assert abs(n_tune - n_held) <= 1
    assert split(qa, "all") == qa
    with pytest.raises(InputError, match="tune, heldout, all"):
        split(qa, "test")


def test_retrieval_metrics_are_reported_per_kind_and_language_without_the_unanswerable():
    from tutorbot.chat.evaluate import eval_retrieval

    class Retriever:
        def search(self, question, k=10, mode=None):
            return HITS

    qa = [QA(id="a", lang="en", kind="lookup-cross", question="x", evidence=["HELM"]),
          QA(id="b", lang="zh", kind="lookup-zh", question="y", evidence=["DDPM"]),
          QA(id="c", lang="en", kind="not-covered", question="z")]
    report = eval_retrieval(Retriever(), qa)
    assert report["all"]["n"] == 2 and report["lookup-zh/zh"]["mrr"] == 0.5 and "not-covered" not in report


def test_grounding_report_counts_refusals_by_kind_of_question():
    from tutorbot.chat.evaluate import eval_grounding

    class Chat:
        def covers(self, question):
            return "roadmap" in question

    qa = [QA(id="a", question="roadmap stage?", evidence=["x"]), QA(id="b", question="lora_alpha?"),
          QA(id="c", question="What about the roadmap's onnx?")]
    report = eval_grounding(Chat(), qa, off_topic=["bread?", "roadmap of France?"])
    assert report["not_covered_refused"] == 0.5 and report["answered_not_covered"] == ["c"]
    assert report["answerable_refused"] == 0.0 and report["off_topic_refused"] == 0.5
