"""Composition root: settings → backends → domain data → services. The faces receive services.

Each vendor is chosen in exactly one factory (``make_embedder``, ``make_chroma_client``,
``OpenAICompatClient``, ``LearnerStore``); every edge between services is drawn here and only here.
Heavy parts are built lazily on first use, and service types are imported for type checking only,
so `tutorbot doctor` or `tutorbot plan` start quickly. Here too each service's requests are marked
for the log (``logs``: one line per chat, plan and quiz request).
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, cast

from tutorbot.errors import TutorbotError
from tutorbot.llm.client import LLMClient, OpenAICompatClient
from tutorbot.llm.prompts import PromptLibrary
from tutorbot.logs import answer_fields, log_llm, log_requests, log_timing
from tutorbot.retrieval.embed import Embedder, make_embedder, make_second_view
from tutorbot.retrieval.index import IndexEmpty, VectorIndex, open_index
from tutorbot.settings import Settings

if TYPE_CHECKING:
    from tutorbot.chat.conversations import Conversations
    from tutorbot.chat.next_step import Standing
    from tutorbot.chat.service import ChatService
    from tutorbot.curriculum.graph import Curriculum
    from tutorbot.ingest.background import LinkedJob
    from tutorbot.ingest.pipeline import IngestReport
    from tutorbot.ingest.pipeline import Progress as IngestProgress
    from tutorbot.ingest.progress import LinkedProgress
    from tutorbot.ingest.terms import TermTable
    from tutorbot.learner.progress import Progress
    from tutorbot.plans.service import PlanService
    from tutorbot.quiz.service import QuizService
    from tutorbot.retrieval.expand import Glossary
    from tutorbot.retrieval.live import Foreground
    from tutorbot.retrieval.retriever import Retriever
    from tutorbot.retrieval.second_view import SecondView
    from tutorbot.schemas import CatalogEntry, Chunk, Document
    from tutorbot.store.learner_store import LearnerStore

# Services that hold the catalog, the curriculum or the chunks: rebuilt after an ingest.
DEPENDS_ON_INDEX = ("catalog", "curriculum", "chat", "plans", "quizzes", "progress")


class Container:
    """Lazily-built object graph for one process."""

    def __init__(self, settings: Settings, *, llm: LLMClient | None = None,
                 embedder: Embedder | None = None) -> None:
        from tutorbot.llm.capacity import apply_measured

        self.settings = settings
        # Learner data lives here: only its owner may list or read it (the mode applies on creation).
        settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Before anything reads max_concurrency (the UI sizes its queue from it): the measured default.
        self._answer_s = apply_measured(settings)
        if llm is not None:
            self.__dict__["llm"] = llm
        if embedder is not None:
            self.__dict__["embedder"] = embedder

    # -- backends (each the one place its vendor is named) ------------------------------------
    @cached_property
    def llm(self) -> LLMClient:
        from tutorbot.llm.server import is_starting

        return log_llm(OpenAICompatClient(self.settings.llm, starting=lambda: is_starting(self.settings),
                                          typical_answer_s=self._answer_s))

    @cached_property
    def embedder(self) -> Embedder:
        return make_embedder(self.settings.embedding, self.settings.llm.api_key)

    @cached_property
    def index(self) -> VectorIndex:
        from tutorbot.health import opened

        return opened(self.settings, lambda: open_index(self.settings))  # a damaged index names the fix

    @cached_property
    def prompts(self) -> PromptLibrary:
        return PromptLibrary(self.settings.prompts_dir)

    @cached_property
    def store(self) -> LearnerStore:
        from tutorbot.store.learner_store import LearnerStore

        return LearnerStore(self.settings.db_url)

    # -- domain data --------------------------------------------------------------------------
    @cached_property
    def catalog(self) -> list[CatalogEntry]:
        from tutorbot.ingest.catalog import load_catalog

        path = self.settings.paths.catalog
        if not path.exists():
            raise IndexEmpty(f"catalog not found at {path}: run `tutorbot ingest`")
        return load_catalog(path)

    @cached_property
    def curriculum(self) -> Curriculum:
        from tutorbot.curriculum.graph import load_curriculum

        return load_curriculum(self.settings.corpus_dir / "curriculum.yaml", {e.id for e in self.catalog})

    # -- services: every edge is drawn here ---------------------------------------------------
    @cached_property
    def glossary(self) -> Glossary:
        from tutorbot.retrieval.expand import Glossary

        return Glossary.load(self.settings.corpus_dir / "glossary.yaml")

    def terms(self) -> TermTable:
        """The mined term table of what the index holds (mined again only when that changed)."""
        from tutorbot.ingest.terms import ensure_terms

        return ensure_terms(self.settings.paths.terms, self.index.all_chunks(), self.glossary.zh_terms())

    @cached_property
    def foreground(self) -> Foreground:
        """The learners' retrievals in flight, which background embedding waits for."""
        from tutorbot.retrieval.live import Foreground

        return Foreground()

    @cached_property
    def retriever(self) -> Retriever:
        from tutorbot.retrieval.live import LiveRetriever
        from tutorbot.retrieval.retriever import Retriever
        from tutorbot.retrieval.translate import QueryTranslator, translation_mode

        translator = QueryTranslator(self.llm, self.prompts) if translation_mode(self.settings)[0] else None
        built = Retriever(self.index, self.embedder, self.settings.retrieval, self.glossary, self.terms(), translator,
                          self._second_view())
        # Refreshable while other threads search it (the background indexer adds linked pages); timed on the
        # live face, so the timing follows each refreshed copy.
        return cast("Retriever", log_timing(LiveRetriever(built, self.foreground), "retrieve", "retrieval_ms"))

    @cached_property
    def second_embedder(self) -> Embedder | None:
        return make_second_view(self.settings.embedding, self.settings.llm.api_key)

    def _second_view(self) -> SecondView | None:
        """The second dense view as its vectors file has it now (None when it is off)."""
        from tutorbot.retrieval.second_view import SecondView

        if self.second_embedder is None or self.settings.retrieval.second_view_weight == 0:
            return None
        return SecondView(self.second_embedder, self.settings.paths.second_view, lines=self.settings.paths.line_view)

    def _embed_lines(self, view: SecondView, chunks: list[Chunk]) -> None:
        """The line view's roadmap lines, embedded into their file with the index (when the view weighs anything)."""
        from tutorbot.retrieval.line_view import LineView

        if self.settings.retrieval.line_view_weight > 0:
            LineView(view.embed_lines, chunks)

    @cached_property
    def progress(self) -> Progress:
        from tutorbot.learner.progress import Progress
        from tutorbot.learner.srs import new_scheduler

        return Progress(self.store, new_scheduler(), names=self._curriculum_or_none())

    @cached_property
    def chat(self) -> ChatService:
        from tutorbot.chat.scope import topic_matcher
        from tutorbot.chat.service import ChatService

        cur = self._curriculum_or_none()
        names_topic = topic_matcher(self.retriever.chunks, self.catalog, cur, self.retriever.unlisted,
                                    self.retriever.terms.names)
        chat = ChatService(self.settings, self.retriever, self.llm, self.prompts, self.store, self.catalog,
                           names_topic=names_topic, standing=self._standing if cur else lambda user: None,
                           name_of=cur.name_of if cur else lambda topic, lang: topic)
        return log_requests(chat, "chat", "ask_stream", watch=answer_fields, text="question")

    @cached_property
    def conversations(self) -> Conversations:
        from tutorbot.chat.conversations import Conversations

        return Conversations(self.store)

    @cached_property
    def plans(self) -> PlanService:
        from tutorbot.plans.service import PlanService

        plans = PlanService(self.curriculum, self.catalog, self.llm, self.prompts, self.store,
                            weak_topics=self.progress.weak_topics, weak_prereqs=self.progress.weak_prereqs)
        return log_requests(plans, "plan", "create", "replan", "add_guidance", "draft", text="text")

    @cached_property
    def quizzes(self) -> QuizService:
        from tutorbot.quiz.service import QuizService
        from tutorbot.quiz.validate import PassageVectors
        from tutorbot.quiz.vocabulary import (
            TermGroups,
            Vocabulary,
            acronym_groups,
            glossary_groups,
            name_groups,
            owned_terms,
            pair_groups,
        )

        cur, mined = self.curriculum, self.retriever.terms
        vectors = PassageVectors(self.embedder, self.index.embeddings, self.index.nearest)
        # the "same term" hook: the curriculum's bilingual names, the glossary, the terms mined at ingest
        acronyms = acronym_groups(mined.acronyms)
        equivalents = TermGroups(name_groups(cur) + glossary_groups(self.glossary.entries) + acronyms
                                 + pair_groups(((p.zh, p.en) for p in mined.pairs), cur))
        quizzes = QuizService(self.store, self.retriever, self.catalog, cur, llm=self.llm,
                              prompts=self.prompts, embedder=self.embedder, vectors=vectors,
                              scheduler=self.progress.scheduler, progress=self.progress,
                              on_finished=self.plans.adapt_after_quiz, equivalents=equivalents,
                              vocabulary=Vocabulary(cur, owned_terms(acronyms, cur)))
        log_requests(quizzes, "quiz", "make_quiz", "review_quiz")
        return log_requests(quizzes, "quiz_answer", "submit", text="answer")

    def _standing(self, user_id: int) -> Standing | None:
        """A learner's plan, the topics they finished and the reviews due: what chat's "what next?" reads."""
        from datetime import UTC, datetime

        from tutorbot.chat.next_step import Standing
        from tutorbot.plans.service import done_topics

        plan = self.plans.current(user_id)
        if plan is None:
            return None
        due = len(self.store.due_cards(user_id, now=datetime.now(UTC)))
        return Standing(plan, done_topics(self.plans.marks(user_id)), due)

    def _curriculum_or_none(self) -> Curriculum | None:
        """A corpus that does not match the curriculum still chats (without topic names)."""
        try:
            return self.curriculum
        except (TutorbotError, OSError):
            return None

    @cached_property
    def linked(self) -> LinkedJob:
        """The background job that fetches and indexes the linked pages (``up`` starts it)."""
        from tutorbot.ingest.background import LinkedJob

        return LinkedJob(self.settings, self.catalog, self.embedder, self.index, self.foreground,
                         on_indexed=self._searchable, on_done=self._terms_current)

    def linked_progress(self) -> LinkedProgress | None:
        """The background job's progress; None when this process has no such job."""
        return self.linked.progress() if "linked" in self.__dict__ else None

    def _searchable(self) -> None:
        """New chunks from the background job: only the retriever holds them (the catalog is the roadmaps')."""
        if "retriever" in self.__dict__:
            self.retriever.refresh()

    def _terms_current(self) -> None:
        """All linked pages indexed: mine the term pairs of the whole index again (the pages write
        pairs of their own) and search with them; the stored table saves the next process the work."""
        table = self.terms()
        if "retriever" in self.__dict__:
            self.retriever.refresh(table)

    # -- actions ------------------------------------------------------------------------------
    def ingest(self, corpus_dir: Path | None = None, rebuild: bool = False, linked: list[Document] | None = None,
               progress: IngestProgress | None = None) -> IngestReport:
        from tutorbot.ingest.pipeline import ingest

        report = ingest(self.settings, self.embedder, self.index, corpus_dir, rebuild, linked, progress)
        for stale in DEPENDS_ON_INDEX:
            self.__dict__.pop(stale, None)
        if "retriever" in self.__dict__:
            self.retriever.refresh(self.terms())
        elif (view := self._second_view()) is not None:  # its vectors are embedded with the index, not at a search
            self._embed_lines(view.refreshed(chunks := self.index.all_chunks()), chunks)
        return report
