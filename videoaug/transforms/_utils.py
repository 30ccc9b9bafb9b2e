"""Constructor-argument helpers every transform shares (as torchvision's ``transforms/v2/_utils.py``).

Each turns a user's argument into the one normal form the class stores, or raises a ``ValueError`` /
``TypeError`` naming the argument, what was expected and what arrived. The kernel-side parsing they build on
(size, interpolation, fill) is :mod:`videoaug.functional._utils`, so a class and its kernel accept the same values.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

from ..functional._utils import check_fill as _kernel_fill
from ..functional._utils import interpolation_name, kernel_size_pair, size_pair

__all__ = ["Size", "Fill", "size_pair", "interpolation_name", "check_fill", "value_range", "factor_range",
           "kernel_size_pair", "int_pair", "non_negative"]

Size = int | Sequence[int]
Fill = float | Sequence[float] | None


def check_fill(fill: Fill) -> Fill:
    """``None``, a number (kept as given) or a list of floats; the channel count is checked by the kernel."""
    values = _kernel_fill(fill)
    return fill if values is None or isinstance(fill, numbers.Number) else values


def value_range(value: float | Sequence[float], name: str, center: float = 0.0) -> tuple[float, float]:
    """torchvision's ``degrees`` rule: ``d`` -> ``(center - d, center + d)``; or an explicit ``(min, max)``."""
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"{name}: expected a non-negative number or a (min, max) pair, got {value!r}")
        return center - float(value), center + float(value)
    if isinstance(value, Sequence) and len(value) == 2 and all(isinstance(v, numbers.Number) for v in value):
        lo, hi = float(value[0]), float(value[1])
        if lo > hi:
            raise ValueError(f"{name}: expected min <= max, got {value!r}")
        return lo, hi
    raise TypeError(f"{name}: expected a number or a (min, max) pair, got {value!r}")


def factor_range(
    value: float | Sequence[float] | None,
    name: str,
    center: float,
    bound: float | None,
    clip_first: bool = True,
) -> tuple[float, float] | None:
    """ColorJitter's rule: :func:`value_range` (a number's low end clipped at 0 for factors), within
    ``[-bound, bound]`` (``[0, inf)`` when ``bound`` is None); ``None`` or an empty range at ``center`` disables
    the op."""
    if value is None:
        return None
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        lo, hi = value_range(value, name, center)
        if clip_first:
            lo = max(lo, 0.0)
    elif isinstance(value, Sequence) and len(value) == 2 and all(isinstance(v, numbers.Number) for v in value):
        lo, hi = float(value[0]), float(value[1])
    else:
        raise TypeError(f"{name}: expected a number or a (min, max) pair, got {value!r}")
    low_bound = -bound if bound is not None else 0.0
    high_bound = bound if bound is not None else float("inf")
    if not low_bound <= lo <= hi <= high_bound:
        raise ValueError(f"{name}: expected {low_bound} <= min <= max <= {high_bound}, got ({lo}, {hi})")
    if lo == hi == center:
        return None
    return lo, hi


def int_pair(value: int | Sequence[int], name: str, what: str = "(rows, columns)") -> tuple[int, int]:
    """A pair of ints >= 1 from one int or a pair."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (int(value), int(value))
    ok = (isinstance(value, Sequence) and len(value) == 2
          and all(isinstance(g, numbers.Integral) and not isinstance(g, bool) for g in value))
    if not (ok and min(value) >= 1):
        raise ValueError(f"{name}: expected a positive int or {what}, got {value!r}")
    return int(value[0]), int(value[1])


def non_negative(value: Any, name: str) -> float:
    """A finite real number >= 0, as float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0.0 <= float(value) < float("inf"):
        raise ValueError(f"{name}: expected a finite number >= 0, got {value!r}")
    return float(value)
