"""Follow stage: a question asking for a course, book or video is answered from the resource list of the
part its best roadmap hit is in; the list's sentences lead the composed answer."""

from test_retrieve_unit import retriever

from tutorbot.retrieval.expand import QueryExpander
from tutorbot.retrieval.follow import followed, leading
from tutorbot.retrieval.sentences import RankedSentence
from tutorbot.retrieval.tokenize import Tokenizer
from tutorbot.schemas import Chunk, Hit

STAGE = "ChatGPT > 3. Study Transformer Architecture"


def part(position: int, section: str, text: str, kind: str = "roadmap", doc: str = "roadmaps/llm.txt") -> Chunk:
    return Chunk(id=f"c{position}{kind}", doc_id=doc, title="LLM Road Map", section=section, text=text,
                 kind=kind, position=position)


TOPICS = part(1, f"{STAGE} > Key Components", "- **Layer Normalization**: How it's used to stabilize training.")
RESOURCES = part(2, f"{STAGE} > Resources", "- **Resources**:\n  - **Transformer: The New Architecture for NLP** "
                                            "(Coursera or other MOOCs): These break the transformer down.")
OTHER = part(3, "ChatGPT > 2. Dive Into Attention Mechanism > Resources", "- **Resources**:\n  - **The Illustrated "
                                                                           "Transformer**: Visual explanations.")
INTRO = part(0, STAGE, "Once you have a grasp of attention, look into the full Transformer architecture.")
PAGE = part(9, "Layer Norm", "Layer norm keeps activations in range.", kind="linked", doc="https://page.example")
CHUNKS = [INTRO, TOPICS, RESOURCES, OTHER, PAGE]


def hit(c: Chunk, score: float = 0.5) -> Hit:
    return Hit(chunk=c, score=score)


def test_a_question_naming_a_kind_of_resource_asks_for_one_in_either_language():
    expander = QueryExpander(Tokenizer())
    assert expander.asks_for_resource("is there an online course for this part?")
    assert expander.asks_for_resource("这一阶段有推荐的网课吗？")
    assert not expander.asks_for_resource("what does layer norm do?")
    assert not expander.asks_for_resource("有哪些公开数据集？")  # 公开 is a piece of 公开课, not a resource


def test_resource_lists_are_labelled_with_resources_or_a_kind_of_resource():
    expander = QueryExpander(Tokenizer())
    assert all(map(expander.is_resource_label, ["Resources", "推荐资源", "推荐课程 & 资料", "在线课程"]))
    assert not any(map(expander.is_resource_label, ["Key Components", "理论攻坚"]))


def test_a_course_question_landing_on_a_parts_topics_is_followed_by_that_parts_resource_list():
    r = retriever(CHUNKS)
    asked = "is there an online course for layer normalization?"
    assert [h.chunk.id for h in r.resource_list(asked, [hit(PAGE), hit(TOPICS), hit(OTHER)])] == [RESOURCES.id]
    assert [h.chunk.id for h in r.resource_list(asked, [hit(INTRO)])] == [RESOURCES.id]  # the part's own heading
    assert r.resource_list("what does layer normalization do?", [hit(TOPICS)]) == []  # no resource asked for
    assert r.resource_list(asked, [hit(PAGE)]) == []  # a linked page is no roadmap part
    assert r.resource_list(asked, [hit(OTHER), hit(TOPICS)]) == []  # the best hit is a resource list already


def test_what_the_hits_lead_to_is_added_once_after_them():
    r = retriever(CHUNKS)
    asked = "is there an online course for layer normalization?"
    follow = followed([hit(TOPICS)], r, asked)
    assert [h.chunk.id for h in follow.hits] == [TOPICS.id, RESOURCES.id]
    assert [h.chunk.id for h in follow.resources] == [RESOURCES.id] and follow.pages == []
    assert [h.chunk.id for h in followed([hit(TOPICS), hit(RESOURCES)], r, asked).hits] == [TOPICS.id, RESOURCES.id]


def ranked(chunk_id: str, start: int, score: float) -> RankedSentence:
    return RankedSentence(0, chunk_id, f"s{start}", start, start + 2, score, score)


