"""Model-written quiz questions: one LLM call → one candidate question, never shown before validation.

Stage: explanatory passages → **model writer** → validator → quiz. The model writes ONE question
per call, constrained by a small JSON schema with bounded strings; the answer key must be copied
from the passage, and the question is filed under the sentence that holds the key, so a model
question and a rule question never test the same sentence. A 7B–32B model on a GPU writes most
of a quiz this way; the bundled CPU model rarely passes, and rule questions fill in.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Annotated

from pydantic import BaseModel, Field, ValidationError

from tutorbot.curriculum.models import Topic
from tutorbot.errors import TutorbotError
from tutorbot.lang import LANGUAGE_NAME
from tutorbot.llm.client import LLMClient
from tutorbot.llm.prompts import PromptLibrary
from tutorbot.quiz.candidates import explain, question_id, source_name, statement_fact
from tutorbot.quiz.match import contains, garbled, plain
from tutorbot.quiz.models import BLANK, Level, QType, Question, QuizConfig, QuizLang, QuizSource
from tutorbot.quiz.wording import WORDING
from tutorbot.retrieval.sentences import split_sentences
from tutorbot.schemas import Chunk

MODEL_TYPES: tuple[QType, ...] = ("mcq", "short", "blank")
LEVEL_OF: dict[QType, Level] = {"mcq": "understanding", "short": "application", "blank": "recall"}
Phrase = Annotated[str, Field(min_length=1, max_length=40)]
INSTRUCTIONS = {
    "mcq": 'JSON: "question" asks what a concept in the passage is, does or causes; "correct" is the answer '
           'copied from the passage; "wrong" are three wrong answers not in the passage.',
    "blank": 'JSON: "sentence" is one sentence copied exactly from the passage that explains a concept; "answer" '
             'is the concept\'s term, which appears once in it.',
    "short": 'JSON: "question" asks to explain a concept the passage explains; "answer" is a short answer in the '
             'passage\'s words; "key_points" are 2-3 short phrases copied from the passage.',
}


class ModelMCQ(BaseModel):
    question: str = Field(min_length=8, max_length=120)
    correct: Phrase
    wrong: list[Phrase] = Field(min_length=3, max_length=3)


class ModelBlank(BaseModel):
    sentence: str = Field(min_length=10, max_length=120)
    answer: str = Field(min_length=2, max_length=40)


class ModelShort(BaseModel):
    question: str = Field(min_length=8, max_length=120)
    answer: str = Field(min_length=2, max_length=120)
    key_points: list[Phrase] = Field(min_length=2, max_length=3)


SCHEMAS: dict[str, type[BaseModel]] = {"mcq": ModelMCQ, "blank": ModelBlank, "short": ModelShort}


class Malformed(TutorbotError, ValueError):
    """The model's (schema-valid) output cannot be turned into a question."""


class ModelWriter:
    """One LLM call → one candidate ``Question`` (not yet validated). A blank must hide a concept term
    (``is_term``), not a phrase the model cut out of the sentence."""

    def __init__(self, llm: LLMClient, prompts: PromptLibrary, config: QuizConfig,
                 is_term: Callable[[str], bool] = lambda text: True):
        self.llm, self.prompts, self.config, self.is_term = llm, prompts, config, is_term

    def write(self, qtype: QType, chunk: Chunk, topic: Topic, lang: QuizLang, rng: random.Random) -> Question:
        prompt = self.prompts.render("quiz_generate", language_name=LANGUAGE_NAME[lang], instructions=INSTRUCTIONS[
            qtype], topic=topic.name.get(lang), passage=chunk.text[:self.config.passage_chars])
        out = self.llm.structured([{"role": "user", "content": prompt}], SCHEMAS[qtype],
                                  max_tokens=self.config.model_max_tokens)
        fields = getattr(self, f"_{qtype}")(out, chunk, lang, rng)
        quote, explanation = explain(lang, chunk, fields["key"])
        source = QuizSource(chunk_id=chunk.id, source=chunk.source, title=chunk.title, section=chunk.section,
                            urls=chunk.urls, quote=quote)
        try:
            return Question(id=question_id("m", "model", lang, fields["question"], fields["answer"]), type=qtype,
                            topic=topic.id, language=lang, origin="model", rule="model", explanation=explanation,
                            source=source, level=LEVEL_OF[qtype], fact=key_fact(chunk, fields["key"]), **fields)
        except ValidationError as exc:
            raise Malformed(exc.errors()[0]["msg"]) from None

    @staticmethod
    def _mcq(out: ModelMCQ, chunk: Chunk, lang: QuizLang, rng: random.Random) -> dict:
        options = [out.correct.strip(), *(w.strip() for w in out.wrong)]
        rng.shuffle(options)
        return {"question": out.question.strip(), "options": options, "answer": out.correct.strip(),
                "key": out.correct.strip()}

    def _blank(self, out: ModelBlank, chunk: Chunk, lang: QuizLang, rng: random.Random) -> dict:
        sentence, term = out.sentence.strip(), out.answer.strip()
        at = sentence.find(term)
        if at < 0 or not term or 2 * len(term) > len(sentence) or not self.is_term(term):
            raise Malformed("the blank's answer must be a concept term inside its sentence")
        line = sentence[:at] + BLANK + sentence[at + len(term):]
        return {"question": WORDING[lang]["blank"].format(source=source_name(chunk, [term]), line=line), "answer": term,
                "key": sentence}

    @staticmethod
    def _short(out: ModelShort, chunk: Chunk, lang: QuizLang, rng: random.Random) -> dict:
        points = [p.strip() for p in out.key_points if p.strip()]
        return {"question": out.question.strip(), "answer": out.answer.strip(), "rubric": points,
                "key": points[0] if points else ""}


def key_fact(chunk: Chunk, key: str) -> str:
    """The fact a model question tests: the sentence of its passage that holds its key."""
    sentence = next((plain(s.text) for s in split_sentences(chunk.text) if contains(s.text, key)), key)
    return statement_fact(sentence)


def usable_passages(chunks: list[Chunk], limit: int = 6) -> list[Chunk]:
    """Chunks worth giving the model: readable, with some substance."""
    return [c for c in chunks if not garbled(c.embed_text) and len(c.text) >= 60][:limit]
