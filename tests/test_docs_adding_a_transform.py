"""docs/adding-a-transform.md cannot rot: its Python blocks run, in order, as one module, and every ``test_*``
function they define runs here through the shared checkers of tests/checks.py."""

import re
import sys
import types
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "adding-a-transform.md"
MODULE = "adding_a_transform_example"


def _blocks() -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", DOC.read_text(), flags=re.S | re.M)


@pytest.fixture(scope="module")
def example():
    module = types.ModuleType(MODULE)  # registered, so that check_transform can pickle the example's class
    sys.modules[MODULE] = module
    try:
        exec(compile("\n\n".join(_blocks()), str(DOC), "exec"), module.__dict__)
        yield module
    finally:
        del sys.modules[MODULE]


def test_the_page_has_its_kernel_class_and_tests():
    assert len(_blocks()) == 3, "expected three Python blocks: the kernel, the class, the tests"


def test_the_example_is_a_random_video_transform(example):
    from videoaug.transforms import RandomVideoTransform

    assert issubclass(example.RandomGamma, RandomVideoTransform) and callable(example.adjust_gamma)


def _doc_tests():
    names = [m for block in _blocks() for m in re.findall(r"^def (test_\w+)\(\):", block, flags=re.M)]
    assert len(names) >= 3
    return names


@pytest.mark.parametrize("name", _doc_tests())
def test_doc_test(example, name):
    getattr(example, name)()