def test_the_resource_lists_sentences_lead_in_reading_order_at_the_best_score():
    order = [ranked(TOPICS.id, 0, 0.9), ranked(RESOURCES.id, 40, 0.3), ranked(RESOURCES.id, 0, 0.2)]
    out = leading(order, [hit(RESOURCES)])
    assert [(r.chunk_id, r.start, r.score) for r in out] == [(RESOURCES.id, 0, 0.9), (RESOURCES.id, 40, 0.9),
                                                            (TOPICS.id, 0, 0.9)]
    assert leading(order, []) == order


AGENT = part(4, "另外的 > Agent", "- Agent\n  - [Overview](https://github.com/o/roadmap/blob/main/Go.md)\n"
                                  "  - [链接](https://other.example/agents)")
GO = "https://github.com/o/roadmap/blob/main/Go.md"
GO_PAGE = [part(10, "", "# Go 后端学习路线", "linked", GO),
           part(11, "Go 语法 > 文档", "1. Go by Example", "linked", GO),
           part(12, "Redis > 教程", "1. Redis 官方文档", "linked", GO),
           part(13, "Redis > 框架", "go-redis", "linked", GO),
           part(14, "Docker、Kubernetes", "Docker 视频教程", "linked", GO)]
AGENTS_PAGE = part(20, "Agents > Planning", "Planning is subgoal decomposition.", "linked", "https://other.example/agents")


def test_a_question_asking_what_a_link_it_names_leads_to_is_followed_by_that_pages_opening():
    r = retriever([AGENT, *GO_PAGE, AGENTS_PAGE])
    opened = [h.chunk.id for h in r.linked_pages("Agent 部分的 Overview 链接点进去讲的啥？", [hit(AGENT)])]
    assert opened == [GO_PAGE[0].id]
    named_by_host = "the github.com link under Agent - what is that page actually about?"
    assert [h.chunk.id for h in r.linked_pages(named_by_host, [hit(AGENT)])] == [GO_PAGE[0].id]
    assert r.linked_pages("Agent 部分的 Overview 讲的啥？", [hit(AGENT)]) == []  # no link or page spoken of
    assert r.linked_pages("Agent 那个链接讲的啥？", [hit(AGENT)]) == []  # "链接" names no link, Agent no link text
    assert r.linked_pages("Agent 部分的 Overview 链接点进去讲的啥？", [hit(GO_PAGE[1])]) == []  # no roadmap hit


def test_a_pages_outline_is_its_headings_in_reading_order_below_a_title_that_holds_them_all():
    r = retriever([AGENT, *GO_PAGE, AGENTS_PAGE])
    assert r.outline(GO_PAGE[0]) == ["Go 语法", "Redis", "Docker、Kubernetes"]
    assert r.outline(AGENTS_PAGE) == ["Planning"]  # one heading holds the page: the level below it


def test_the_pages_passage_that_best_matches_the_question_follows_its_opening():
    r = retriever([AGENT, *GO_PAGE, AGENTS_PAGE])
    asked = "Agent 下面的 Overview 链接里，Redis 推荐看什么文档？"
    assert [h.chunk.id for h in r.linked_pages(asked, [hit(AGENT)])] == [GO_PAGE[0].id, GO_PAGE[2].id]


def test_sentences_of_several_leading_lists_keep_the_lists_order_then_reading_order():
    order = [ranked(TOPICS.id, 0, 0.9), ranked(RESOURCES.id, 40, 0.3), ranked(INTRO.id, 80, 0.2)]
    out = leading(order, [hit(INTRO), hit(RESOURCES)])
    assert [(r.chunk_id, r.start) for r in out] == [(INTRO.id, 80), (RESOURCES.id, 40), (TOPICS.id, 0)]


def test_a_link_is_named_by_its_text_without_markup():
    bold = part(5, "代码级学习", "2. [**nanoGPT**](https://github.com/o/roadmap/blob/main/Go.md)：单文件实现")
    r = retriever([bold, *GO_PAGE])
    assert [h.chunk.id for h in r.linked_pages("the nanoGPT link: what is that page about?", [hit(bold)])] == [
        GO_PAGE[0].id]
