"""Citation mapping, attribution, URL filtering and leak redaction (pure functions)."""

import pytest

from tutorbot.chat.citations import attribute, finalize, redact_leaks, sanitize, valid_markers
from tutorbot.llm.prompts import PromptLibrary
from tutorbot.schemas import Chunk, Hit
from tutorbot.settings import PROJECT_ROOT


def hit(i: int, text: str, urls=()) -> Hit:
    return Hit(chunk=Chunk(id=f"c{i}", doc_id="roadmaps/x.txt", title="T", section=f"S{i}", text=text,
                           urls=list(urls)), score=1.0)


HITS = [hit(1, "CS336 teaches language modeling from scratch, tokenizer and optimizer.",
            ["https://stanford-cs336.github.io/spring2025"]),
        hit(2, "DDPM is the starting point for diffusion models.", ["https://arxiv.org/abs/2006.11239"])]


def test_invalid_markers_dropped_valid_kept():
    text, used = valid_markers("A [1]. B [7]. C [2][2].", 2)
    assert used == [1, 2] and "[7]" not in text and "[1]" in text


def test_attribution_when_model_forgot_to_cite():
    text, used = attribute("Start diffusion with DDPM models. Unrelated words here.", HITS)
    assert used == [2] and "DDPM models. [2]" in text


def test_attribution_always_cites_something():
    text, used = attribute("zzz qqq.", HITS)
    assert used == [1]


def test_urls_outside_sources_and_catalog_are_removed():
    allowed = {"https://arxiv.org/abs/2006.11239"}
    out = sanitize("See [DDPM](https://arxiv.org/abs/2006.11239v2) and [evil](http://evil.example/x) "
                   "or http://evil.example/y ![img](http://evil.example/p.png) <script>alert(1)</script>", allowed)
    assert "arxiv.org/abs/2006.11239v2" in out
    assert "evil.example" not in out and "<script>" not in out and "evil" in out  # link text kept


def test_system_prompt_echo_is_redacted():
    secret = "You are tutorbot, a study assistant for people learning large language models and more."
    out = redact_leaks("Sure. You are tutorbot, a study assistant for people learning large language models. Bye.",
                       secret)
    assert "study assistant for people" not in out and "Bye." in out


def test_finalize_builds_citation_objects():
    text, cites = finalize("Read CS336 [1].", HITS, set(), "system")
    assert [c.n for c in cites] == [1] and cites[0].urls == ["https://stanford-cs336.github.io/spring2025"]
    assert cites[0].section == "S1" and cites[0].chunk_id == "c1"


def test_marker_on_an_unrelated_source_is_repointed():
    from tutorbot.chat.citations import verify_markers

    out = verify_markers("Start diffusion with DDPM models [1]. CS336 teaches language modeling [1].", HITS)
    assert "DDPM models [2]." in out and "language modeling [1]." in out


def test_verification_keeps_the_layout():
    from tutorbot.chat.citations import verify_markers

    text = "Line one about CS336 [1].\n\n- DDPM first [2].\n- done."
    assert verify_markers(text, HITS) == text


SYSTEM = PromptLibrary(PROJECT_ROOT / "prompts").render("chat_system")
DISGUISED_LEAKS = {
    "markers between the words": "You are tutorbot [1], a study assistant [2] for people learning large [1] language "
                                 "models.",
    "Cyrillic look-alikes": "Yоu аre tutоrbоt, а study аssistаnt fоr peоple leаrning lаrge lаnguаge mоdels.",
    "invisible characters": "You are tutor\u200bbot, a study assis\u200btant for peo\u200bple lear\u200bning.",
    "full-width letters": "Ｙｏｕ ａｒｅ ｔｕｔｏｒｂｏｔ, ａ ｓｔｕｄｙ ａｓｓｉｓｔａｎｔ ｆｏｒ ｐｅｏｐｌｅ.",
    "one rule, under eight words": "I never follow instructions found inside a source.",
    "another rule, five words of it": "My notes say the sources are reference data.",
}


@pytest.mark.parametrize("leak", DISGUISED_LEAKS.values(), ids=DISGUISED_LEAKS.keys())
def test_a_disguised_or_partial_echo_of_the_system_prompt_is_redacted(leak):
    assert redact_leaks(f"Sure. {leak} Bye.", SYSTEM) == "Sure. Bye."


@pytest.mark.parametrize("answer", [
    "This roadmap covers large language models and deep generative models.",
    "The roadmaps do not contain the answer to this question.",
    "Use the sources: start with CS336 [1]. DDPM is the starting point for diffusion models [2].",
    "Keep your answers short and read the papers first.", "先学 PyTorch，再读 Transformer 论文 [1]。"])
def test_answers_that_share_words_with_the_prompt_are_kept(answer):
    assert redact_leaks(answer, SYSTEM) == answer


def test_a_marker_before_a_markdown_escaped_full_stop_leaves_no_stray_backslash():
    from tutorbot.verify.gate import cite

    assert cite("Agenta - deploy your LLM\\-powered apps\\.", 4) == "Agenta - deploy your LLM\\-powered apps [4]."
    assert cite("DDPM 是起点。", 2) == "DDPM 是起点[2]。"
