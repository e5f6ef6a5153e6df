"""Loop detection on what the bundled model really wrote, and on text that only looks repetitive."""

from tutorbot.verify.loops import LoopGuard, first_repeat, is_degenerate

ONE_SENTENCE_FORTY_TIMES = "It's a course that combines deep learning with deep learning. " * 40
PARAGRAPH_LOOP = "说明的是，在论文中，在关于扩散模型的论文中，扩散模型的训练方法被详细讨论。\n" * 6
BULLET_LOOP = "- **KV 缓存**：保存注意力的键和值\n" + "- **稀疏**：KV 缓存**\n" * 10


def test_the_recorded_loops_are_degenerate():
    for text in (ONE_SENTENCE_FORTY_TIMES, PARAGRAPH_LOOP, BULLET_LOOP):
        assert is_degenerate(text)


def test_a_normal_answer_is_not():
    text = ("Stanford CS336 builds a language model from scratch [1]. Start with its first lectures, "
            "then implement the tokenizer yourself [2].\n- Lectures: weekly\n- Assignments: five")
    assert not is_degenerate(text)
    assert not is_degenerate("扩散模型先学 DDPM，再学 DDIM 和 score matching。")


def test_citation_markers_and_markdown_do_not_hide_a_repetition():
    assert is_degenerate("the model learns to remove noise step by step [1] and the model learns to "
                         "remove noise step by step [2]")


def test_the_guard_keeps_the_text_before_the_loop_began():
    guard = LoopGuard()
    first = "Self-attention mixes the tokens of a sequence. "
    for delta in [first, "It weights each pair of tokens by relevance. ", first, first]:
        guard.feed(delta)
    assert guard.loop_at is not None
    assert guard.kept.startswith(first.strip()) and guard.kept.count("Self-attention") == 1


def test_short_repeated_layout_lines_are_not_loops():
    assert first_repeat("- **Link**:\nfoo bar baz qux\n- **Link**:\nother words entirely here") is None
