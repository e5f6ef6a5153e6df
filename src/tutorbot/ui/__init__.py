"""UI stage: the Gradio web app. ``build_ui`` assembles tabs; ``launch`` serves it safely."""

from tutorbot.ui.app import build_ui, launch

__all__ = ["build_ui", "launch"]
