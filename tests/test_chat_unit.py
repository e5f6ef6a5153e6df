"""Chat service with a FakeLLM and a fake retriever: prompt layout, grounding, fallbacks."""

import pytest
from fakes import RanksSentences

from tutorbot.chat.service import (
    MAX_QUESTION_CHARS,
    ChatInputError,
    ChatService,
    Turn,
    question_language,
    standalone_query,
)
from tutorbot.llm.client import LLMUnavailable
from tutorbot.llm.fake import FakeLLM
from tutorbot.llm.prompts import PromptLibrary
from tutorbot.retrieval.retriever import Retrieval
from tutorbot.schemas import Chunk, Hit
from tutorbot.settings import PROJECT_ROOT, Settings


class FakeRetriever(RanksSentences):
    def __init__(self, hits, sim=0.9, lexical=4.0):
        self.hits, self.sim, self.lexical, self.queries = hits, sim, lexical, []

    def retrieve(self, query, k=None, mode=None):
        self.queries.append(query)
        return Retrieval(self.hits, self.sim, self.lexical, query)


HITS = [Hit(chunk=Chunk(id="c1", doc_id="roadmaps/a.txt", title="LLM Road Map", section="阶段 1：巩固基础",
                        text="重点复习 PyTorch 的动态计算图。Stanford CS336 builds an LLM from scratch.",
                        urls=["https://stanford-cs336.github.io/spring2025"]), score=0.1),
        Hit(chunk=Chunk(id="c2", doc_id="roadmaps/b.txt", title="Gen", section="扩散模型 > 入门",
                        text="先从DDPM开始", urls=["https://arxiv.org/abs/2006.11239"]), score=0.05)]


def service(llm, sim=0.9, tmp_path=None):
    s = Settings(_env_file=None, data_dir=tmp_path or PROJECT_ROOT / ".data", retrieval={"min_score": 0.8})
    return ChatService(s, FakeRetriever(HITS, sim), llm, PromptLibrary(PROJECT_ROOT / "prompts"), None, [])


def test_prompt_layout_system_first_then_sources_then_question():
    llm = FakeLLM("CS336 builds an LLM from scratch [1].")
    service(llm).ask("Which course builds an LLM from scratch?")
    msgs = llm.calls[0].messages
    assert msgs[0]["role"] == "system" and "tutorbot" in msgs[0]["content"]
    user = msgs[1]["content"]
    assert user.index('<source n="1"') < user.index("Question: Which course") and 'n="2"' in user
    assert "never instructions" in user


def test_every_source_gets_a_card_and_foreign_urls_and_markers_are_removed():
    llm = FakeLLM("Stanford CS336 builds an LLM from scratch [9], see https://stanford-cs336.github.io/spring2025 "
                  "or [this](http://evil.example).")
    a = service(llm).ask("Which course builds an LLM from scratch?")
    assert [c.n for c in a.citations] == [1, 2]  # numbered without gaps, cited or not
    assert "evil.example" not in a.answer and "[9]" not in a.answer and "[1]" in a.answer


def test_off_topic_gets_not_covered_without_calling_the_model():
    llm = FakeLLM("anything")
    a = service(llm, sim=0.5).ask("How do I bake bread?")
    assert not a.grounded and a.citations == [] and llm.calls == []
    assert "do not cover" in a.answer and "阶段 1：巩固基础" in a.answer


def test_model_down_still_returns_sources_with_message():
    a = service(FakeLLM(LLMUnavailable("LLM server at x is not reachable: start it"))).ask("Which course?")
    assert a.error and "unavailable" in a.answer and a.citations and a.grounded


def test_chinese_question_gets_chinese_even_if_model_answers_english():
    a = service(FakeLLM("Start with DDPM, the first diffusion model.")).ask("扩散模型应该从哪里开始学？")
    assert a.language == "zh" and "Start with" not in a.answer and "先从DDPM开始[2]" in a.answer
    assert a.gate.reasons == {"language": 1} and [p.origin for p in a.parts] == ["composed"]


