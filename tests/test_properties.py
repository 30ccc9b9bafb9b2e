"""Property-based tests (hypothesis) over every public transform and mix (issue 12, "and keep it so").

For random shapes (clip or batch, any T, C in {1, 3}, frames down to 1x1), dtypes (uint8, float32), strides
(:func:`checks.strided_views`), plain tensors and ``tv_tensors.Video``, and random constructor arguments, each
call either

- is refused with ``ValueError`` / ``TypeError`` and a message (never another exception), or
- returns the input's type and dtype (the target dtype for ``ToDtype``), its shape for shape-preserving ops,
  finite values, leaves the input as it was (values and ``_version``), gives the same output under the same
  seed, and the same output as on ``.contiguous()`` with the same parameters;

and no call runs longer than :data:`TIME_LIMIT` seconds (a ``SIGALRM`` per example: a sampler that spins for
ever, such as the Beta sampler with ``alpha=inf`` did, fails the test instead of hanging the suite).

The examples are derandomised (the same every run) and few, so the file runs in well under a minute on one busy
core; ``VIDEOAUG_PROPERTY_EXAMPLES=200`` explores further.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import torch
from cases import MIXES, TRANSFORMS
from checks import make_video, strided_views
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torchvision import tv_tensors

import videoaug as va

TIME_LIMIT = 20.0  # seconds per example, generous for a loaded machine; a hang is for ever
settings.register_profile(
    "videoaug-properties",
    max_examples=int(os.environ.get("VIDEOAUG_PROPERTY_EXAMPLES", "5")),
    deadline=None,  # timing is TIME_LIMIT's job: a busy machine must not fail a test
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
PROFILE = settings.get_profile("videoaug-properties")


class Hang(Exception):
    pass


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`Hang` in the main thread after ``seconds``; restores pytest-timeout's alarm after."""

    def handler(signum: int, frame: Any) -> None:
        raise Hang(f"no result after {seconds} s: the call hangs")

    old_handler = signal.signal(signal.SIGALRM, handler)
    old_delay, _ = signal.setitimer(signal.ITIMER_REAL, seconds)
    start = time.monotonic()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old_handler)
        if old_delay:
            signal.setitimer(signal.ITIMER_REAL, max(old_delay - (time.monotonic() - start), 1e-3))


# -- constructor arguments ------------------------------------------------------------------------------
def _pair(lo: float, hi: float) -> st.SearchStrategy[tuple[float, float]]:
    return st.tuples(st.floats(lo, hi), st.floats(lo, hi)).map(lambda p: (min(p), max(p)))


_prob = st.floats(0.0, 1.0)
_fill = st.one_of(st.none(), st.floats(0.0, 1.0), st.lists(st.floats(0.0, 1.0), min_size=3, max_size=3))
_dyn = st.booleans()

