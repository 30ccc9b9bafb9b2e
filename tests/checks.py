"""Shared checkers run over every transform and kernel (torchvision's test_transforms_v2 and kornia's CommonTests
are the model). A transform test calls :func:`check_transform`; a kernel test calls :func:`check_kernel`."""

from __future__ import annotations

import pickle
from collections.abc import Callable

import torch
from torchvision import tv_tensors


def make_video(B=None, T=4, C=3, H=16, W=20, dtype=torch.uint8, device="cpu", static=False, seed=1234):
    shape = (T, C, H, W) if B is None else (B, T, C, H, W)
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(shape, generator=g)
    ramp = torch.linspace(0, 1, W).view(1, 1, W) * torch.linspace(0.2, 1, H).view(1, H, 1)
    x = 0.5 * x + 0.5 * ramp
    if static:
        x = x.narrow(-4, 0, 1).expand(shape).contiguous()
    x = (x * 255).round().to(torch.uint8) if dtype == torch.uint8 else x.to(dtype)
    return x.to(device)


def check_kernel(kernel: Callable, video: torch.Tensor, params: dict, *, atol: float = 1e-5) -> torch.Tensor:
    """``kernel(video, **params)`` on a batch: no in-place edit, dtype and device kept, and the batch gives the same
    as its clips one by one with their rows of the parameters. Returns the batched output."""
    version = video._version
    before = video.clone()
    out = kernel(video, **params)
    assert video._version == version and torch.equal(video, before), "kernel modified its input in place"
    assert out.dtype == video.dtype, f"dtype changed: {video.dtype} -> {out.dtype}"
    assert out.device == video.device
    for i in range(video.shape[0]):
        row = {k: (v[i : i + 1] if isinstance(v, torch.Tensor) and v.ndim > 0 and v.shape[0] == video.shape[0]
                   else v) for k, v in params.items()}
        one = kernel(video[i : i + 1], **row)
        torch.testing.assert_close(one.float(), out[i : i + 1].float(), atol=atol if out.is_floating_point() else 1,
                                   rtol=0)
    if torch.cuda.is_available() and video.device.type == "cpu":
        cuda_params = {k: v.cuda() if isinstance(v, torch.Tensor) else v for k, v in params.items()}
        out_cuda = kernel(video.cuda(), **cuda_params).cpu()
        torch.testing.assert_close(out_cuda.float(), out.float(), atol=1e-3 if out.is_floating_point() else 1,
                                   rtol=0)
    return out


def _same_frames(x: torch.Tensor, time_dim: int = -4) -> bool:
    """All frames of every clip identical (x is (T,C,H,W) or (B,T,C,H,W); time on ``time_dim``)."""
    first = x.narrow(time_dim, 0, 1)
    return torch.allclose(x.float(), first.expand_as(x).float(), atol=1e-5)


def check_transform(transform, *, B: int = 4, T: int = 4, C: int = 3, H: int = 16, W: int = 20,
                    shape_preserving: bool = True, random: bool = True, temporal: bool = False,
                    device: str = "cpu", dtypes: tuple = (torch.uint8, torch.float32),
                    out_dtype: torch.dtype | None = None, time_dim: int = -4,
                    frame_consistent: bool = True) -> None:
    """The contract every videoaug transform keeps. ``temporal``: the op moves frames (frame consistency is then
    checked on a static clip only through the output being static too). ``dtypes``: input dtypes it accepts;
    ``out_dtype``: the dtype it returns when that is not the input's (ToDtype); ``time_dim``: where time is in
    the output (ToCTHW). ``frame_consistent=False``: the op varies over frames by design (RCGANAugment's
    per-frame noise), so the static-clip check is skipped."""
    for dtype in dtypes:
        for batched in (False, True):
            video = make_video(B=B if batched else None, T=T, C=C, H=H, W=W, dtype=dtype, device=device)
            for wrap in (False, True):
                inp = tv_tensors.Video(video) if wrap else video
                out = transform(inp)
                assert isinstance(out, tv_tensors.Video) == wrap, "output type differs from input type"
                expected_dtype = out_dtype or dtype
                assert out.dtype == expected_dtype, f"dtype: expected {expected_dtype}, got {out.dtype}"
                assert out.device == video.device
                assert out.ndim == video.ndim
                if shape_preserving:
                    assert out.shape == video.shape, f"shape changed: {video.shape} -> {out.shape}"
                if out.is_floating_point():
                    assert torch.isfinite(out).all()

    # labels pass through untouched, as the same object, in a tuple and in a dict
    video = make_video(B=B, T=T, C=C, H=H, W=W, dtype=dtypes[0], device=device)
    label = torch.arange(B)
    out_video, out_label = transform(video, label)
    assert out_label is label
    out = transform({"video": tv_tensors.Video(video), "label": label, "meta": "x"})
    assert out["label"] is label and out["meta"] == "x"

    # a clip of identical frames stays a clip of identical frames (one parameter set per clip)
    if frame_consistent:
        static = make_video(B=B, T=T, C=C, H=H, W=W, dtype=dtypes[-1], static=True, device=device)
        assert _same_frames(transform(static), time_dim), "frames of one clip got different parameters"

    # pickling round trip
    clone = pickle.loads(pickle.dumps(transform))
    assert type(clone) is type(transform)

    # replaying the sampled parameters reproduces the output
    video = make_video(B=B, T=T, C=C, H=H, W=W, dtype=dtypes[-1], device=device)
    out = transform(video)
    params = transform.last_params
    torch.testing.assert_close(transform.replay(video, params=params), out)

    # memory layout does not change the result: frames laid out (T, H, W, C) as read_clip returns them, and
    # a clip taken out of a batch (a strided view)
    for dtype in dtypes:
        for batched in (False, True):
            video = make_video(B=B if batched else None, T=T, C=C, H=H, W=W, dtype=dtype, device=device)
            out = transform(video)
            params = transform.last_params
            hwc = video.movedim(-3, -1).contiguous().movedim(-1, -3)
            assert C == 1 or not hwc.is_contiguous()
            torch.testing.assert_close(transform.replay(hwc, params=params), out)
    strided = make_video(B=2, T=T, C=C, H=H, W=2 * W, dtype=dtypes[-1], device=device)[..., ::2]
    out = transform(strided)
    torch.testing.assert_close(transform.replay(strided.contiguous(), params=transform.last_params), out)

    if random:
        # same seed, same output
        torch.manual_seed(7)
        a = transform(video)
        torch.manual_seed(7)
        b = transform(video)
        torch.testing.assert_close(a, b)
        # clips of a batch draw different parameters: a batch of one clip repeated gives different outputs
        rep = make_video(B=None, T=T, C=C, H=H, W=W, dtype=torch.float32, device=device)
        rep = rep.unsqueeze(0).expand(16, *rep.shape).contiguous()
        outs = transform(rep)
        assert any(not torch.allclose(outs[0], outs[i]) for i in range(1, 16)), \
            "all clips of a batch got the same parameters"
        # p=0 is the identity for shape-preserving transforms
        if shape_preserving and hasattr(transform, "p"):
            p = transform.p
            transform.p = 0.0
            try:
                torch.testing.assert_close(transform(video), video)
            finally:
                transform.p = p
