"""Query translation by the served model: when it is on, what it asks, what it keeps, its cache."""

from tutorbot.llm.client import LLMUnavailable
from tutorbot.llm.fake import FakeLLM
from tutorbot.llm.prompts import PromptLibrary
from tutorbot.retrieval.translate import QueryTranslator, model_params_b, translation_mode
from tutorbot.settings import PROJECT_ROOT, Settings

PROMPTS = PromptLibrary(PROJECT_ROOT / "prompts")


def settings(model: str, **retrieval) -> Settings:
    return Settings(_env_file=None, llm={"model": model}, retrieval=retrieval)


def test_model_size_is_read_from_the_model_name():
    assert model_params_b("Qwen/Qwen2.5-7B-Instruct") == 7 and model_params_b("smollm2-135m-instruct") == 0.135
    assert model_params_b("Qwen2.5-32B-Instruct-AWQ") == 32 and model_params_b("my-model") is None


def test_auto_translates_only_with_a_model_big_enough():
    assert translation_mode(settings("Qwen/Qwen2.5-7B-Instruct"))[0]
    small, why = translation_mode(settings("smollm2-135m-instruct"))
    assert not small and "0.135B" in why
    assert not translation_mode(settings("my-model"))[0]  # unknown size: off unless asked
    assert translation_mode(settings("my-model", translate_queries="on"))[0]
    assert not translation_mode(settings("Qwen2.5-72B", translate_queries="off"))[0]


def test_a_question_is_restated_in_the_other_language_once_and_cached():
    llm = FakeLLM("哪种 PyTorch 技术可以节省训练显存？\n")
    t = QueryTranslator(llm, PROMPTS)
    question = "Which PyTorch technique saves GPU memory during training?"
    assert t.translate(question) == "哪种 PyTorch 技术可以节省训练显存？"
    assert t.translate(question) == "哪种 PyTorch 技术可以节省训练显存？" and len(llm.calls) == 1
    call = llm.calls[0]
    assert "Simplified Chinese" in call.prompt and question in call.prompt and call.kwargs["temperature"] == 0.0


def test_a_chinese_question_is_restated_in_english():
    english = "Which regularisation methods should I review?"
    llm = FakeLLM(english)
    assert QueryTranslator(llm, PROMPTS).translate("要复习哪几种正则化手段？") == english
    assert "English" in llm.calls[0].prompt


def test_unusable_translations_fall_back_to_none():
    question = "Which PyTorch technique saves GPU memory during training?"
    wrong_language = FakeLLM("Sure! Here is the translation")
    assert QueryTranslator(wrong_language, PROMPTS).translate(question) == ""
    assert QueryTranslator(FakeLLM("显存" * 400), PROMPTS).translate(question) == ""  # runaway
    assert QueryTranslator(FakeLLM(LLMUnavailable("down")), PROMPTS).translate(question) == ""