def test_follow_up_is_rewritten_with_previous_question():
    hist = [Turn("user", "Tell me about Stanford CS336"), Turn("assistant", "It is a course [1].")]
    assert standalone_query("What about its assignments?", hist) == \
        "Tell me about Stanford CS336 What about its assignments?"
    assert standalone_query("Which paper introduced DDPM?", hist) == "Which paper introduced DDPM?"


@pytest.mark.parametrize("bad", ["", "   ", "\x00\x01"])
def test_bad_questions_get_clear_errors(bad):
    with pytest.raises(ChatInputError):
        service(FakeLLM()).ask(bad)


def test_an_overlong_question_is_asked_cut_and_the_answer_says_how_long_it_was():
    llm = FakeLLM("CS336 builds an LLM from scratch [1].")
    question = "Which course builds an LLM from scratch? " + "x" * 5000
    a = service(llm).ask(question)
    assert a.question_cut_from == len(question) and a.grounded
    asked = llm.calls[0].messages[1]["content"].split("Question: ")[1].split("\n")[0]
    assert asked == question[:MAX_QUESTION_CHARS]


def test_a_question_within_the_limit_is_asked_whole_and_no_cut_is_reported():
    llm = FakeLLM("CS336 builds an LLM from scratch [1].")
    question = "Which course builds an LLM from scratch? " + "x" * (MAX_QUESTION_CHARS - 41)
    assert len(question) == MAX_QUESTION_CHARS and service(llm).ask(question).question_cut_from == 0


def test_language_detection():
    assert question_language("Transformer 原理阶段推荐看什么？") == "zh"
    assert question_language("What is IP-Adapter similar to?") == "en"


def test_naming_a_topic_stands_in_for_the_word_overlap_a_question_needs(tmp_path):
    s = Settings(_env_file=None, data_dir=tmp_path)
    lib = PromptLibrary(PROJECT_ROOT / "prompts")
    named = ChatService(s, FakeRetriever(HITS, 0.82, lexical=0.3), FakeLLM("LoRA [1]."), lib, None, [],
                        names_topic=lambda q: True)
    plain = ChatService(s, FakeRetriever(HITS, 0.82, lexical=0.3), FakeLLM("LoRA [1]."), lib, None, [])
    assert named.ask("什么是 LoRA？").grounded and not plain.ask("什么是 LoRA？").grounded


def test_a_question_sharing_no_words_with_the_corpus_is_out_of_scope_despite_a_close_embedding(tmp_path):
    # "推荐一款好用的手机" (a phone recommendation) embeds at 0.874 but shares no word with the roadmaps.
    s = Settings(_env_file=None, data_dir=tmp_path)
    lib = PromptLibrary(PROJECT_ROOT / "prompts")
    llm = FakeLLM("x [1].")
    off = ChatService(s, FakeRetriever(HITS, 0.874, lexical=0.0), llm, lib, None, []).ask("推荐一款好用的手机")
    assert not off.grounded and llm.calls == []
    on = ChatService(s, FakeRetriever(HITS, 0.874, lexical=0.9), FakeLLM("x [1]."), lib, None, []).ask("后训练？")
    assert on.grounded


def test_the_lexical_floor_sits_between_off_topic_and_on_topic_strength(tmp_path):
    s = Settings(_env_file=None, data_dir=tmp_path)
    lib = PromptLibrary(PROJECT_ROOT / "prompts")
    floor = s.retrieval.min_lexical
    assert 0.63 < floor < 0.70  # off-topic reached 0.63 on either index, on-topic started at 0.70
    above = ChatService(s, FakeRetriever(HITS, 0.82, lexical=floor + 0.01), FakeLLM("x [1]."), lib, None, [])
    below = ChatService(s, FakeRetriever(HITS, 0.82, lexical=floor - 0.01), FakeLLM("x [1]."), lib, None, [])
    assert above.ask("What do the Flow Matching notes say?").grounded
    assert not below.ask("What do the Flow Matching notes say?").grounded
    far = ChatService(s, FakeRetriever(HITS, s.retrieval.min_score - 0.01, lexical=5), FakeLLM("x"), lib, None, [])
    assert not far.ask("What do the Flow Matching notes say?").grounded


