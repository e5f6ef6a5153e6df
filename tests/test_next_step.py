"""Chat's "what should I study next?": answered from the learner's own plan, composed and cited."""

import pytest
from fakes import RanksSentences, tokenizer

from tutorbot.chat.next_step import Standing, next_step_answer
from tutorbot.chat.scope import asks_what_next
from tutorbot.chat.service import ChatService
from tutorbot.curriculum.models import Goal
from tutorbot.llm.fake import FakeLLM
from tutorbot.llm.prompts import PromptLibrary
from tutorbot.plans.models import Plan, PlanResource, Week, WeekTopic
from tutorbot.retrieval.retriever import Retrieval
from tutorbot.schemas import CatalogEntry, Chunk, Hit, RoadmapRef
from tutorbot.settings import PROJECT_ROOT, Settings

NANO = "https://github.com/karpathy/nanogpt"
CS336 = "https://stanford-cs336.github.io/spring2025"
CATALOG = [CatalogEntry(id=NANO, url=NANO, title="nanoGPT", kind="repository", description="The simplest GPT.",
                        refs=[RoadmapRef(roadmap="roadmaps/llm.txt", section="阶段 2 > 代码")]),
           CatalogEntry(id=CS336, url=CS336, title="Stanford CS336", kind="course",
                        refs=[RoadmapRef(roadmap="roadmaps/llm.txt", section="课程")])]
NAMES = {("transformer", "en"): "Transformer", ("transformer", "zh"): "Transformer 架构",
         ("pretraining", "en"): "Pretraining", ("pretraining", "zh"): "预训练", ("dl_basics", "en"): "DL basics"}


def name_of(topic: str, lang: str) -> str:
    return NAMES.get((topic, lang), topic)


def plan() -> Plan:
    weeks = [Week(week=1, hours=6, topics=[WeekTopic(id="dl_basics", name="DL", hours=6)]),
             Week(week=2, hours=6, topics=[WeekTopic(id="transformer", name="Transformer", hours=4),
                                           WeekTopic(id="pretraining", name="Pretraining", hours=2)],
                  resources=[PlanResource(id=NANO, title="nanoGPT", url=NANO, kind="code", topic="transformer"),
                             PlanResource(id=CS336, title="Stanford CS336", url=CS336, kind="course",
                                          topic="pretraining"),
                             PlanResource(id=NANO, title="nanoGPT", url=NANO, kind="code", topic="pretraining")])]
    return Plan(summary="2 weeks", language="en", goal=Goal.understand_llms, hours_per_week=6, weeks_requested=2,
                weeks=weeks)


@pytest.mark.parametrize("question", ["What should I study next?", "what now?", "What do I do next in my plan?",
                                      "I finished week 2, what now?", "我下一步该学什么？", "接下来呢？",
                                      "我学完了第一周，接下来呢？", "下一步该看哪个资源？"])
def test_a_question_made_only_of_what_next_words_asks_what_to_study_next(question):
    assert asks_what_next(question, tokenizer())


@pytest.mark.parametrize("question", ["What is next token prediction?", "What comes after pretraining?",
                                      "What should I learn first?", "下一步预测是怎么训练的？",
                                      "What should I cook next?"])
def test_a_question_about_a_subject_or_about_beginning_does_not_ask_what_next(question):
    assert not asks_what_next(question, tokenizer())


def test_the_next_step_is_the_first_unfinished_weeks_open_topics_with_their_resources_cited():
    a = next_step_answer(Standing(plan(), {"dl_basics", "transformer"}), "en", {e.id: e for e in CATALOG}, name_of)
    assert "week 2 of your 2-week plan" in a.answer and "**Pretraining** (2 h)" in a.answer
    assert "Transformer" not in a.answer  # marked done
    assert "Stanford CS336 [1]; nanoGPT [2]" in a.answer
    assert [(c.n, c.urls, c.source, c.section) for c in a.citations] == [
        (1, [CS336], "roadmaps/llm.txt", "课程"), (2, [NANO], "roadmaps/llm.txt", "阶段 2 > 代码")]
    assert a.citations[1].text == "The simplest GPT." and [p.origin for p in a.parts] == ["composed"]


def test_a_resource_two_topics_share_is_cited_once_and_labels_follow_the_learners_language():
    a = next_step_answer(Standing(plan(), {"dl_basics"}, due=3), "zh", {e.id: e for e in CATALOG}, name_of)
    assert "第 2 周" in a.answer and "**Transformer 架构**（4 小时）：nanoGPT [1]" in a.answer
    assert "**预训练**（2 小时）：Stanford CS336 [2]; nanoGPT [1]" in a.answer
    assert len(a.citations) == 2 and "3 张测验复习卡到期" in a.answer


def test_a_finished_plan_says_so_and_points_to_quizzes_and_a_new_plan():
    a = next_step_answer(Standing(plan(), {"dl_basics", "transformer", "pretraining"}), "en", {}, name_of)
    assert "Every topic of your plan is marked done" in a.answer and a.citations == []


class Retriever(RanksSentences):
    def __init__(self):
        self.queries = []

    def retrieve(self, query, k=None, mode=None):
        self.queries.append(query)
        hit = Hit(chunk=Chunk(id="c1", doc_id="roadmaps/llm.txt", title="LLM", section="入门", text="先学 Python。"),
                  score=0.1)
        return Retrieval([hit], 0.9, 4.0, query)


def chat(tmp_path, standing) -> tuple[ChatService, Retriever]:
    s, retriever = Settings(_env_file=None, data_dir=tmp_path), Retriever()
    return ChatService(s, retriever, FakeLLM("x [1]."), PromptLibrary(PROJECT_ROOT / "prompts"), None, CATALOG,
                       standing=standing, name_of=name_of), retriever


def test_chat_answers_what_next_from_the_learners_plan_without_searching_or_calling_the_model(tmp_path):
    service, retriever = chat(tmp_path, lambda user: Standing(plan(), {"dl_basics"}) if user == 7 else None)
    a = service.ask("What should I study next?", user_id=7)
    assert "week 2 of your 2-week plan" in a.answer and "nanoGPT [1]" in a.answer and a.grounded
    assert retriever.queries == [] and service.llm.calls == []
    assert not service.offers_plan("What should I study next?", 7)  # the learner has a plan already


def test_without_a_plan_what_next_is_answered_from_the_roadmaps_starting_points_with_a_plan_offer(tmp_path):
    service, retriever = chat(tmp_path, lambda user: None)
    a = service.ask("What should I study next?", user_id=7)
    assert "week" not in a.answer and a.grounded and "第一阶段 first stage" in retriever.queries[-1]
    assert service.offers_plan("What should I study next?", 7)


def test_in_a_conversation_and_after_that_follows_the_last_answer_but_what_should_i_study_next_reads_the_plan(
        tmp_path):
    from tutorbot.chat.service import Turn

    service, retriever = chat(tmp_path, lambda user: Standing(plan(), {"dl_basics"}))
    history = [Turn("user", "How do I train a tokenizer?"), Turn("assistant", "Start with BPE [1].")]
    follow = service.ask("And after that?", user_id=7, history=history)
    assert "week 2" not in follow.answer and "tokenizer" in retriever.queries[-1]
    assert "week 2 of your 2-week plan" in service.ask("What should I study next?", user_id=7, history=history).answer
    assert "week 2 of your 2-week plan" in service.ask("And after that?", user_id=7).answer  # a first question
