"""Fast stand-ins for the retriever's sentence ranking, for chat tests that fake retrieval."""

import re

from tutorbot.lang import CJK_CHARS
from tutorbot.retrieval.sentences import rank_sentences

WORD = re.compile(f"[a-z0-9][a-z0-9.+#-]*|[{CJK_CHARS}]")


class RanksSentences:
    """Mix into a fake retriever: lexical sentence ranking, a plain tokenizer, no embedder."""

    embedder = None

    def tokenize(self, text: str) -> list[str]:
        return WORD.findall(text.lower())

    def rank_sentences(self, question, hits, dense=False):
        return rank_sentences(question, hits, self.tokenize, {}, None)
