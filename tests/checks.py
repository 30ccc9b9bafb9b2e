"""Shared checkers run over every transform and kernel (torchvision's test_transforms_v2 and kornia's CommonTests
are the model). A transform test calls :func:`check_transform`; a kernel test calls :func:`check_kernel`."""

from __future__ import annotations

import pickle
from collections.abc import Callable

import pytest
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


def strided_views(video: torch.Tensor) -> dict[str, torch.Tensor]:
    """The same values as ``video`` (a clip or a batch) under other strides, as users hand them over:

    - ``"channels_last"``: frames laid out ``(T, H, W, C)``, as ``read_clip`` returns them;
    - ``"from_cthw"``: a ``(B, C, T, H, W)`` batch (or ``(C, T, H, W)`` clip) permuted to videoaug's layout;
    - ``"hw_transposed"``: a clip with H and W swapped, transposed back (a view);
    - ``"sliced"``: every other column of a twice-as-wide frame (a strided slice);
    - ``"expanded"``: the first frame broadcast over time with stride 0 (not ``video``'s values: compared
      against its own ``.contiguous()``).
    """
    t_dim = video.ndim - 4
    wide = torch.stack([video, video], -1).flatten(-2)  # each column twice
    return {
        "channels_last": video.movedim(-3, -1).contiguous().movedim(-1, -3),
        "from_cthw": video.transpose(t_dim, t_dim + 1).contiguous().transpose(t_dim, t_dim + 1),
        "hw_transposed": video.transpose(-1, -2).contiguous().transpose(-1, -2),
        "sliced": wide[..., ::2],
        "expanded": video.narrow(t_dim, 0, 1).expand(video.shape),
    }


def check_strides(transform, video: torch.Tensor) -> None:
    """Any strides give what ``.contiguous()`` gives, with the same parameters, and leave the input as it was."""
    for name, x in strided_views(video).items():
        assert name == "expanded" or torch.equal(x, video)
        before, version = x.clone(), x._version
        out = transform(x)
        assert x._version == version and torch.equal(x, before), f"{name}: the input was modified in place"
        expected = transform.replay(x.contiguous(), params=transform.last_params)
        torch.testing.assert_close(out, expected, msg=lambda m, name=name: f"{name} input: {m}")


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


def check_dynamic(transform, *, B: int = 8, T: int = 16, C: int = 3, H: int = 16, W: int = 20,
                  dtype: torch.dtype = torch.float32, device: str = "cpu") -> None:
    """``dynamic=True``: the parameters named in ``params["per_frame"]`` are ``(B, T, ...)`` and change smoothly
    from frame to frame (no step larger than the bound of :mod:`videoaug.transforms._dynamic` for their spread
    over the batch, with a margin of 1.5 and one unit for integer parameters, where i.i.d. per-frame draws would
    step by about the whole spread), and the frames of a still clip drift apart."""
    from videoaug.transforms._dynamic import max_step

    static = make_video(B=B, T=T, C=C, H=H, W=W, dtype=dtype, static=True, device=device)
    out = transform(static)
    params = transform.last_params
    assert params.get("per_frame"), "dynamic=True drew no per-frame parameters"
    for name in params["per_frame"]:
        v = params[name]
        assert v.shape[:2] == (B, T), f"{name}: expected per-frame (B, T, ...), got {tuple(v.shape)}"
        v = v.double()
        step = float((v[:, 1:] - v[:, :-1]).abs().max())
        spread = float(v.max() - v.min())
        slack = 1.0 if not params[name].is_floating_point() else 1e-6
        bound = 1.5 * max_step(0.0, spread, T) + slack
        assert step <= bound, \
            f"{name}: a step of {step:.4g} between frames, more than {bound:.4g} (spread {spread:.4g})"
    if out.shape[-4] == T:
        assert not _same_frames(out), "dynamic=True: the frames of a still clip stayed identical"


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

    # a clip of identical frames stays a clip of identical frames (one parameter set per clip); with
    # dynamic=True its frames drift apart instead, along smooth parameter curves
    if getattr(transform, "dynamic", False):
        check_dynamic(transform, C=C, H=H, W=W, dtype=dtypes[-1], device=device)
    elif frame_consistent:
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
    # a clip taken out of a batch (a strided view), a (B, C, T, H, W) batch permuted, H and W transposed, a
    # frame broadcast over time
    for dtype in dtypes:
        for batched in (False, True):
            video = make_video(B=B if batched else None, T=T, C=C, H=H, W=W, dtype=dtype, device=device)
            out = transform(video)
            params = transform.last_params
            hwc = video.movedim(-3, -1).contiguous().movedim(-1, -3)
            assert C == 1 or not hwc.is_contiguous()
            torch.testing.assert_close(transform.replay(hwc, params=params), out)
            check_strides(transform, video)
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


