"""UI stage: the look — a Gradio theme with system fonts only (no remote font loads) and the
small stylesheet for citation cards, the plan timeline and the library table.
"""

from __future__ import annotations

from typing import Any

FONTS = ("system-ui", "-apple-system", "Segoe UI", "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei",
         "sans-serif")
MONO = ("ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace")

CSS = """
#tb-header { align-items: center; }
#tb-header h2 { margin: 0; }
#tb-status { font-size: 0.9em; }
.tb-dot { display: inline-block; width: 10px; height: 10px; border-radius: 5px; margin-right: 6px; }
.tb-up { background: #16a34a; } .tb-warming { background: #f59e0b; } .tb-down { background: #dc2626; }
.tb-warn.tb-degraded { color: #b45309; } .tb-warn.tb-failed { color: #dc2626; }
.tb-link { padding: 0 0.4em; border-radius: 0.6em; font-size: 0.85em; }
.tb-link-ok { background: var(--color-green-100, #dcfce7); }
.tb-link-dead { background: var(--color-red-100, #fee2e2); }
.tb-link-unfetched { color: var(--body-text-color-subdued); }
.tb-link-pending { background: var(--color-yellow-100, #fef9c3); }
#tb-ui-lang { max-width: 260px; }
.tb-sidebar .tb-convs label { width: 100%; }
#tb-known label { padding: 2px 8px; font-size: 0.85em; }
.tb-cites { margin-top: 10px; border-top: 1px solid var(--border-color-primary); padding-top: 6px; }
.tb-cites-head { font-weight: 600; font-size: 0.85em; text-transform: uppercase; opacity: 0.7; margin-bottom: 4px; }
.tb-cite { border: 1px solid var(--border-color-primary); border-radius: 10px; padding: 8px 10px; margin: 6px 0;
  background: var(--background-fill-secondary); }
.tb-cite > summary { display: flex; gap: 10px; align-items: flex-start; cursor: pointer; list-style: none; }
.tb-cite > summary::-webkit-details-marker { display: none; }
.tb-cite-n { flex: none; width: 24px; height: 24px; border-radius: 12px; text-align: center; line-height: 24px;
  font-weight: 700; font-size: 0.8em; color: white; background: var(--color-accent); }
.tb-cite-ref { text-decoration: none; font-weight: 600; }
.tb-passage { margin: 8px 0 2px 34px; padding: 6px 10px; border-left: 3px solid var(--color-accent);
  font-size: 0.88em; scroll-margin-top: 40px; }
.tb-passage:target { background: var(--background-fill-primary); }
.tb-passage-path { font-weight: 600; opacity: 0.8; margin-bottom: 4px; }
.tb-passage-text { white-space: pre-wrap; }
.tb-cited { background: #fde68a; color: #111; border-radius: 3px; }
.tb-passage-url { margin-top: 4px; word-break: break-all; }
.tb-cite-title { font-weight: 600; font-size: 0.9em; }
.tb-cite-snippet { font-size: 0.85em; opacity: 0.85; margin: 2px 0; }
.tb-cite-link { font-size: 0.8em; }
.tb-plan-summary { font-size: 1.05em; font-weight: 600; }
.tb-phases { display: grid; grid-template-columns: repeat(auto-fill, minmax(240px, 1fr)); gap: 10px;
             margin: 8px 0 16px; }
.tb-phase { border: 1px solid var(--border-color-primary); border-left: 4px solid var(--color-accent);
  border-radius: 8px; padding: 8px 10px; background: var(--background-fill-secondary); }
.tb-phase-head { font-weight: 600; }
.tb-phase-n { display: inline-block; min-width: 20px; margin-right: 6px; color: var(--color-accent); }
.tb-phase-project, .tb-phase-tips { font-size: 0.88em; margin-top: 4px; }
.tb-muted { opacity: 0.65; font-weight: 400; }
.tb-timeline, .tb-library { width: 100%; border-collapse: collapse; font-size: 0.9em; }
.tb-timeline th, .tb-library th { text-align: left; background: var(--background-fill-secondary);
  position: sticky; top: 0; }
.tb-timeline td, .tb-timeline th, .tb-library td, .tb-library th { border-bottom: 1px solid var(--border-color-primary);
  padding: 6px 8px; vertical-align: top; }
.tb-week { font-weight: 700; color: var(--color-accent); text-align: center; }
.tb-tasks { margin: 0; padding-left: 16px; }
.tb-kind { font-size: 0.75em; padding: 1px 6px; border-radius: 8px; background: var(--background-fill-secondary);
  border: 1px solid var(--border-color-primary); white-space: nowrap; }
.tb-desc { font-size: 0.85em; opacity: 0.75; }
.tb-empty { padding: 24px; text-align: center; opacity: 0.7; }
.tb-count { margin: 4px 0 8px; opacity: 0.8; }
.tb-offer { border: 1px dashed var(--color-accent); border-radius: 8px; padding: 6px; align-items: center; }
#tb-library { max-height: 640px; overflow-y: auto; }
"""


def make_theme() -> Any:
    import gradio as gr

    return gr.themes.Soft(primary_hue="indigo", secondary_hue="sky", font=FONTS, font_mono=MONO)