ARGUMENTS: dict[str, Callable[[st.DataObject], Any]] = {
    "RandomResizedCrop": lambda d: va.RandomResizedCrop(
        d.draw(st.integers(1, 8)), scale=d.draw(_pair(0.01, 1.0)), ratio=d.draw(_pair(0.3, 3.0)),
        p=d.draw(_prob), dynamic=d.draw(_dyn)),
    "RandomCrop": lambda d: va.RandomCrop(
        d.draw(st.integers(1, 6)), padding=d.draw(st.integers(0, 3)), pad_if_needed=d.draw(st.booleans()),
        padding_mode=d.draw(st.sampled_from(["constant", "edge", "reflect", "symmetric"])), p=d.draw(_prob),
        dynamic=d.draw(_dyn)),
    "CenterCrop": lambda d: va.CenterCrop((d.draw(st.integers(1, 5)), d.draw(st.integers(1, 5)))),
    "Resize": lambda d: va.Resize(d.draw(st.one_of(st.integers(1, 8), st.tuples(st.integers(1, 8),
                                                                                  st.integers(1, 8))))),
    "RandomShortSideScale": lambda d: va.RandomShortSideScale(*sorted(d.draw(st.tuples(st.integers(1, 8),
                                                                                       st.integers(1, 8)))),
                                                              p=d.draw(_prob)),
    "RandomHorizontalFlip": lambda d: va.RandomHorizontalFlip(p=d.draw(_prob)),
    "RandomRotation": lambda d: va.RandomRotation(
        d.draw(st.floats(0, 360)), interpolation=d.draw(st.sampled_from(["nearest", "bilinear"])),
        fill=d.draw(_fill), p=d.draw(_prob), dynamic=d.draw(_dyn)),
    "RandomAffine": lambda d: va.RandomAffine(
        d.draw(st.floats(0, 180)), translate=d.draw(st.none() | _pair(0.0, 1.0)),
        scale=d.draw(st.none() | _pair(0.1, 3.0)), shear=d.draw(st.none() | st.floats(0, 60)),
        fill=d.draw(_fill), p=d.draw(_prob), dynamic=d.draw(_dyn)),
    "RandomPerspective": lambda d: va.RandomPerspective(d.draw(_prob), p=d.draw(_prob), fill=d.draw(_fill),
                                                        dynamic=d.draw(_dyn)),
    "ColorJitter": lambda d: va.ColorJitter(
        d.draw(st.floats(0, 2)), d.draw(st.floats(0, 2)), d.draw(st.floats(0, 2)), d.draw(st.floats(0, 0.5)),
        p=d.draw(_prob), dynamic=d.draw(_dyn)),
    "RandomGrayscale": lambda d: va.RandomGrayscale(p=d.draw(_prob)),
    "Grayscale": lambda d: va.Grayscale(d.draw(st.sampled_from([1, 3]))),
    "RandomTubeErasing": lambda d: va.RandomTubeErasing(
        scale=d.draw(_pair(0.01, 1.0)), ratio=d.draw(_pair(0.1, 10.0)),
        value=d.draw(st.sampled_from(["random", 0.0, 1.0, (0.1, 0.5, 0.9)])), drift=d.draw(_prob),
        p=d.draw(_prob)),
    "GaussianBlur": lambda d: va.GaussianBlur(d.draw(st.sampled_from([1, 3, 5])), sigma=d.draw(_pair(0.01, 5.0)),
                                              p=d.draw(_prob), dynamic=d.draw(_dyn)),
    "Normalize": lambda d: va.Normalize(d.draw(st.floats(-1, 1)), d.draw(st.floats(0.01, 2))),
    "ToDtype": lambda d: va.ToDtype(d.draw(st.sampled_from([torch.uint8, torch.float32, torch.float64])),
                                    scale=d.draw(st.booleans())),
    "ToCTHW": lambda d: va.ToCTHW(),
    "TemporalRandomCrop": lambda d: va.TemporalRandomCrop(d.draw(st.integers(1, 5)), p=d.draw(_prob)),
    "UniformTemporalSubsample": lambda d: va.UniformTemporalSubsample(d.draw(st.integers(1, 6))),
    "RandomSpeed": lambda d: va.RandomSpeed(
        d.draw(_pair(0.1, 4.0)), num_frames=d.draw(st.none() | st.integers(1, 6)),
        overflow=d.draw(st.sampled_from(["clamp", "loop"])), p=d.draw(_prob)),
    "TemporalReverse": lambda d: va.TemporalReverse(p=d.draw(_prob)),
    "RandomFrameDrop": lambda d: va.RandomFrameDrop(d.draw(_prob), d.draw(_prob), p=d.draw(_prob)),
    "VideoRandAugment": lambda d: va.VideoRandAugment(
        num_ops=d.draw(st.integers(0, 3)), magnitude=d.draw(st.integers(0, 30)),
        interpolation=d.draw(st.sampled_from(["nearest", "bilinear"])), fill=d.draw(_fill),
        stats=d.draw(st.sampled_from(["clip", "frame"])), p=d.draw(_prob), dynamic=d.draw(_dyn)),
    "VideoTrivialAugment": lambda d: va.VideoTrivialAugment(stats=d.draw(st.sampled_from(["clip", "frame"])),
                                                            p=d.draw(_prob), dynamic=d.draw(_dyn)),
    "RandomSmoothWarp": lambda d: va.RandomSmoothWarp(
        d.draw(st.floats(0, 0.5)), d.draw(st.floats(0, 0.3)), d.draw(st.floats(0, 0.3)),
        grid_size=d.draw(st.integers(1, 4)), drift=d.draw(_prob),
        padding_mode=d.draw(st.sampled_from(["zeros", "border", "reflection"])), p=d.draw(_prob)),
    "FusedTransforms": lambda d: va.FusedTransforms(d.draw(st.lists(st.sampled_from([
        "crop", "flip", "jitter", "float", "normalize"]), min_size=1, max_size=5).map(_members))),
}


