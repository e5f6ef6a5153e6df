"""UI stage: the interface's own words in English and Chinese, and switching between them.

Every label, button, message and error the UI shows comes from ``STRINGS`` through ``t``.
The starting language follows the browser's ``Accept-Language``; the learner can switch at
any time, and ``Labels`` re-labels every registered component in one event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tutorbot.lang import Language

UILang = Language
LANGS: tuple[UILang, ...] = ("en", "zh")

STRINGS: dict[str, tuple[str, str]] = {
    # app frame
    "app.title": ("Your study companion for the LLM and generative-model roadmaps", "大模型与生成模型学习路线助手"),
    "app.ui_lang": ("Interface language", "界面语言"),
    "app.user": ("Signed in as **{name}**", "当前用户：**{name}**"),
    "app.logout": ("Log out", "退出登录"),
    "app.local": ("Local single-user mode", "本地单用户模式"),
    "tab.chat": ("Chat", "问答"),
    "tab.plan": ("Study plan", "学习计划"),
    "tab.quiz": ("Quiz", "测验"),
    "tab.progress": ("Progress", "学习进度"),
    "tab.library": ("Library", "资源库"),
    "err.generic": ("Something went wrong: {why}", "出错了：{why}"),
    "err.busy": ("The tutor is busy with other learners — try again in a moment.",
                 "导师正忙于回答其他学习者，请稍后再试。"),
    # status line
    "status.up": ("Model {model} ready", "模型 {model} 已就绪"),
    "status.warming": ("Model warming up — answers will start in a minute",
                       "模型正在启动——大约一分钟后即可回答"),
    "status.down": (("Model server down — chat shows the roadmap sources only "
                     "(start it with `tutorbot serve-llm`)"),
                    "模型服务未运行——问答只显示路线图中的来源（用 `tutorbot serve-llm` 启动）"),
    "status.index": ("index: {n} passages", "索引：{n} 个段落"),
    # chat
    "chat.welcome": (("### Ask me anything about the five LLM roadmaps\n"
                      "Answers cite the roadmap sections they come from. Try an example below."),
                     "### 关于五份大模型学习路线，尽管问我\n每个回答都会注明出处。试试下面的示例问题。"),
    "chat.input": ("Ask about the roadmaps… (Enter to send)", "就学习路线提问……（回车发送）"),
    "chat.send": ("Send", "发送"),
    "chat.stop": ("Stop", "停止"),
    "chat.answer_lang": ("Answer language", "回答语言"),
    "chat.auto": ("Auto", "自动"),
    "chat.socratic": ("Socratic mode: guiding questions and hints before the answer",
                      "苏格拉底模式：先用提问和提示引导，再给出答案"),
    "chat.conversations": ("Conversations", "对话列表"),
    "chat.new": ("+ New conversation", "+ 新对话"),
    "chat.rename": ("Rename", "重命名"),
    "chat.delete": ("Delete", "删除"),
    "chat.title_box": ("Title of this conversation", "对话标题"),
    "chat.search": ("Search conversations…", "搜索对话……"),
    "chat.stopped": ("Stopped: the answer ends where you stopped it.", "已停止：回答到你按下停止时为止。"),
    "chat.sources": ("Sources", "来源"),
    "chat.open": ("open", "打开"),
    "chat.cut": ("Your question was cut to the first {limit} characters.",
                 "你的问题已截断，只保留了前 {limit} 个字符。"),
    "chat.empty": ("Type a question about the roadmaps first.", "请先输入一个关于学习路线的问题。"),
    "chat.not_found": ("That conversation no longer exists.", "该对话已不存在。"),
    "chat.plan_offer": (("It sounds like you want a study plan. I read: {summary}. "
                         "Press **{button}** to review it in the Plan tab."),
                        "看起来你想要一份学习计划。我理解的是：{summary}。点击 **{button}** 在学习计划页查看并确认。"),
    "chat.open_plan": ("Open in the Plan tab", "在学习计划页打开"),
    "chat.examples": (("What should I learn before transformers?|How does LoRA fine-tuning work?|"
                       "Which courses do the roadmaps recommend for diffusion models?"),
                      "学习 Transformer 之前需要掌握哪些基础？|LoRA 微调的原理是什么？|路线图推荐哪些扩散模型的课程？"),
    # plan
    "plan.profile": ("### Your profile", "### 你的学习档案"),
    "plan.describe": ("Or describe yourself in your own words", "或者用自己的话描述一下"),
    "plan.describe_ph": ("e.g. I know Python and PyTorch, 8 hours a week for 3 months, I want to fine-tune LLMs",
                         "例如：我会 Python 和 PyTorch，每周 8 小时，学三个月，想学会微调大模型"),
    "plan.fill": ("Fill the form from my text", "根据描述填写表单"),
    "plan.known": ("Topics you already know", "已经掌握的主题"),
    "plan.goal": ("Goal", "学习目标"),
    "plan.area": ("Research area (for the research goal)", "研究方向（仅科研目标）"),
    "plan.hours": ("Hours per week", "每周学习小时数"),
    "plan.weeks": ("Weeks", "周数"),
    "plan.kinds": ("Preferred resource types", "偏好的资源类型"),
    "plan.language": ("Plan language", "计划语言"),
    "plan.make": ("Make my plan", "生成学习计划"),
    "plan.replan": ("Re-plan with my progress", "按进度重新规划"),
    "plan.export": ("Export as Markdown", "导出为 Markdown"),
    "plan.writing": ("Your plan is ready; the tutor is writing advice for it…", "计划已生成，导师正在撰写学习建议……"),
    "plan.none": ("No plan yet: fill in your profile and press “Make my plan”.",
                  "还没有学习计划：填写档案后点击“生成学习计划”。"),
    "plan.mark": ("### Mark progress", "### 标记进度"),
    "plan.mark_topics": ("Topics", "主题"),
    "plan.mark_done": ("✔ Done", "✔ 已完成"),
    "plan.mark_known": ("★ Already known", "★ 已掌握"),
    "plan.mark_clear": ("Clear mark", "清除标记"),
    "plan.marked": ("Marked {n} topic(s). Press **Re-plan** to update the plan.",
                    "已标记 {n} 个主题。点击 **按进度重新规划** 更新计划。"),
    "plan.filled": ("Form filled from your text: check it, then press **Make my plan**.",
                    "已根据描述填写表单：请检查后点击 **生成学习计划**。"),
    "plan.week": ("Week", "周"), "plan.topics": ("Topics", "主题"), "plan.hours_col": ("Hours", "小时"),
    "plan.resources": ("Resources", "资源"), "plan.tasks": ("Tasks", "任务"),
    "plan.checkpoint": ("Checkpoint quiz", "检查测验"), "plan.phases": ("Milestones and projects", "里程碑与项目"),
    "plan.project": ("Project", "项目"), "plan.weeks_span": ("weeks {a}–{b}", "第 {a}–{b} 周"),
    "plan.deferred": ("Deferred (not enough time)", "推迟（时间不足）"),
    "plan.review": ("review", "复习"),
    "plan.learn": ("Topics you want to learn (planned first)", "想学的主题（优先安排）"),
    "plan.fill_weeks": ("Use all my weeks (after the goal: projects, further topics, reviews)",
                        "用满所有周数（目标完成后：项目、延伸主题、复习）"),
    "plan.understood": ("What I read from your text — correct anything in the form below",
                        "从你的描述中读到的信息——如有不对，请在下方表单中修改"),
    "plan.u_field": ("Field", "项目"), "plan.u_value": ("Read as", "读取结果"),
    "plan.u_source": ("From", "来源"), "plan.u_evidence": ("Your words", "你的原话"),
    "plan.f_language": ("Plan language", "计划语言"), "plan.f_hours_per_week": ("Hours per week", "每周小时数"),
    "plan.f_weeks": ("Weeks", "周数"), "plan.f_goal": ("Goal", "目标"), "plan.f_area": ("Research area", "研究方向"),
    "plan.f_known": ("Already known", "已掌握"), "plan.f_learn": ("To learn", "想学"),
    "plan.f_depth": ("Depth", "深度"),
    "plan.f_preferred_kinds": ("Preferred resources", "偏好资源"),
    "plan.f_not_covered": ("Not covered by the roadmaps", "路线图未涵盖"),
    "plan.s_parser": ("your text", "你的描述"), "plan.s_llm": ("the model (checked against your text)",
                                                           "模型（已与描述核对）"),
    "plan.s_default": ("default", "默认值"), "plan.s_learner": ("you", "你"),
    "plan.overview_only": ("Overview only: concepts, no coding skills or projects",
                           "只学概念：不含编程技能和项目"),
    # quiz
    "quiz.pick": ("Pick a topic from", "选择主题来源"),
    "quiz.from_plan": ("My plan's current stage", "当前计划阶段"),
    "quiz.from_weak": ("My weak topics", "薄弱主题"),
    "quiz.from_all": ("All curriculum topics", "全部课程主题"),
    "quiz.topic": ("Topic", "主题"),
    "quiz.count": ("Number of questions", "题目数量"),
    "quiz.types": ("Question types", "题型"),
    "quiz.mcq": ("Multiple choice", "选择题"), "quiz.tf": ("True / false", "判断题"),
    "quiz.short": ("Short answer", "简答题"), "quiz.blank": ("Fill in the blank", "填空题"),
    "quiz.start": ("Start quiz", "开始测验"),
    "quiz.review": ("Review due cards", "复习到期卡片"),
    "quiz.due": ("**{n}** review card(s) due now.", "现在有 **{n}** 张复习卡片到期。"),
    "quiz.none_due": ("No review cards are due — well done.", "没有到期的复习卡片，继续保持！"),
    "quiz.no_topic": ("Pick a topic first.", "请先选择一个主题。"),
    "quiz.no_questions": ("No questions could be made for this topic.", "这个主题暂时无法出题。"),
    "quiz.question": ("**Question {i} of {n}** · {topic}", "**第 {i} / {n} 题** · {topic}"),
    "quiz.answer": ("Your answer", "你的答案"),
    "quiz.sure": ("How sure are you? (optional, before checking)", "你有多确定？（可选，提交前选择）"),
    "quiz.sure1": ("1 · guessing", "1 · 猜的"), "quiz.sure2": ("2 · unsure", "2 · 不太确定"),
    "quiz.sure3": ("3 · fairly sure", "3 · 比较确定"), "quiz.sure4": ("4 · certain", "4 · 非常确定"),
    "quiz.submit": ("Check answer", "提交答案"),
    "quiz.next": ("Next question ➜", "下一题 ➜"),
    "quiz.correct": ("✔ Correct", "✔ 回答正确"),
    "quiz.partly": ("◐ Partly right ({pct}%)", "◐ 部分正确（{pct}%）"),
    "quiz.wrong": ("✘ Not quite", "✘ 回答有误"),
    "quiz.right_answer": ("Answer", "正确答案"),
    "quiz.explanation": ("Why", "解析"),
    "quiz.source": ("Source", "出处"),
    "quiz.next_review": ("Next review: {when}", "下次复习：{when}"),
    "quiz.score": ("### Score: {points} of {n} points ({pct}%)", "### 得分：{points} / {n} 分（{pct}%）"),
    "quiz.plan_updated": ("Your study plan was updated: weak topics get review slots in the coming weeks.",
                          "学习计划已更新：薄弱主题会在接下来的几周安排复习。"),
    "quiz.empty_answer": ("Type or pick an answer first.", "请先填写或选择答案。"),
    "quiz.fully_right": ("{right} of {n} answers fully right; partly right answers earn part of a point.",
                         "{n} 题中 {right} 题完全正确；部分正确的回答得部分分数。"),
    "quiz.comment": ("Note", "点评"),
    "quiz.week_sources": ("Questions come from this week's resources first.", "题目优先来自本周的学习资源。"),
    # progress
    "progress.refresh": ("Refresh", "刷新"),
    "progress.mastery": ("Mastery per topic", "各主题掌握程度"),
    "progress.forecast": ("Reviews due per day (next 14 days)", "未来 14 天每日到期复习"),
    "progress.next_review": ("Next review: **{when}** ({zone})", "下次复习：**{when}**（{zone}）"),
    "progress.no_reviews_soon": ("No reviews due in the next 14 days.", "未来 14 天没有到期的复习。"),
    "progress.weak": ("Your weak topics", "你的薄弱主题"),
    "progress.quiz_me": ("Quiz me on this", "就这个主题测验我"),
    "progress.history": ("Quiz history", "测验记录"),
    "progress.streak": ("★ **{n}**-day streak · {attempts} answers · {cards} review cards",
                        "★ 连续学习 **{n}** 天 · 共答题 {attempts} 次 · 复习卡片 {cards} 张"),
    "progress.empty": ("No quiz results yet: take a quiz and your progress shows up here.",
                       "还没有测验记录：完成一次测验后，这里会显示你的进度。"),
    "col.when": ("When", "时间"), "col.topic": ("Topic", "主题"), "col.question": ("Question", "题目"),
    "col.score": ("Score", "得分"), "col.correct": ("Correct", "正确"),
    "col.due": ("Cards due", "到期卡片"),
    "col.pattern": ("Pattern", "错误类型"), "col.times": ("Times", "次数"), "col.reason": ("Why to review", "复习原因"),
    "progress.calibration": ("How often you were right at each confidence (answers with a confidence only)",
                             "各确定程度下的答对比例（仅统计选了确定程度的回答）"),
    "progress.patterns": ("Repeated mistakes and why to review", "反复出现的错误与复习原因"),
    "pattern.careless": ("Careless / format", "粗心 / 格式"),
    "pattern.missing_prereq": ("Missing prerequisite", "缺少前置知识"),
    "pattern.confused_terms": ("Confused two terms", "混淆了两个术语"),
    "pattern.wrong_concept": ("Wrong concept", "选错了概念"),
    "pattern.not_recalled": ("Not recalled", "没有想起来"),
    # library
    "lib.search": ("Search titles and descriptions", "搜索标题和简介"),
    # library: link status
    "lib.link": ("Link", "链接状态"),
    "lib.link_ok": ("ok", "正常"),
    "lib.link_dead": ("dead", "失效"),
    "lib.link_unfetched": ("not fetched", "未抓取"),
    "lib.last_ok": ("last ok {date}", "上次成功 {date}"),
    "lib.never_ok": ("never worked", "从未成功"),
    "lib.dead_only": ("Dead links only", "只看失效链接"),
    "lib.no_fetch": (("No link has been checked yet, so none is known to be dead. Links are checked while "
                      "tutorbot fetches the linked pages (the status line above shows how far it is); "
                      "meanwhile untick “Dead links only” to browse every resource."),
                     ("还没有检查过任何链接，所以暂时没有已知的失效链接。tutorbot 抓取链接页面时会检查链接"
                      "（上方状态栏显示进度）；在此之前，可取消勾选“只看失效链接”浏览全部资源。")),
    "lib.kind": ("Kind", "类型"), "lib.topic": ("Topic", "主题"), "lib.roadmap": ("Roadmap", "路线图"),
    "lib.language": ("Language", "语言"), "lib.any": ("Any", "全部"),
    "lib.count": ("{n} of {total} resources", "共 {total} 个资源，显示 {n} 个"),
    "lib.title": ("Resource", "资源"), "lib.recommended": ("Recommended by", "推荐路线图"),
    "lib.none": ("No resource matches these filters.", "没有符合条件的资源。"),
    "kind.course": ("Course", "课程"), "kind.paper": ("Paper", "论文"), "kind.blog": ("Blog", "博客"),
    "kind.repository": ("Code", "代码库"), "kind.video": ("Video", "视频"), "kind.book": ("Book", "书籍"),
    "kind.documentation": ("Docs", "文档"), "kind.site": ("Website", "网站"), "kind.code": ("Code", "代码"),
    "lang.en": ("English", "英文"), "lang.zh": ("Chinese", "中文"), "lang.mixed": ("Mixed", "中英混合"),
    # linked pages, fetched and indexed in the background
    "status.linked": ("linked pages: {n} of {total} indexed, {dead} unreachable",
                      "链接页面：已索引 {n}/{total}，{dead} 个无法访问"),
    "status.linked_old": (" ({n} kept from an earlier fetch)", "（{n} 个保留上次抓取的内容）"),
    "status.linked_running": (" — indexing in the background", " — 正在后台索引"),
    "status.linked_failed": ("linked pages not fetched: {error}", "链接页面未能抓取：{error}"),
    "lib.link_pending": ("pending", "等待抓取"),
    "lib.link_added": ("link added by tutorbot", "链接由 tutorbot 补充"),
    "lib.link_added_tip": (("The roadmap names this resource without a link; tutorbot added its official address. "
                            "The page is not fetched or checked."),
                           ("路线图只提到了这个资源的名称，没有给出链接；这是 tutorbot 补充的官方地址，"
                            "该页面不会被抓取或检查。")),
    "lib.dead_help": (("This page could not be reached at the last check. What the roadmap says about it is still "
                       "searchable: ask about it in the Chat tab. Recommended in: {where}."),
                      "上次检查时无法访问此页面。路线图中关于它的内容仍可搜索：可以在“问答”页提问。推荐位置：{where}。"),
    # flashcards: self-rated review and exports (Quiz tab)
    "notebook.title": ("### Wrong-answer notebook", "### 错题本"),
    "notebook.pick": ("Missed questions", "答错的题目"),
    "notebook.ask": ("Ask it again", "再问一次"),
    "notebook.session": ("Review 10 minutes", "复习 10 分钟"),
    "notebook.missed": ("missed {n}×", "错 {n} 次"),
    "notebook.given": ("You answered", "你的答案"),
    "notebook.empty": ("No missed questions yet: the questions you miss are kept here with their explanation.",
                       "还没有答错的题目：答错的题目会连同解析保存在这里。"),
    "notebook.nothing": ("Nothing to review: no card is due and every missed question has been answered right since.",
                         "没有要复习的内容：没有到期卡片，答错的题目也都已答对。"),
    "review.why": ("**Why this review:**", "**复习原因：**"),
    "review.first": ("Review first: {names}", "请先复习：{names}"),
    "cards.title": ("### Flashcards", "### 记忆卡片"),
    "cards.start": ("Review due flashcards", "复习到期的记忆卡片"),
    "cards.reveal": ("Show answer", "显示答案"),
    "cards.again": ("Again", "重来"), "cards.hard": ("Hard", "困难"),
    "cards.good": ("Good", "良好"), "cards.easy": ("Easy", "简单"),
    "cards.counter": ("**Card {i} of {n}** · {topic}", "**第 {i} / {n} 张** · {topic}"),
    "cards.rate_hint": ("How well did you recall it? Rate it below.", "你记得怎么样？请在下方评分。"),
    "cards.none_due": ("No flashcards are due now.", "现在没有到期的记忆卡片。"),
    "cards.done": ("All {n} due flashcard(s) reviewed; their next reviews are scheduled.",
                   "已复习全部 {n} 张到期卡片，下次复习时间已安排。"),
    "cards.export_topic": ("Export the cards of", "导出哪些卡片"),
    "cards.all_topics": ("All topics", "全部主题"),
    "cards.export_anki": ("Export to Anki (.apkg)", "导出到 Anki（.apkg）"),
    "cards.export_md": ("Export as Markdown", "导出为 Markdown"),
    # progress: empty state
    "progress.no_reviews": ("No reviews yet: the cards of the questions you answer get their review days here.",
                            "还没有复习安排：你答过的题目会变成复习卡片，它们的复习日期会显示在这里。"),
}


def t(lang: str, key: str, **values: Any) -> str:
    """The text for ``key`` in ``lang`` (English for unknown languages), formatted with ``values``."""
    en, zh = STRINGS[key]
    text = zh if lang == "zh" and zh else en
    return text.format(**values) if values else text


def choose_lang(value: str | None) -> UILang:
    """Only the two interface languages exist; anything else a browser sends means English."""
    return "zh" if value == "zh" else "en"


def browser_lang(accept_language: str | None) -> UILang:
    """The interface language for an ``Accept-Language`` header: the first zh/en preference wins."""
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh"
        if tag.startswith("en"):
            return "en"
    return "en"


Spec = Callable[[UILang], dict[str, Any]]


@dataclass
class Labels:
    """Components whose words depend on the interface language, and how to re-label them."""

    entries: list[tuple[Any, Spec]] = field(default_factory=list)

    def add(self, component: Any, spec: Spec | None = None, **keys: str) -> Any:
        """Register ``component``: ``keys`` maps a property (label, value, placeholder…) to a string key."""
        def by_keys(lang: UILang) -> dict[str, Any]:
            return {prop: t(lang, key) for prop, key in keys.items()}
        self.entries.append((component, spec or by_keys))
        return component

    @property
    def components(self) -> list[Any]:
        return [c for c, _ in self.entries]

    def props(self, lang: UILang) -> list[dict[str, Any]]:
        return [spec(lang) for _, spec in self.entries]

    def updates(self, lang: UILang) -> list[Any]:
        import gradio as gr

        return [gr.update(**p) for p in self.props(lang)]


def pick_lang(stored: str | None, saved: str | None, accept_language: str | None) -> UILang:
    """The language a page opens in: the learner's remembered choice (learner store), else this browser's
    (its localStorage), else the browser's ``Accept-Language``."""
    for choice in (stored, saved):
        if choice in LANGS:
            return "zh" if choice == "zh" else "en"
    return browser_lang(accept_language)