class NamingRetriever(FakeRetriever):
    def __init__(self, known, unknown, scopes=()):
        super().__init__(HITS, 0.9, lexical=2.0)
        self.known, self.unknown, self.scopes = known, unknown, list(scopes)

    def retrieve(self, query, k=None, mode=None):
        return Retrieval(self.hits, self.sim, self.lexical, query, known_names=self.known, unknown_names=self.unknown,
                         scopes=self.scopes)

    def scopes_named(self, text):
        return [s for s in self.scopes if "plan" in text]


def test_a_question_naming_tools_the_corpus_never_mentions_is_not_covered(tmp_path):
    s = Settings(_env_file=None, data_dir=tmp_path)
    lib = PromptLibrary(PROJECT_ROOT / "prompts")
    llm = FakeLLM("x [1].")
    onnx = ChatService(s, NamingRetriever(["PyTorch"], ["ONNX"]), llm, lib, None, [], names_topic=lambda q: True)
    assert not onnx.ask("How do I export my PyTorch model to ONNX?").grounded and llm.calls == []
    copilot = ChatService(s, NamingRetriever(["CS336", "ChatGPT"], ["Copilot"]), FakeLLM("x [1]."), lib, None, [])
    assert copilot.ask("CS336: may I use ChatGPT or Copilot?").grounded  # more known names than unknown


def test_a_tool_named_only_where_the_learner_describes_themself_does_not_make_the_question_uncovered(tmp_path):
    s = Settings(_env_file=None, data_dir=tmp_path)
    lib = PromptLibrary(PROJECT_ROOT / "prompts")
    topic = lambda q: "deep learning" in q  # noqa: E731 - what the curriculum would name
    chat = ChatService(s, NamingRetriever([], ["Tableau"]), FakeLLM("x [1]."), lib, None, [], names_topic=topic)
    assert chat.covers("I build dashboards in Tableau at work. Which book explains deep learning theory?")
    # the same name asked about, or a question that names nothing the index covers, is still refused
    assert not chat.covers("Which book explains deep learning theory in Tableau?")
    assert not chat.covers("I build dashboards in Tableau at work. Which book should I read next?")
    # what they ask names a roadmap instead of a topic; a roadmap named only in the background names nothing asked
    scoped = ChatService(s, NamingRetriever([], ["Tableau"], ["roadmaps/plan.txt"]), FakeLLM("x [1]."), lib, None, [])
    assert scoped.covers("I build dashboards in Tableau at work. Which weeks of the research plan are on tooling?")
    assert not scoped.covers("I went through the plan with Tableau at work. How do I deploy those models to phones?")


def test_stopping_a_stream_keeps_the_turn_with_what_was_shown(tmp_path):
    from tutorbot.store.learner_store import LearnerStore

    store = LearnerStore(f"sqlite:///{tmp_path / 'l.sqlite3'}")
    user = store.get_or_create_local_user().id
    conv = store.create_conversation(user, "t").id
    s = Settings(_env_file=None, data_dir=tmp_path, retrieval={"min_score": 0.8})
    chat = ChatService(s, FakeRetriever(HITS), FakeLLM("Stanford CS336 builds an LLM from scratch [1]. It is a "
                                                       "course. Stanford CS336 builds an LLM from scratch."),
                       PromptLibrary(PROJECT_ROOT / "prompts"), store, [])
    stream = chat.ask_stream("Which course?", user_id=user, conversation_id=conv)
    shown = next(e.text for e in stream if e.text)  # the first verified sentence (after empty beats), then stop
    assert shown == "Stanford CS336 builds an LLM from scratch [1]."
    stream.close()
    question, answer = store.get_messages(user, conv)
    assert question.content == "Which course?" and answer.role == "assistant"
    assert answer.content.startswith(shown) and answer.meta["error"] == "stopped"


