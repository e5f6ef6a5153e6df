"""Composition root: settings → backends → services. The CLI and ``app.py`` call ``build``.

Each vendor is chosen in exactly one factory (``make_embedder``, ``make_chroma_client``,
``OpenAICompatClient``, ``LearnerStore``); everything else receives its dependencies here.
Heavy parts are built lazily on first use so `tutorbot doctor` or `tutorbot plan` stay quick.
"""

from __future__ import annotations

from functools import cached_property

from tutorbot.llm.client import LLMClient, OpenAICompatClient
from tutorbot.llm.prompts import PromptLibrary
from tutorbot.retrieval.embed import Embedder, make_embedder
from tutorbot.retrieval.index import VectorIndex, open_index
from tutorbot.settings import Settings


class Container:
    """Lazily-built object graph for one process."""

    def __init__(self, settings: Settings, *, llm: LLMClient | None = None, embedder: Embedder | None = None):
        self.settings = settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        if llm is not None:
            self.__dict__["llm"] = llm
        if embedder is not None:
            self.__dict__["embedder"] = embedder

    # -- backends ---------------------------------------------------------------------------
    @cached_property
    def llm(self) -> LLMClient:
        return OpenAICompatClient(self.settings.llm)

    @cached_property
    def embedder(self) -> Embedder:
        return make_embedder(self.settings.embedding, self.settings.llm.api_key)

    @cached_property
    def index(self) -> VectorIndex:
        return open_index(self.settings)

    @cached_property
    def prompts(self) -> PromptLibrary:
        return PromptLibrary(self.settings.prompts_dir)

    @cached_property
    def store(self):
        from tutorbot.store.learner_store import LearnerStore

        return LearnerStore(self.settings.db_url)

    @cached_property
    def catalog(self):
        from tutorbot.ingest.catalog import load_catalog

        path = self.settings.paths.catalog
        if not path.exists():
            from tutorbot.retrieval.index import IndexEmpty

            raise IndexEmpty(f"catalog not found at {path}: run `tutorbot ingest`")
        return load_catalog(path)

    @cached_property
    def curriculum(self):
        from tutorbot.curriculum.graph import load_curriculum

        return load_curriculum(self.settings.corpus_dir / "curriculum.yaml", {e.id for e in self.catalog})

    # -- services ---------------------------------------------------------------------------
    @cached_property
    def glossary(self):
        from tutorbot.retrieval.expand import Glossary

        return Glossary.load(self.settings.corpus_dir / "glossary.yaml")

    def terms(self):
        """The mined term table of what the index holds (mined again only when that changed)."""
        from tutorbot.ingest.terms import ensure_terms

        return ensure_terms(self.settings.paths.terms, self.index.all_chunks(), self.glossary.zh_terms())

    @cached_property
    def retriever(self):
        from tutorbot.retrieval.retriever import Retriever
        from tutorbot.retrieval.translate import QueryTranslator, translation_mode

        translator = QueryTranslator(self.llm, self.prompts) if translation_mode(self.settings)[0] else None
        return Retriever(self.index, self.embedder, self.settings.retrieval, self.glossary, self.terms(), translator)

    @cached_property
    def chat(self):
        from tutorbot.chat.service import ChatService

        return ChatService(self.settings, self.retriever, self.llm, self.prompts, self.store, self.catalog,
                           names_topic=self._topic_matcher())

    def _topic_matcher(self):
        """Naming a curriculum topic, or a course/paper/tool the corpus names (CS336, nanoGPT), lowers
        the grounding floor; a corpus that does not match the curriculum goes without the first."""
        from tutorbot.retrieval.tokenize import mentions_name, name_terms

        names = name_terms([f"{c.title} {c.section}" for c in self.retriever.chunks] +
                           [e.title for e in self.catalog])
        try:
            curriculum = self.curriculum
        except (ValueError, OSError):
            return lambda q: mentions_name(q, names)
        return lambda q: bool(curriculum.mentions(q)) or mentions_name(q, names)

    @cached_property
    def plans(self):
        from tutorbot.plans.service import PlanService

        return PlanService(self.curriculum, self.catalog, self.llm, self.prompts, self.store,
                           weak_topics=self.quizzes.weak_topics)

    @cached_property
    def quizzes(self):
        from tutorbot.quiz.service import QuizService

        return QuizService.from_container(self)

    def ingest(self, **kw):
        from tutorbot.ingest.pipeline import ingest

        report = ingest(self.settings, self.embedder, self.index, **kw)
        for stale in ("catalog", "curriculum", "chat", "plans", "quizzes"):  # they hold the old catalog/chunks
            self.__dict__.pop(stale, None)
        if "retriever" in self.__dict__:
            self.retriever.refresh(self.terms())
        return report
