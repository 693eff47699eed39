"""The examples in geo's docstrings are run: they document how to call it, so they must stay true."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from pathlib import Path

import pytest

import geo

ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted(m.name for m in pkgutil.iter_modules(geo.__path__, "geo."))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, monkeypatch):
    monkeypatch.chdir(ROOT)  # examples name files from the repository's root
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed (see above)"


def test_the_examples_are_found():
    counts = [doctest.testmod(importlib.import_module(n), verbose=False, report=False).attempted for n in MODULES]
    assert sum(c > 0 for c in counts) >= 20