def _members(names: list[str]) -> list[Any]:
    make = {"crop": lambda: va.RandomResizedCrop(5, scale=(0.3, 1.0)), "flip": va.RandomHorizontalFlip,
            "jitter": lambda: va.ColorJitter(0.4, 0.4, 0.4, 0.1), "float": lambda: va.ToDtype(torch.float32, True),
            "normalize": lambda: va.Normalize(0.5, 0.25)}
    return [make[n]() for n in names]


def test_every_public_transform_has_properties():
    public = {n for n in va.transforms.__all__ if n[0].isupper()} - {"VideoTransform", "RandomVideoTransform"}
    assert public == set(ARGUMENTS) == set(TRANSFORMS)


# -- inputs ---------------------------------------------------------------------------------------------
LAYOUTS = ("contiguous", "channels_last", "from_cthw", "hw_transposed", "sliced", "expanded")


def _video(d: st.DataObject) -> tuple[torch.Tensor, str]:
    batched = d.draw(st.booleans(), label="batched")
    shape = dict(B=d.draw(st.integers(1, 3)) if batched else None, T=d.draw(st.integers(1, 5)),
                 C=d.draw(st.sampled_from([1, 3])), H=d.draw(st.integers(1, 9)), W=d.draw(st.integers(1, 9)))
    dtype = d.draw(st.sampled_from([torch.uint8, torch.float32]), label="dtype")
    video = make_video(**shape, dtype=dtype, seed=d.draw(st.integers(0, 1000), label="content"))
    layout = d.draw(st.sampled_from(LAYOUTS), label="layout")
    return (video if layout == "contiguous" else strided_views(video)[layout]), layout


def _check_refusal(exc: BaseException) -> None:
    assert isinstance(exc, (ValueError, TypeError)), f"{type(exc).__name__} is not a clear refusal: {exc}"
    assert str(exc), "a refusal without a message"


def _expected_dtype(transform: Any, dtype: torch.dtype) -> torch.dtype:
    if isinstance(transform, va.ToDtype):
        return transform.dtype
    if isinstance(transform, va.FusedTransforms):
        for t in transform.transforms:
            dtype = _expected_dtype(t, dtype)
    return dtype


def _shape_preserving(transform: Any) -> bool:
    if isinstance(transform, va.FusedTransforms):
        return not any(isinstance(t, va.RandomResizedCrop) for t in transform.transforms)
    if isinstance(transform, va.RandomSpeed):
        return transform.num_frames is None
    if isinstance(transform, va.Grayscale):
        return False
    return TRANSFORMS[type(transform).__name__].shape_preserving


@pytest.mark.parametrize("name", sorted(ARGUMENTS))
@PROFILE
@given(data=st.data())
def test_transform_properties(name, data):
    try:
        transform = ARGUMENTS[name](data)
    except (ValueError, TypeError) as exc:  # an argument combination the class refuses (e.g. drift + dynamic)
        _check_refusal(exc)
        return
    x, layout = _video(data)
    wrap = data.draw(st.booleans(), label="tv_tensors.Video")
    inp = tv_tensors.Video(x) if wrap else x
    before, version = x.clone(), x._version
    seed = data.draw(st.integers(0, 2**31 - 1), label="seed")
    with time_limit(TIME_LIMIT):
        torch.manual_seed(seed)
        try:
            out = transform(inp)
        except (ValueError, TypeError) as exc:
            _check_refusal(exc)
            assert torch.equal(x, before)
            return
        except Exception as exc:  # noqa: BLE001 - anything else is the failure this test looks for
            pytest.fail(f"{name} on {tuple(x.shape)} {x.dtype} ({layout}): {type(exc).__name__}: {exc}")
        params = transform.last_params
        torch.manual_seed(seed)
        again = transform(inp)
        on_contiguous = transform.replay(x.contiguous(), params=params)
    assert isinstance(out, tv_tensors.Video) == wrap, "the output's type is not the input's"
    assert out.dtype == _expected_dtype(transform, x.dtype)
    assert out.ndim == x.ndim
    if _shape_preserving(transform):
        assert out.shape == x.shape
    if out.is_floating_point():
        assert torch.isfinite(out).all()
    assert x._version == version and torch.equal(x, before), "the input was modified in place"
    assert torch.equal(out.as_subclass(torch.Tensor), again.as_subclass(torch.Tensor)), "same seed, other output"
    torch.testing.assert_close(out.as_subclass(torch.Tensor), on_contiguous, msg=lambda m: f"{layout}: {m}")