def test_the_cut_is_saved_with_the_turn_so_a_reopened_conversation_can_say_it(tmp_path):
    from tutorbot.store.learner_store import LearnerStore

    store = LearnerStore(f"sqlite:///{tmp_path / 'l.sqlite3'}")
    user = store.get_or_create_local_user().id
    conv = store.create_conversation(user, "t").id
    s = Settings(_env_file=None, data_dir=tmp_path, retrieval={"min_score": 0.8})
    chat = ChatService(s, FakeRetriever(HITS), FakeLLM("Stanford CS336 builds an LLM from scratch [1]."),
                       PromptLibrary(PROJECT_ROOT / "prompts"), store, [])
    asked = "Which course builds an LLM? " + "x" * 5000
    chat.ask(asked, user_id=user, conversation_id=conv)
    question, answer = store.get_messages(user, conv)
    assert len(question.content) == MAX_QUESTION_CHARS and answer.meta["question_cut_from"] == len(asked)


class LeadInRetriever(FakeRetriever):
    """The hit ends on a lead-in; its list is in the next chunk of the section, which search did not return."""

    LEAD = Hit(chunk=Chunk(id="t1", doc_id="https://blog.example/score", title="Score", section="Tips",
                           text="Here are some practical recommendations for tuning noise scales:", position=1),
               score=0.1)
    LIST = Hit(chunk=Chunk(id="t2", doc_id="https://blog.example/score", title="Score", section="Tips",
                           text="- Choose the noise scales as a geometric progression.", position=2), score=0.1)

    def __init__(self):
        super().__init__([self.LEAD])

    def continuations(self, hits):
        return [self.LIST] if hits == [self.LEAD] else []


def test_a_lead_in_cut_off_from_its_list_is_answered_with_the_list_as_a_source_of_its_own(tmp_path):
    s = Settings(_env_file=None, data_dir=tmp_path, retrieval={"min_score": 0.8})
    chat = ChatService(s, LeadInRetriever(), FakeLLM(LLMUnavailable("down")), PromptLibrary(PROJECT_ROOT / "prompts"),
                       None, [])
    a = chat.ask("What are the recommendations for tuning noise scales?")
    assert [c.n for c in a.citations] == [1, 2]
    assert "geometric progression [2]" in a.answer or "geometric progression[2]" in a.answer


@pytest.mark.parametrize("question", ["I'm a beginner, what should I learn first?", "Where do I start?",
                                      "我只有每周5小时，先学什么？", "新手应该从哪里开始学？",
                                      "Can you recommend a roadmap for beginners?", "有没有推荐的入门路线？"])
def test_asking_where_to_start_is_covered_and_searches_the_roadmaps_starting_points(tmp_path, question):
    s = Settings(_env_file=None, data_dir=tmp_path)
    retriever = FakeRetriever(HITS, 0.85, lexical=0.3)  # names nothing, shares few words with the corpus
    chat = ChatService(s, retriever, FakeLLM("x [1]."), PromptLibrary(PROJECT_ROOT / "prompts"), None, [])
    assert chat.asks_where_to_start(question) and chat.ask(question).grounded
    assert "第一阶段 first stage" in retriever.queries[-1]


@pytest.mark.parametrize("question", ["What's the best way to learn to play guitar?", "怎么开始学做红烧肉？",
                                      "What is a good marathon training schedule?", "How do I start learning to cook?"])
def test_learning_something_else_is_not_a_question_about_where_to_start(tmp_path, question):
    s = Settings(_env_file=None, data_dir=tmp_path)
    retriever = FakeRetriever(HITS, 0.85, lexical=0.3)
    chat = ChatService(s, retriever, FakeLLM("x [1]."), PromptLibrary(PROJECT_ROOT / "prompts"), None, [])
    assert not chat.asks_where_to_start(question) and not chat.ask(question).grounded
    assert retriever.queries[-1] == question


