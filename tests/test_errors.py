"""One error base: every error class tutorbot defines says how to fix it and derives from TutorbotError."""

import importlib
import inspect

from tutorbot.errors import InputError, TutorbotError


def tutorbot_modules():
    from test_smoke import MODULES

    yield from map(importlib.import_module, MODULES)


def test_every_error_class_derives_from_the_one_base():
    errors = {cls for m in tutorbot_modules() for _, cls in inspect.getmembers(m, inspect.isclass)
              if issubclass(cls, BaseException) and cls.__module__.startswith("tutorbot.")}
    assert len(errors) >= 20
    assert [c.__qualname__ for c in errors if not issubclass(c, TutorbotError)] == []


def test_errors_keep_their_standard_library_base():
    from tutorbot.quiz.service import QuizError
    from tutorbot.store.learner_store import NotFound

    assert issubclass(QuizError, ValueError) and issubclass(NotFound, LookupError)
    assert issubclass(InputError, ValueError)
