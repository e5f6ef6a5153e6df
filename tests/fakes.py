"""Fast stand-ins for the retriever's sentence ranking, for chat tests that fake retrieval."""

from functools import cache

from tutorbot.retrieval.retriever import Tokenizer
from tutorbot.retrieval.sentences import rank_sentences


@cache
def tokenizer() -> Tokenizer:
    return Tokenizer()  # the real one (jieba for Chinese), built once per test session


class RanksSentences:
    """Mix into a fake retriever: lexical sentence ranking with the real tokenizer, no embedder."""

    embedder = None

    def tokenize(self, text: str) -> list[str]:
        return tokenizer()(text)

    def rank_sentences(self, question, hits, dense=False):
        return rank_sentences(question, hits, self.tokenize, {}, None)

    def continuations(self, hits):
        return []  # the fakes' chunks are whole sections: no list goes on past a chunk end

    def resource_list(self, query, hits):
        return []  # no part of the fakes' sources has a resource list

    def linked_pages(self, query, hits):
        return []  # the fakes index no page a roadmap links to

    def outline(self, page):
        return []
