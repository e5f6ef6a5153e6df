"""How quiz questions and explanations are worded, in both quiz languages.

Stage: shared by the generators (roadmap facts, concept questions, model questions). Corpus text is
quoted inside “…” so a question's own language can be told apart from the passage it quotes.
"""

from __future__ import annotations

from tutorbot.quiz.models import QuizLang

WORDING: dict[QuizLang, dict[str, str]] = {
    "en": {
        # roadmap facts
        "teacher": "According to the roadmap, which of these people teaches {course}?",
        "teacher_tf": "According to the roadmap, {person} teaches {course}.",
        "week": "In the roadmap's study plan “{plan}”, which stage is scheduled for {weeks}?",
        "week_tf": "In the roadmap's study plan “{plan}”, {weeks} is the “{stage}” stage.",
        "recommend": "Which of these resources do the roadmaps recommend for studying “{topic}”?",
        "prereq": "In the curriculum, which topic should you study before “{topic}”?",
        "explain": "The roadmap (“{section}”) says: {quote}",
        "explain_prereq": " The curriculum places “{before}” before “{after}”.",
        # concepts
        "cloze": "Fill in the blank (from “{source}”): “{line}”",
        "which_term": "Which term completes this statement from “{source}”? “{line}”",
        "which_technique": "Which technique does this statement from “{source}” describe? “{line}”",
        "property": "According to “{source}”, which of these is true of “{term}”?",
        "tf_true": "True or false? (from “{source}”) “{line}”",
        "explain_definition": "What is meant by “{term}”? Answer in one or two sentences (see “{source}”).",
        "explain_mechanism": "Explain the mechanism of “{term}” that “{source}” describes, in one or two sentences.",
        "explain_effect": "What does “{term}” achieve, and how, according to “{source}”? Answer in one or two "
                          "sentences.",
        "explain_comparison": "How does “{term}” compare with the alternative, according to “{source}”? Answer in "
                              "one or two sentences.",
        "because": "“{source}” explains it: “{quote}”",
        # model questions
        "blank": "Fill in the blank (from “{source}”): “{line}”",
    },
    "zh": {
        "teacher": "根据路线图，以下哪位是 {course} 的主讲人？",
        "teacher_tf": "根据路线图，{person} 是 {course} 的主讲人。",
        "week": "在路线图的学习计划“{plan}”中，{weeks} 安排的是哪个阶段？",
        "week_tf": "在路线图的学习计划“{plan}”中，{weeks} 是“{stage}”阶段。",
        "recommend": "路线图推荐用以下哪个资源学习“{topic}”？",
        "prereq": "按照学习路线，学习“{topic}”之前应该先学哪个主题？",
        "explain": "路线图（“{section}”）中写道：{quote}",
        "explain_prereq": " 学习路线把“{before}”安排在“{after}”之前。",
        "cloze": "填空（出自“{source}”）：“{line}”",
        "which_term": "下面这句话（出自“{source}”）的空白处应填哪个术语？“{line}”",
        "which_technique": "下面这句话（出自“{source}”）描述的是哪种技术？“{line}”",
        "property": "根据“{source}”，关于“{term}”，下列哪一项说法正确？",
        "tf_true": "判断对错（出自“{source}”）：“{line}”",
        "explain_definition": "“{term}”指的是什么？请用一两句话回答（参考“{source}”）。",
        "explain_mechanism": "请用一两句话解释“{source}”中描述的“{term}”的工作机制。",
        "explain_effect": "根据“{source}”，“{term}”带来了什么效果？是怎样做到的？请用一两句话回答。",
        "explain_comparison": "根据“{source}”，“{term}”与其他方法相比有什么不同？请用一两句话回答。",
        "because": "“{source}”中的解释：“{quote}”",
        "blank": "填空（出自“{source}”）：“{line}”",
    },
}
