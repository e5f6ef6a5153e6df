"""tutorbot: a self-hostable study assistant for LLMs and deep generative models.

Data flow: corpus → ingest → index → retrieve → prompt → llm → answer/plan/quiz → ui.
Nothing is loaded at import time; ``tutorbot.container.build`` wires the parts together.
"""

__version__ = "0.1.0"