# ----------------------------------------------------------------------------------------------------
# masks and boxes (tv_tensors.Mask, tv_tensors.BoundingBoxes) moving with their clip
# ----------------------------------------------------------------------------------------------------
def check_rejects_bad_video(transform, *, H: int = 16, W: int = 20) -> None:
    """``transform`` refuses, naming what it expected and what it got: a 3-D tensor, a 6-D one, C=2, no frames,
    and int32."""
    with pytest.raises(ValueError, match=rf"\(T, C, H, W\).*got shape \(3, {H}, {W}\)"):
        transform(torch.zeros(3, H, W, dtype=torch.uint8))
    with pytest.raises(ValueError, match="got shape"):
        transform(torch.zeros(1, 2, 4, 3, H, W, dtype=torch.uint8))
    with pytest.raises(ValueError, match="C=2"):
        transform(torch.zeros(4, 2, H, W, dtype=torch.uint8))
    with pytest.raises(ValueError, match="empty"):
        transform(torch.zeros(0, 3, H, W, dtype=torch.uint8))
    with pytest.raises(TypeError, match="expected dtype uint8.*got torch.int32"):
        transform(torch.zeros(4, 3, H, W, dtype=torch.int32))


def _rects(B: int, T: int, H: int, W: int, moving: bool = True) -> torch.Tensor:
    """``(B, T, 2, 4)`` XYXY integer rectangles of two objects per clip and frame: object 0 in the left half,
    object 1 in the right half, placed differently in every clip and, with ``moving``, shifting over frames."""
    out = torch.zeros(B, T, 2, 4)
    for b in range(B):
        for t in range(T):
            d = t if moving else 0
            h0, w0 = H // 3, W // 4
            y0 = 2 + (3 * b) % max(1, H - h0 - 4)
            x0 = 1 + (2 * b + d) % max(1, W // 2 - w0 - 1)
            out[b, t, 0] = torch.tensor([x0, y0, x0 + w0, y0 + h0])
            y1 = H - h0 - 2 - (2 * b + d) % max(1, H - h0 - 4)
            x1 = W // 2 + 1 + (3 * b) % max(1, W // 2 - w0 - 2)
            out[b, t, 1] = torch.tensor([x1, y1, x1 + w0, y1 + h0 // 2 + 2])
    return out


def make_painted(B: int = 4, T: int = 4, H: int = 32, W: int = 40, moving: bool = True):
    """A float batch whose channel ``k`` paints object ``k + 1`` (value 1 on 0), its label mask ``(B, T, H, W)``
    (0 background, 1 and 2 the objects) and the rectangles ``(B, T, 2, 4)`` it painted."""
    rects = _rects(B, T, H, W, moving)
    video = torch.zeros(B, T, 3, H, W)
    mask = torch.zeros(B, T, H, W, dtype=torch.uint8)
    for b in range(B):
        for t in range(T):
            for k in range(2):
                x0, y0, x1, y1 = (int(v) for v in rects[b, t, k])
                video[b, t, k, y0:y1, x0:x1] = 1.0
                mask[b, t, y0:y1, x0:x1] = k + 1
    return video, mask, rects


def _outputs(out, n_masks: int):
    video, rest = out[0], out[1:]
    return video, rest[:n_masks], rest[n_masks:]


def check_targets(transform, *, B: int = 4, T: int = 4, H: int = 32, W: int = 40, max_disagreement: float = 0.05,
                  box_tolerance: float = 1.5, boxes: bool = True) -> None:
    """The contract of a transform whose ``targets`` are ``"transformed"`` (geometric and temporal ones):

    - a batch that paints its own objects keeps mask and paint aligned, clip by clip (each clip's objects sit
      elsewhere, so a mask moved with another clip's parameters would disagree): the pixels where
      ``paint > 0.5`` and ``mask == label`` disagree stay under ``max_disagreement`` of the frame;
    - the mask keeps its dtype and its values (nearest neighbour, never interpolated), in every layout
      (``(B, T, H, W)``, ``(B, T, 1, H, W)``, a clip's ``(T, H, W)`` and ``(T, 1, H, W)``, bool), and the
      layouts agree with each other given the same parameters;
    - a painted object stays framed by its moved box: a per-frame track ``(T, N, 4)`` per clip encloses the
      object's painted pixels on each frame and is no larger than them by more than ``box_tolerance`` pixels
      (corners move with the frame, so the envelope of a moved rectangle is the moved box; checked where the
      box is not clamped to the frame); boxes ``(N, 4)``
      that hold on every frame enclose the object on every frame; ``canvas_size`` is the output frame's; the
      XYWH and CXCYWH formats give the XYXY result converted.
    """
    from torchvision.transforms.v2 import functional as tvf

    from videoaug.transforms import box_track

    video, mask, rects = make_painted(B, T, H, W)
    tracks = [box_track(rects[b], format="XYXY", canvas_size=(H, W)) for b in range(B)]
    union = torch.cat([rects[..., :2].amin(1), rects[..., 2:].amax(1)], -1)  # (B, 2, 4) over frames
    still = [tv_tensors.BoundingBoxes(union[b], format="XYXY", canvas_size=(H, W)) for b in range(B)]
    out_video, masks, out_boxes = _outputs(
        transform(video, tv_tensors.Mask(mask), tv_tensors.Mask(mask.unsqueeze(2).long()), tracks, still), 2)
    params = transform.last_params
    m4, m5 = masks
    assert isinstance(m4, tv_tensors.Mask) and isinstance(m5, tv_tensors.Mask)
    assert m4.dtype == torch.uint8 and m5.dtype == torch.int64
    assert m4.shape == (out_video.shape[0], out_video.shape[1], *out_video.shape[-2:])
    torch.testing.assert_close(m5.squeeze(2), m4.long(), rtol=0, atol=0)
    assert set(torch.unique(m4).tolist()) <= {0, 1, 2}, "mask values were interpolated"
    oh, ow = out_video.shape[-2:]
    for label in (1, 2):
        paint = out_video[:, :, label - 1] > 0.5
        wrong = (paint != (m4 == label)).float().mean(dim=(1, 2, 3))  # per clip
        assert float(wrong.max()) <= max_disagreement, \
            f"mask {label} and its paint disagree on {wrong.tolist()} of the pixels per clip"
    # a clip's layouts: the same parameters give the same mask
    for b in (0, B - 1):
        row = {k: (v[b:b + 1] if isinstance(v, torch.Tensor) and v.ndim > 0 and v.shape[0] == B else v)
               for k, v in params.items()}
        one = transform.replay(video[b], tv_tensors.Mask(mask[b]), tv_tensors.Mask(mask[b, :, None] == 1),
                               params=row)
        assert one[1].ndim == 3 and one[2].ndim == 4 and one[2].dtype == torch.bool
        torch.testing.assert_close(one[1], m4[b], rtol=0, atol=0)
        torch.testing.assert_close(one[2][:, 0], m4[b] == 1, rtol=0, atol=0)
    if not boxes:
        return
    tracks_out, still_out = out_boxes
    for b in range(B):
        track, box = tracks_out[b], still_out[b]
        assert isinstance(track, tv_tensors.BoundingBoxes) and track.canvas_size == (oh, ow)
        # boxes on every frame stay (N, 4), unless the parameters vary over frames (a track comes back)
        assert track.shape == (out_video.shape[1], 2, 4) and box.canvas_size == (oh, ow)
        assert box.shape in ((2, 4), (out_video.shape[1], 2, 4))
        for t in range(out_video.shape[1]):
            for k in range(2):
                ys, xs = torch.nonzero(out_video[b, t, k] > 0.5, as_tuple=True)
                if ys.numel() == 0:
                    continue
                painted = torch.tensor([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], dtype=torch.float64)
                x0, y0, x1, y1 = track[t, k].double()
                tol = box_tolerance
                assert x0 <= painted[0] + tol and y0 <= painted[1] + tol and x1 >= painted[2] - tol \
                    and y1 >= painted[3] - tol, f"clip {b} frame {t}: box {track[t, k].tolist()} does not " \
                                                f"frame the paint {painted.tolist()}"
                # tight where the box lies inside the frame (a clamped envelope is not the envelope of the
                # visible part of a sheared or rotated object)
                if x0 > 0 and y0 > 0 and x1 < ow and y1 < oh:
                    assert (track[t, k].double() - painted).abs().max() <= tol, \
                        f"clip {b} frame {t}: box {track[t, k].tolist()} is larger than the paint " \
                        f"{painted.tolist()}"
                bx0, by0, bx1, by1 = (box[t, k] if box.ndim == 3 else box[k]).double()
                assert bx0 <= painted[0] + tol and by0 <= painted[1] + tol and bx1 >= painted[2] - tol \
                    and by1 >= painted[3] - tol, f"clip {b}: still box {box.tolist()} misses frame {t}"
    # other formats: the XYXY result converted
    for fmt in ("XYWH", "CXCYWH"):
        conv = [tv_tensors.BoundingBoxes(tvf.convert_bounding_box_format(s, new_format=fmt), format=fmt,
                                         canvas_size=(H, W)) for s in still]
        res = transform.replay(video, conv, params=params)[1]
        for b in range(B):
            back = tvf.convert_bounding_box_format(res[b].as_subclass(torch.Tensor), old_format=fmt,
                                                   new_format="XYXY")
            torch.testing.assert_close(back, still_out[b].as_subclass(torch.Tensor), atol=1e-4, rtol=0)
