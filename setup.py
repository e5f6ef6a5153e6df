"""Build stage: the wheel carries the top-level corpus/ and prompts/ as tutorbot/_bundled/.

The repository keeps one copy of each at its top level, where a source checkout reads them; this
hook copies them into the package at build time (tutorbot.paths.bundled_dir reads them there).
Everything else about the build is in pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
BUNDLED = ("corpus", "prompts")


class BuildPyWithData(build_py):
    """build_py, then the data folders copied into the built package."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the top-level folders in place
        for name in BUNDLED:
            target = Path(self.build_lib) / "tutorbot" / "_bundled" / name
            shutil.rmtree(target, ignore_errors=True)  # a file removed since the last build must not linger
            self.copy_tree(str(ROOT / name), str(target))


setup(cmdclass={"build_py": BuildPyWithData})