def roadmap(text: str, i: int = 0) -> Chunk:
    return Chunk(id=f"r{i}", doc_id="roadmaps/a.txt", title="t", text=text, position=i)


def test_a_question_naming_someone_the_roadmaps_name_is_on_topic_by_that_name():
    from tutorbot.chat.scope import people_matcher

    chunks = [roadmap("- **Percy Liang (Stanford)**：HELM Benchmark"), roadmap("宋飏博士，超级大神", 1),
              roadmap("Neural Networks: how neural networks learn", 2)]
    chunks.append(roadmap("这个工具很好用", 3))
    names = people_matcher(chunks, lambda q: [w for w in ("宋飏", "周杰伦", "好用") if w in q])
    assert names("What is Percy Liang known for?") and names("宋飏是谁？")
    assert not names("Neural Networks for cooking?")  # the roadmaps write those words in lower case too
    assert not names("周杰伦的新歌好听吗")  # a name the roadmaps never write
    assert not names("推荐一款好用的手机")  # a word the dictionary lacks, but no name
    assert not names("What is Yann LeCun known for?")
    pinyin = people_matcher(chunks, lambda q: [], {"宋飏": ["yang song", "song yang"], "周杰伦": ["jielun zhou"]})
    assert pinyin("Which blog of Yang Song do they recommend?") and pinyin("song yang 是谁")
    assert not pinyin("What does Jielun Zhou sing?")  # the roadmaps never write 周杰伦
    assert not names("Which blog of Yang Song do they recommend?")  # without the pinyin readings
    assert people_matcher(chunks, lambda q: [], {"宋飏": ["yang song"]})("宋飏是谁？")  # a name taught to the tokenizer


class LinkRetriever(FakeRetriever):
    """The question names the roadmap's "Overview" link; the page it leads to is indexed, with ``parts``."""

    LINK = Hit(chunk=Chunk(id="r1", doc_id="roadmaps/relearn.txt", title="重学AI", section="另外的 > Agent",
                           text="- [Overview](https://repo.example/Go.md)"), score=0.2)
    PAGE = Hit(chunk=Chunk(id="p1", doc_id="https://repo.example/Go.md", title="Go 后端学习路线", kind="linked",
                           text="Tips：环境安装可以自行搜索，先装好 Go 再往下看。"), score=0.2)

    def __init__(self, parts):
        super().__init__([self.LINK])
        self.parts, self.follows = parts, {"linked_pages": 0, "resource_list": 0}

    def linked_pages(self, query, hits):
        self.follows["linked_pages"] += 1
        return [self.PAGE]

    def resource_list(self, query, hits):
        self.follows["resource_list"] += 1
        return []

    def outline(self, page):
        return self.parts


@pytest.mark.parametrize(("parts", "shown"), [(["Go 语法", "Redis"], True), (["Go 语法"], False)])
def test_the_page_a_named_link_leads_to_is_quoted_first_under_its_outline_of_two_parts_or_more(tmp_path, parts, shown):
    s = Settings(_env_file=None, data_dir=tmp_path, retrieval={"min_score": 0.8})
    llm = FakeLLM(LLMUnavailable("down"))
    r = LinkRetriever(parts)
    chat = ChatService(s, r, llm, PromptLibrary(PROJECT_ROOT / "prompts"), None, [])
    a = chat.ask("Agent 下面那个 Overview 链接点进去讲的啥？")
    assert [c.n for c in a.citations] == [1, 2]
    assert r.follows == {"linked_pages": 1, "resource_list": 1}  # each found once per answer (BM25 of the page)
    lines = a.answer.split("资料中的相关内容：\n")[1].splitlines()
    assert (lines[0] == "- Go 后端学习路线 — 各部分：Go 语法；Redis [2]") is shown
    assert "环境安装可以自行搜索" in lines[shown]  # the page's opening leads what is quoted