@pytest.mark.parametrize("name", sorted(MIXES))
@PROFILE
@given(data=st.data())
def test_mix_properties(name, data):
    k = data.draw(st.integers(1, 5), label="num_classes")
    mix = MIXES[name](k)
    x, layout = _video(data)
    soft_labels = data.draw(st.booleans(), label="soft labels")
    b = x.shape[0] if x.ndim == 5 else 1
    labels = torch.rand(b, k).softmax(1) if soft_labels else torch.randint(0, k, (b,))
    wrap = data.draw(st.booleans(), label="tv_tensors.Video")
    inp = tv_tensors.Video(x) if wrap else x
    before, version, labels_before = x.clone(), x._version, labels.clone()
    seed = data.draw(st.integers(0, 2**31 - 1), label="seed")
    with time_limit(TIME_LIMIT):
        torch.manual_seed(seed)
        try:
            out, soft = mix(inp, labels)
        except (ValueError, TypeError) as exc:  # clips (not batches), uint8 into MixUp
            _check_refusal(exc)
            return
        except Exception as exc:  # noqa: BLE001
            pytest.fail(f"{name} on {tuple(x.shape)} {x.dtype} ({layout}): {type(exc).__name__}: {exc}")
        torch.manual_seed(seed)
        again, soft_again = mix(inp, labels)
    assert isinstance(out, tv_tensors.Video) == wrap and out.dtype == x.dtype and out.shape == x.shape
    assert soft.shape == (b, k) and soft.is_floating_point()
    torch.testing.assert_close(soft.sum(1), torch.ones(b))
    assert x._version == version and torch.equal(x, before) and torch.equal(labels, labels_before)
    assert torch.equal(out, again) and torch.equal(soft, soft_again)
    if b == 1:  # a batch of one passes through
        assert torch.equal(out.as_subclass(torch.Tensor), x)


@PROFILE
@given(data=st.data())
def test_rcgan_properties(data):
    from videoaug.gan.augment import RCGANAugment

    aug = RCGANAugment("moving_mnist", p=data.draw(_prob), strength=data.draw(st.floats(0, 4)))
    x, layout = _video(data)
    before = x.clone()
    b = x.shape[0] if x.ndim == 5 else 1
    labels = data.draw(st.sampled_from(["none", "fit", "too_many", "float"]), label="labels")
    given_labels = {"none": None, "fit": torch.randint(-1, 10, (b,)), "too_many": torch.zeros(b + 1).long(),
                    "float": torch.rand(b)}[labels]
    if x.ndim == 4 and given_labels is not None and labels == "fit":
        given_labels = int(given_labels[0])
    args = (x,) if given_labels is None else (x, given_labels)
    seed = data.draw(st.integers(0, 2**31 - 1), label="seed")
    with time_limit(4 * TIME_LIMIT):
        torch.manual_seed(seed)
        try:
            out = aug(*args)
        except (ValueError, TypeError) as exc:
            _check_refusal(exc)
            assert labels in ("too_many", "float"), f"refused labels that fit: {exc}"
            return
        torch.manual_seed(seed)
        again = aug(*args)
    assert labels in ("none", "fit"), "labels that do not fit the batch were accepted"
    video = out if given_labels is None else out[0]
    assert video.dtype == x.dtype and video.shape == x.shape and torch.equal(x, before)
    assert torch.equal(video, again if given_labels is None else again[0])
