"""Old import paths of modules that moved: ``import videoaug.demo`` gives :mod:`videoaug.cli.demo` itself.

A finder first on ``sys.meta_path`` answers only for the names in :data:`MOVED` (first, so that a stale copy of
an old file, e.g. through an editable install, is never found); its loader hands out the new module, so the old
and the new name are one module object (patching one patches the other), and ``python -m OLD.NAME`` runs the new
module's code. Modules that moved therefore use absolute imports.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

# old dotted name -> new dotted name
MOVED = {
    "videoaug.bench": "videoaug.cli.bench",
    "videoaug.demo": "videoaug.cli.demo",
    "videoaug.gan.train_cli": "videoaug.cli.fit",
    "videoaug.gan.sample": "videoaug.cli.sample",
    "videoaug.prepare": "videoaug.cli.prepare",
    "videoaug._read_pyav": "videoaug.io._pyav",
}


class _Alias(importlib.abc.Loader):
    def __init__(self, new: str):
        self.new = new

    def create_module(self, spec):
        return importlib.import_module(self.new)

    def exec_module(self, module) -> None:
        pass  # the new module ran when it was imported

    def get_code(self, fullname: str):  # for ``python -m OLD.NAME`` (runpy)
        return importlib.util.find_spec(self.new).loader.get_code(self.new)


class _MovedFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        new = MOVED.get(fullname)
        return None if new is None else importlib.util.spec_from_loader(fullname, _Alias(new))


def install() -> None:
    if not any(isinstance(f, _MovedFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _MovedFinder())
