"""Constructor-argument helpers every transform shares (as torchvision's ``transforms/v2/_utils.py``).

Each turns a user's argument into the one normal form the class stores, or raises a ``ValueError`` /
``TypeError`` naming the argument, what was expected and what arrived. The kernel-side parsing they build on
(size, interpolation, fill) is :mod:`videoaug.functional._utils`, so a class and its kernel accept the same values.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

from ..functional._utils import check_fill as _kernel_fill
from ..functional._utils import interpolation_name, kernel_size_pair, size_pair

__all__ = ["Size", "Fill", "size_pair", "interpolation_name", "check_fill", "value_range", "factor_range",
           "kernel_size_pair", "int_pair", "non_negative", "finite", "probability", "positive", "positive_int",
           "positive_range", "point"]

Size = int | Sequence[int]
Fill = float | Sequence[float] | None


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def finite(value: Any, name: str) -> float:
    """A finite real number (not a bool), as float: ``TypeError`` for a non-number, ``ValueError`` for nan/inf."""
    if not _is_real(value):
        raise TypeError(f"{name}: expected a finite number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name}: expected a finite number, got {value!r}")
    return float(value)


def probability(value: Any, name: str = "p") -> float:
    """A number in ``[0, 1]`` (probabilities, fractions), as float; nan, inf and bools are refused."""
    if not _is_real(value) or not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"{name}: expected a number in [0, 1], got {value!r}")
    return float(value)


def positive(value: Any, name: str) -> float:
    """A finite number ``> 0``, as float."""
    if not _is_real(value) or not 0.0 < float(value) < math.inf:
        raise ValueError(f"{name}: expected a finite number > 0, got {value!r}")
    return float(value)


def positive_int(value: Any, name: str, minimum: int = 1) -> int:
    """An int ``>= minimum`` (not a bool)."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name}: expected an int >= {minimum}, got {value!r}")
    return int(value)


def positive_range(value: Any, name: str, upper: float | None = None,
                   number: bool = False) -> tuple[float, float]:
    """A finite ``(min, max)`` with ``0 < min <= max`` (``<= upper`` when given); with ``number`` one number
    ``v`` also stands for ``(v, v)``."""
    if number and _is_real(value):
        value = (value, value)
    bound = "" if upper is None else f" <= {upper}"
    ok = isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 2 \
        and all(_is_real(v) for v in value)
    if ok:
        lo, hi = float(value[0]), float(value[1])
        ok = 0 < lo <= hi < math.inf and (upper is None or hi <= upper)
    if not ok:
        one = "a number > 0 or " if number else ""
        raise ValueError(f"{name}: expected {one}a finite (min, max) with 0 < min <= max{bound}, got {value!r}")
    return lo, hi


def point(value: Any, name: str) -> list[float] | None:
    """``None`` or a finite ``(x, y)`` pair (a centre of rotation), as a list of floats."""
    if value is None:
        return None
    if not (isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 2
            and all(_is_real(v) and math.isfinite(v) for v in value)):
        raise ValueError(f"{name}: expected None or a finite (x, y) pair, got {value!r}")
    return [float(v) for v in value]


def check_fill(fill: Fill) -> Fill:
    """``None``, a number (kept as given) or a list of floats, all finite; the channel count is checked by the
    kernel."""
    values = _kernel_fill(fill)
    return fill if values is None or isinstance(fill, numbers.Number) else values


def value_range(value: float | Sequence[float], name: str, center: float = 0.0) -> tuple[float, float]:
    """torchvision's ``degrees`` rule: ``d`` -> ``(center - d, center + d)``; or an explicit ``(min, max)``."""
    if _is_real(value):
        if not 0 <= value < math.inf:
            raise ValueError(f"{name}: expected a finite number >= 0 or a (min, max) pair, got {value!r}")
        return center - float(value), center + float(value)
    if isinstance(value, Sequence) and len(value) == 2 and all(_is_real(v) for v in value):
        lo, hi = finite(value[0], name), finite(value[1], name)
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
    if _is_real(value):
        lo, hi = value_range(value, name, center)
        if clip_first:
            lo = max(lo, 0.0)
    elif isinstance(value, Sequence) and len(value) == 2 and all(_is_real(v) for v in value):
        lo, hi = finite(value[0], name), finite(value[1], name)
    else:
        raise TypeError(f"{name}: expected a number or a (min, max) pair, got {value!r}")
    low_bound = -bound if bound is not None else 0.0
    high_bound = bound if bound is not None else float("inf")
    if not low_bound <= lo <= hi <= high_bound or math.isinf(hi):
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
    if not _is_real(value) or not 0.0 <= float(value) < math.inf:
        raise ValueError(f"{name}: expected a finite number >= 0, got {value!r}")
    return float(value)
