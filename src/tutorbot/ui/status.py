"""The status line: LLM server up / warming up / down (and which model), index size."""

from __future__ import annotations


def status_line(container) -> str:
    from ..serve import is_starting

    st = container.llm.status()
    if st.state == "up":
        llm = f"🟢 model **{', '.join(st.models)}** ready"
    elif st.state == "warming" or is_starting(container.settings):
        llm = "🟡 model warming up…"
    else:
        llm = "🔴 model server down — answers show sources only (start it with `tutorbot serve-llm`)"
    try:
        n = container.index.count()
    except Exception:  # a status line must never take the page down
        n = 0
    return f"{llm} · index: {n} chunks"
