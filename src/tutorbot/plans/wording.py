"""The deterministic sentences of a plan (summary, tasks, notes), in both plan languages.

Stage: planner → **wording** → plan. Composed from the curriculum and the plan's own numbers only, so
every statement is true of the plan it describes.
"""

from __future__ import annotations

from tutorbot.lang import Language

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "study": "Study {name}: {desc}", "continue": "Continue {name} (part {part}/{parts})",
        "project": "Project: {project}", "review": "Review {name}: revisit your notes and retake its quiz",
        "project_slot": "Project time for {name}: {project}",
        "because": "first: your mistakes in {topics} point to this prerequisite",
        "default_project": "Write a short notebook that demonstrates {names} end to end",
        "summary": "{weeks} weeks at {hours} h/week toward “{goal}”: {n} to learn.",
        "reviews": " {n} review slot(s) for topics your quizzes found weak come first.",
        "known": " {n} you already know or have done: skipped.",
        "kept": " Weeks 1–{n} are kept as completed.",
        "overview": " An overview: each topic in about {share}% of its hands-on time, without coding skills or "
                    "projects, and the foundations only where the time allows.",
        "condensed": " To reach {what} in the time you have, the earlier topics are condensed to about "
                     "{share}% of their hands-on hours.",
        "goal_week": " The goal's path ends in week {week}; {later} go further with {extra}.",
        "free": " Nothing more fits the last {n} week(s): they are free.",
        "goal_early": " The goal's path ends in week {week}, {free} weeks before your {weeks}: "
                      "everything else the roadmaps teach is already planned or known.",
        "extra_projects": "project time", "extra_topics": "further study ({n})", "extra_reviews": "review",
        "short": " Not enough time: {n} (about {h} h) left for later; add weeks or hours per week to fit them.",
        "partial": " {name} is started and {h} h of it are left.",
        "started": " {name} is started in the last weeks; {h} h of it are left for later.",
        "not_covered": " The roadmaps do not cover {what}; this is the nearest path they offer.",
        "nothing": " You already know everything this goal needs.",
        "beyond": " The weeks go further with {extra}.",
    },
    "zh": {
        "study": "学习{name}：{desc}", "continue": "继续学习{name}（第 {part}/{parts} 部分）",
        "project": "实践项目：{project}", "review": "复习{name}：回顾笔记并重新完成该主题测验",
        "project_slot": "{name}的项目时间：{project}",
        "because": "优先：你在{topics}中的错误指向这个前置主题",
        "default_project": "写一个小 notebook，完整演示{names}",
        "summary": "共 {weeks} 周，每周 {hours} 小时，目标“{goal}”：需学习 {n}。",
        "reviews": "先安排 {n} 次复习，针对测验中薄弱的主题。",
        "known": "已跳过你已掌握或已完成的 {n}。",
        "kept": "第 1–{n} 周作为已完成内容保留。",
        "overview": "概览式学习：每个主题约用动手学习时间的 {share}%，不含编程技能和项目，基础主题只在时间允许时安排。",
        "condensed": "为了在你的时间内学到{what}，之前的主题压缩到动手学习时间的约 {share}%。",
        "goal_week": "目标路径在第 {week} 周完成；{later}继续深入：{extra}。",
        "free": "最后 {n} 周放不下更多内容，留作空闲。",
        "goal_early": "目标路径在第 {week} 周完成，比你的 {weeks} 周早 {free} 周：路线图中的其余内容都已安排或已掌握。",
        "extra_projects": "项目实践", "extra_topics": "延伸学习（{n}）", "extra_reviews": "复习",
        "short": "时间不够：{n}（约 {h} 小时）留待以后；增加周数或每周学习时间即可安排。",
        "partial": "{name}已开始，还剩约 {h} 小时。",
        "started": "最后几周开始学习{name}，还剩约 {h} 小时留待以后。",
        "not_covered": "路线图不涉及{what}；这是路线图中最接近的学习路径。",
        "nothing": "这个目标需要的内容你都已经掌握了。",
        "beyond": "这些周继续深入：{extra}。",
    },
}
LIST_SEP = {"en": ", ", "zh": "、"}


def say(lang: Language, key: str, **values: object) -> str:
    return TEXT[lang][key].format(**values)


def topics(lang: Language, n: int) -> str:
    """'1 topic', '3 topics', '3 个主题'."""
    return f"{n} 个主题" if lang == "zh" else f"{n} topic" + ("" if n == 1 else "s")


def weeks_span(lang: Language, first: int, last: int) -> str:
    """'week 9', 'weeks 9–12', '第 9 周', '第 9–12 周'."""
    if lang == "zh":
        return f"第 {first} 周" if first == last else f"第 {first}–{last} 周"
    return f"week {first}" if first == last else f"weeks {first}–{last}"


def join(lang: Language, items: list[str]) -> str:
    return LIST_SEP[lang].join(items)


def some(lang: Language, items: list[str], limit: int = 3) -> str:
    """The first ``limit`` items and how many more: 'A, B, C and 9 more', 'A、B、C 等 12 个主题'."""
    if len(items) <= limit:
        return join(lang, items)
    head = join(lang, items[:limit])
    return f"{head} 等 {len(items)} 个主题" if lang == "zh" else f"{head} and {len(items) - limit} more"
