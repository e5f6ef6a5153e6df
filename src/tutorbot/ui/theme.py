"""UI stage: the look — a Gradio theme with system fonts only (no remote font loads) and the
small stylesheet for citation cards, the plan timeline and the library table, plus the phone layout
(``PHONE_CSS``: one column, chat first, tables that scroll inside their own box).
"""

from __future__ import annotations

from typing import Any

# Phones (the 390 px): one column, the title on one or two lines, all five tabs in view, the
# chat before the conversation drawer, and tables that scroll inside their own box, never the page.
PHONE_CSS = """
@media (max-width: 640px) {
  #tb-header { flex-wrap: wrap; gap: 2px 12px; }
  #tb-header > * { width: auto; min-width: 0 !important; flex: 0 1 auto !important; max-width: 100%; }
  #tb-header > #tb-title { flex: 1 1 100% !important; }
  #tb-header h2 { font-size: 1.25em; }
  #tb-title p { font-size: 0.9em; margin: 2px 0 0; }
  #tb-ui-lang { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; padding: 2px 0; border: none;
    background: none; }
  #tb-tabs .tab-container button { padding: 0 10px; }
  .tb-chat-row { flex-direction: column; }
  #tb-chatbot { height: 40vh !important; max-height: 40vh !important; }
  .gradio-container .row { flex-wrap: wrap; }
  .gradio-container .row > .column { min-width: 100% !important; }
  #tb-mastery, #tb-forecast { min-width: 100% !important; }  /* two charts side by side: each too narrow */
  .tb-passage { margin-left: 0; }
  /* Squeezed to 390 px a table breaks its words letter by letter: keep a readable width, scroll in its box. */
  .tb-timeline, .tb-library { font-size: 0.85em; min-width: 560px; }
  #tb-history table { min-width: 560px; }
  .tb-phases { grid-template-columns: 1fr; }
}
"""
# Gradio scopes the ``css`` it is given to the inside of its page frame, so the frame's own 32 px side
# padding (a tenth of a phone's width) can only be narrowed from a <style> in the page's <head>.
FRAME_CSS = """
@media (max-width: 640px) { .gradio-container .app { padding-left: 8px !important; padding-right: 8px !important; } }
"""
FONTS = ("system-ui", "-apple-system", "Segoe UI", "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei",
         "sans-serif")
MONO = ("ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace")

# Muted text is a fixed grey, not an opacity: gray-600 on white is 7.6:1 and gray-400 on the dark
# theme's near-black about 7:1, both above WCAG AA's 4.5:1 (the old 0.65 opacity fell to about 3:1).
CSS = """
:root { --tb-muted: #4b5563; }
.dark { --tb-muted: #9ca3af; }
#tb-header { align-items: center; }
#tb-header h2 { margin: 0; }
#tb-status { font-size: 0.9em; }
.tb-dot { display: inline-block; width: 10px; height: 10px; border-radius: 5px; margin-right: 6px; }
.tb-up { background: #16a34a; } .tb-warming { background: #f59e0b; } .tb-down { background: #dc2626; }
.tb-warn.tb-degraded { color: #b45309; } .tb-warn.tb-failed { color: #dc2626; }
.tb-link { padding: 0 0.4em; border-radius: 0.6em; font-size: 0.85em; }
.tb-link-ok { background: var(--color-green-100, #dcfce7); }
.tb-link-dead { background: var(--color-red-100, #fee2e2); }
.tb-link-unfetched { color: var(--tb-muted); }
.tb-link-pending { background: var(--color-yellow-100, #fef9c3); }
#tb-ui-lang { max-width: 260px; }
.tb-sidebar .tb-convs label { width: 100%; }
#tb-known label { padding: 2px 8px; font-size: 0.85em; }
.tb-cites { margin-top: 10px; border-top: 1px solid var(--border-color-primary); padding-top: 6px; }
.tb-cites-head { font-weight: 600; font-size: 0.85em; text-transform: uppercase; color: var(--tb-muted);
  margin-bottom: 4px; }
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
.tb-passage-path { font-weight: 600; color: var(--tb-muted); margin-bottom: 4px; }
.tb-passage-text { white-space: pre-wrap; }
.tb-cited { background: #fde68a; color: #111; border-radius: 3px; }
.tb-passage-url { margin-top: 4px; word-break: break-all; }
.tb-cite-title { font-weight: 600; font-size: 0.9em; }
.tb-cite-snippet { font-size: 0.85em; color: var(--tb-muted); margin: 2px 0; }
.tb-cite-link { font-size: 0.8em; }
.tb-plan-summary { font-size: 1.05em; font-weight: 600; }
.tb-phases { display: grid; grid-template-columns: repeat(auto-fill, minmax(240px, 1fr)); gap: 10px;
             margin: 8px 0 16px; }
.tb-phase { border: 1px solid var(--border-color-primary); border-left: 4px solid var(--color-accent);
  border-radius: 8px; padding: 8px 10px; background: var(--background-fill-secondary); }
.tb-phase-head { font-weight: 600; }
.tb-phase-n { display: inline-block; min-width: 20px; margin-right: 6px; color: var(--color-accent); }
.tb-phase-project, .tb-phase-tips { font-size: 0.88em; margin-top: 4px; }
.tb-muted { color: var(--tb-muted); font-weight: 400; }
.tb-timeline, .tb-library { width: 100%; border-collapse: collapse; font-size: 0.9em; }
.tb-timeline th, .tb-library th { text-align: left; background: var(--background-fill-secondary);
  position: sticky; top: 0; }
.tb-timeline td, .tb-timeline th, .tb-library td, .tb-library th { border-bottom: 1px solid var(--border-color-primary);
  padding: 6px 8px; vertical-align: top; }
.tb-week { font-weight: 700; color: var(--color-accent); text-align: center; }
.tb-tasks { margin: 0; padding-left: 16px; }
.tb-kind { font-size: 0.75em; padding: 1px 6px; border-radius: 8px; background: var(--background-fill-secondary);
  border: 1px solid var(--border-color-primary); white-space: nowrap; }
.tb-desc { font-size: 0.85em; color: var(--tb-muted); }
.tb-empty { padding: 24px; text-align: center; color: var(--tb-muted); }
.tb-count { margin: 4px 0 8px; color: var(--tb-muted); }
.tb-offer { border: 1px dashed var(--color-accent); border-radius: 8px; padding: 6px; align-items: center; }
#tb-library { max-height: 640px; overflow-y: auto; }
#tb-plan, #tb-library, #tb-history { max-width: 100%; overflow-x: auto; }
#tb-convs-drawer h4 { display: none; }  /* the drawer's own label already says "Conversations" */
""" + PHONE_CSS


def make_theme() -> Any:
    import gradio as gr

    theme = gr.themes.Soft(primary_hue="indigo", secondary_hue="sky", font=FONTS, font_mono=MONO)
    # Gradio's own subdued text (info lines, placeholders) is gray-400 in Soft: 2.5:1 on white, below AA.
    return theme.set(body_text_color_subdued="*neutral_600", body_text_color_subdued_dark="*neutral_400")
