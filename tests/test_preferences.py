"""Learner preferences: the interface language remembered per learner, and which language a page opens in."""

from __future__ import annotations

import pytest

from tutorbot.learner.preferences import Preferences
from tutorbot.store.base import NotFound
from tutorbot.store.learner_store import LearnerStore
from tutorbot.ui.i18n import pick_lang


@pytest.fixture
def store(tmp_path):
    with LearnerStore(f"sqlite:///{tmp_path / 'prefs.sqlite3'}", scrypt_n=2) as s:
        yield s


def test_a_learners_language_is_remembered_for_that_learner_only(store):
    prefs = Preferences(store)
    ann, bob = store.add_user("ann", "pw-123456").id, store.add_user("bob", "pw-123456").id
    assert prefs.ui_lang(ann) is None
    prefs.set_ui_lang(ann, "zh")
    assert prefs.ui_lang(ann) == "zh" and prefs.ui_lang(bob) is None
    prefs.set_ui_lang(ann, "en")
    assert prefs.ui_lang(ann) == "en"


def test_an_unknown_language_is_kept_as_english_and_other_settings_survive(store):
    prefs = Preferences(store)
    ann = store.add_user("ann", "pw-123456").id
    store.set_preference(ann, "theme", "dark")
    assert prefs.set_ui_lang(ann, "<script>") == "en"
    assert store.preferences(ann) == {"theme": "dark", "ui_lang": "en"}


def test_preferences_of_a_missing_learner_are_refused(store):
    with pytest.raises(NotFound):
        store.set_preference(999, "ui_lang", "zh")


@pytest.mark.parametrize("stored, saved, header, lang", [("zh", "en", "en-US", "zh"), (None, "zh", "en-US", "zh"),
                                                         (None, "", "zh-CN", "zh"), (None, "fr", "en", "en"),
                                                         ("xx", None, None, "en")])
def test_a_page_opens_in_the_learners_language_else_the_browsers_saved_one_else_its_header(stored, saved,
                                                                                            header, lang):
    assert pick_lang(stored, saved, header) == lang
