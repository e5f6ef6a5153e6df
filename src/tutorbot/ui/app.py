"""UI stage: assemble the Gradio Blocks from small tab builders and launch it with safe defaults.

Safe defaults: bound to 127.0.0.1 unless configured, login required on any non-loopback
interface, never shared, analytics off, no API page or OpenAPI schema (Gradio still answers
/gradio_api/call/ for private handlers, with the same power as the page's own queue calls:
deploy/'s proxies close it), page state bound to the login that opened the page
(``auth.Identity``), no file access beyond Gradio's own assets and the plan and flashcard exports, the HTTP
rules of ``web.WebGuard`` (origins, cookies, sign-in throttle, sessions, no uploads), and a queue
sized from the LLM server's measured capacity (``settings.llm.max_concurrency``).
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

import gradio as gr

from tutorbot.health import healthz, problems, run_checks
from tutorbot.ui.auth import AUTH_MESSAGE, Identity, login_required
from tutorbot.ui.chat_tab import build_chat_tab
from tutorbot.ui.context import Services, UIContext
from tutorbot.ui.dates import TZ_JS
from tutorbot.ui.i18n import Labels, choose_lang, pick_lang, t
from tutorbot.ui.library_tab import build_library_tab
from tutorbot.ui.page_js import HEAD
from tutorbot.ui.plan_tab import build_plan_tab
from tutorbot.ui.progress_tab import build_progress_tab, link_to_quiz
from tutorbot.ui.quiz_tab import build_quiz_tab
from tutorbot.ui.status import HealthCache
from tutorbot.ui.theme import CSS, FRAME_CSS, make_theme
from tutorbot.ui.web import GuardedApp

if TYPE_CHECKING:
    from tutorbot.container import Container

log = logging.getLogger(__name__)
QUEUE_PER_SLOT = 4  # queued events allowed per concurrent model call before Gradio's "queue full"
# Model handlers run up to twice the LLM client's own limit: the extra ones reach the client's gate,
# which answers "busy, try again in a moment" within half a second instead of leaving them queued.
HANDLERS_PER_SLOT = 2
STATUS_EVERY_S = 20
MAX_UPLOAD = "1mb"  # the UI has no uploads (``web.WebGuard`` refuses them); a second fence
LOGOUT_JS = "() => fetch('logout', {method: 'POST'}).then(() => window.location.reload())"
# The interface language is also kept in the browser, for pages that open before any learner choice is stored.
SAVED_LANG_JS = "(saved) => { try { return localStorage.getItem('tutorbot.ui_lang') || ''; } catch (e) { return ''; } }"
# Set once the page's opening chain (language, labels, status, every tab's refresh) has run: what a tab
# shows before it may still be replaced by the learner's saved state (browser tests wait for it).
READY_JS = "() => { document.body.dataset.tbReady = '1'; }"
REMEMBER_LANG_JS = "(lang) => { try { localStorage.setItem('tutorbot.ui_lang', lang); } catch (e) {} return lang; }"
TABS = (("chat", build_chat_tab), ("plan", build_plan_tab), ("quiz", build_quiz_tab),
        ("progress", build_progress_tab), ("library", build_library_tab))


def build_ui(services: Services, *, require_login: bool | None = None, host: str | None = None,
             identity: Identity | None = None) -> Any:
    login = login_required(host or services.settings.ui.host, require_login)
    identity = identity or Identity(services.accounts, login)
    with gr.Blocks(title="tutorbot", analytics_enabled=False) as demo:
        lang = gr.State("en")
        limit = services.settings.llm.max_concurrency * HANDLERS_PER_SLOT
        ctx = UIContext(services, identity, Labels(), lang, llm_limit=limit)
        status, who, ui_lang = _header(ctx)
        saved = gr.Textbox(visible=False, elem_id="tb-saved-lang")  # this browser's remembered language
        # "wrap", not Gradio's default "menu": on a phone the menu hid Progress and Library behind '…'.
        with gr.Tabs(elem_id="tb-tabs", overflow_behavior="wrap") as tabs:
            built = {}
            for key, build in TABS:
                with gr.Tab(t("en", f"tab.{key}"), id=key, elem_id=f"tb-tab-{key}") as tab:
                    built[key] = build(ctx) or {}
                ctx.labels.add(tab, label=f"tab.{key}")
                built[key]["tab"] = tab
        _wire(ctx, demo, built, tabs, status, who, (ui_lang, saved))
    return demo


def _header(ctx: UIContext) -> tuple[Any, Any, Any]:
    with gr.Row(elem_id="tb-header"):
        ctx.labels.add(gr.Markdown(f"## tutorbot\n{t('en', 'app.title')}", elem_id="tb-title"),
                       lambda lang: {"value": f"## tutorbot\n{t(lang, 'app.title')}"})
        who = gr.Markdown(elem_id="tb-user")
        ui_lang = gr.Radio([("English", "en"), ("中文", "zh")], value="en", label=t("en", "app.ui_lang"),
                           elem_id="tb-ui-lang", scale=0, min_width=220)
        ctx.labels.add(ui_lang, label="app.ui_lang")
        if ctx.identity.login:  # a POST: a link on another site cannot sign the learner out
            logout = gr.Button(t("en", "app.logout"), size="sm", scale=0, elem_id="tb-logout")
            logout.click(None, js=LOGOUT_JS)
            ctx.labels.add(logout, value="app.logout")
    status = gr.HTML(elem_id="tb-status")
    return status, who, ui_lang


def _wire(ctx: UIContext, demo: Any, built: dict, tabs: Any, status: Any, who: Any, langs: tuple[Any, Any]) -> None:
    quick = ctx.quick_event()
    health = HealthCache(ctx.services.health)
    ui_lang, saved = langs
    prefs = ctx.services.preferences

    def detect(browser_saved: str | None, request: gr.Request) -> tuple[str, str]:
        stored = prefs.ui_lang(ctx.identity.user_id(request)) if prefs else None
        lang = pick_lang(stored, browser_saved, request.headers.get("accept-language") if request else None)
        return lang, lang

    def chosen(value: str, request: gr.Request) -> str:
        lang = choose_lang(value)
        return prefs.set_ui_lang(ctx.identity.user_id(request), lang) if prefs else lang

    def header(lang: str, request: gr.Request) -> tuple[str, str]:
        user = ctx.identity.user(request)
        name = t(lang, "app.user", name=user.name) if ctx.identity.login else t(lang, "app.local")
        return health.line(lang), name

    def apply(event: Any) -> None:
        chain = event.then(ctx.labels.updates, [ctx.lang], ctx.labels.components, **quick)
        chain = chain.then(header, [ctx.lang], [status, who], **quick)
        for r in ctx.refreshers:
            chain = chain.then(r.fn, r.inputs, r.outputs, **quick)
        chain.then(None, None, None, js=READY_JS, **quick)

    apply(demo.load(detect, [saved], [ctx.lang, ui_lang], js=SAVED_LANG_JS, **quick))
    apply(ui_lang.input(chosen, [ui_lang], [ctx.lang], js=REMEMBER_LANG_JS, **quick))
    gr.Timer(STATUS_EVERY_S).tick(header, [ctx.lang], [status, who], **quick)
    for key in ("progress", "quiz"):  # what they show changes while the learner is elsewhere
        for part in (built[key], *built[key].get("parts", [])):
            _on_select(built[key]["tab"], part, quick)
    link_to_quiz(ctx, tabs, built["progress"], built["quiz"])
    chat, plan = built["chat"], built["plan"]
    chat["open_plan"].click(plan["fill_from_draft"], [chat["draft"]], plan["form"], **quick).then(
        lambda lang: (gr.Tabs(selected="plan"), t(lang, "plan.filled")), [ctx.lang], [tabs, plan["note"]], **quick)


def _on_select(tab: Any, part: dict, quick: dict) -> None:
    """Refresh ``part`` when its tab opens; a part showing times first reads the browser's time zone."""
    if "tz" in part:
        tab.select(None, None, [part["tz"]], js=TZ_JS, **quick).then(part["refresh"], part["inputs"],
                                                                      part["outputs"], **quick)
    else:
        tab.select(part["refresh"], part["inputs"], part["outputs"], **quick)


