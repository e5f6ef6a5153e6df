"""Settings: env overrides, nested groups, and clear rejection of invalid values."""

import pytest

from tutorbot.settings import Settings, SettingsError, load_settings


def test_defaults_are_local_and_valid(tmp_path):
    s = Settings(data_dir=tmp_path, _env_file=None)
    assert s.llm.base_url.startswith("http://127.0.0.1")
    assert s.ui.host == "127.0.0.1"
    assert s.db_url == f"sqlite:///{tmp_path / 'learners.sqlite3'}"


def test_env_overrides_top_level_and_nested(monkeypatch, tmp_path):
    monkeypatch.setenv("TUTORBOT_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("TUTORBOT_LLM_BASE_URL", "http://gpu-box:8000/v1/")
    monkeypatch.setenv("TUTORBOT_LLM_MODEL", "Qwen/Qwen2.5-7B-Instruct")
    monkeypatch.setenv("TUTORBOT_LLM_API_KEY", "secret")
    monkeypatch.setenv("TUTORBOT_INDEX_CHUNK_TOKENS", "128")
    s = load_settings()
    assert s.data_dir == tmp_path / "d"
    assert s.llm.base_url == "http://gpu-box:8000/v1"  # trailing slash normalised
    assert (s.llm.model, s.llm.api_key, s.index.chunk_tokens) == ("Qwen/Qwen2.5-7B-Instruct", "secret", 128)


def test_several_llm_urls(monkeypatch):
    monkeypatch.setenv("TUTORBOT_LLM_BASE_URL", "http://a:8000/v1, http://b:8000/v1")
    assert load_settings().llm.base_urls == ["http://a:8000/v1", "http://b:8000/v1"]


@pytest.mark.parametrize("var,value,needle", [
    ("TUTORBOT_LLM_MAX_TOKENS", "lots", "TUTORBOT_LLM_MAX_TOKENS"),
    ("TUTORBOT_LLM_BASE_URL", "ftp://x", "http://"),
    ("TUTORBOT_UI_PORT", "70000", "TUTORBOT_UI_PORT"),
    ("TUTORBOT_RETRIEVAL_MODE", "magic", "TUTORBOT_RETRIEVAL_MODE"),
    ("TUTORBOT_LLM_CONNECT_TIMEOUT_S", "-1", "greater than 0"),
])
def test_invalid_values_are_rejected_with_the_variable_named(monkeypatch, var, value, needle):
    monkeypatch.setenv(var, value)
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert needle in str(err.value)


def test_data_dir_that_is_a_file_is_rejected(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(SettingsError, match="not a directory"):
        load_settings(data_dir=f)


def test_every_field_is_described():
    def walk(model):
        for name, field in model.model_fields.items():
            assert field.description, f"{model.__name__}.{name} has no description"
            ann = field.annotation
            if isinstance(ann, type) and hasattr(ann, "model_fields"):
                walk(ann)
    walk(Settings)


def test_readme_configuration_table_is_current():
    import subprocess
    import sys

    from tutorbot.settings import PROJECT_ROOT

    table = subprocess.run([sys.executable, str(PROJECT_ROOT / "scripts" / "settings_table.py")],
                           capture_output=True, text=True, check=True).stdout
    assert table in (PROJECT_ROOT / "README.md").read_text(encoding="utf-8"), \
        "README settings table is stale: regenerate with scripts/settings_table.py"


@pytest.mark.parametrize("value, ok", [("", ""), ("https://Tutor.example.org/", "https://tutor.example.org"),
                                       ("http://10.0.0.5:7860", "http://10.0.0.5:7860"), ("tutor.example.org", None),
                                       ("https://tutor.example.org/app", None), ("javascript:alert(1)", None)])
def test_the_public_url_is_an_origin_or_is_refused_naming_the_variable(value, ok, monkeypatch):
    monkeypatch.setenv("TUTORBOT_UI_PUBLIC_URL", value)
    if ok is None:
        with pytest.raises(SettingsError, match="TUTORBOT_UI_PUBLIC_URL"):
            load_settings(_env_file=None)
    else:
        assert load_settings(_env_file=None).ui.public_url == ok
