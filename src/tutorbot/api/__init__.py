"""OpenAI-compatible tutor API (/v1) on the UI's own app: protocol, auth, serving, router."""