def launch(container: Container, host: str | None = None, port: int | None = None, block: bool = True,
           require_login: bool | None = None) -> Any:
    """Serve the UI; with ``block=False`` return at once (tests) — call ``.close()`` on the result."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    services = Services.from_container(container)
    for problem in problems(run_checks(container)):  # the start check: what is off, and its fix
        log.warning("%s %s: %s", problem.state, problem.name, problem.detail)
    s = services.settings
    host = host or s.ui.host
    login = login_required(host, require_login)
    identity = Identity(services.accounts, login)
    demo = build_ui(services, require_login=login, host=host, identity=identity)
    slots = s.llm.max_concurrency
    demo.queue(default_concurrency_limit=slots * HANDLERS_PER_SLOT, max_size=slots * QUEUE_PER_SLOT + 8,
               api_open=False)
    # Gradio's private ``_app`` is the one way to put ``WebGuard`` outside Gradio's own CORS middleware.
    demo.launch(server_name=host, server_port=port or s.ui.port, share=False, prevent_thread_lock=not block,
                auth=identity.check_async if login else None, auth_message=AUTH_MESSAGE if login else None,
                show_error=False, allowed_paths=[], max_file_size=MAX_UPLOAD, footer_links=[], quiet=True,
                enable_monitoring=False, mcp_server=False, ssr_mode=False, pwa=False, run_history=False,
                theme=make_theme(), css=CSS, head=f"{HEAD}<style>{FRAME_CSS}</style>",
                _app=GuardedApp(s.ui, login, health=lambda: healthz(container), api=api_router(services, login)))
    return demo


def api_router(services: Services, login: bool) -> Any:
    """The OpenAI-compatible API (/v1) over the UI's own services; keyless only in local mode."""
    from tutorbot.api.auth import KeyAuth
    from tutorbot.api.router import build_router
    from tutorbot.api.serving import TutorServing

    return build_router(TutorServing(services.chat, services.conversations), KeyAuth(services.accounts, not login))
