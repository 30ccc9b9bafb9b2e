"""Writing clips: :func:`make_grid` (clips side by side, frame by frame), :func:`write_gif` (Pillow) and
:func:`write_mp4` (H.264 with PyAV)."""

from __future__ import annotations

import math
import os

import torch
import torch.nn.functional as F

__all__ = ["make_grid", "write_gif", "write_mp4"]


def _as_uint8_clips(video: torch.Tensor, name: str) -> torch.Tensor:
    """Check a clip or batch and return it as a uint8 batch ``(B, T, C, H, W)`` on the CPU."""
    from videoaug._video import check_video, from_float

    check_video(video, name)
    x = video.as_subclass(torch.Tensor).detach().cpu()
    if x.is_floating_point():
        x = from_float(x.clamp(0, 1), torch.uint8)
    return x.unsqueeze(0) if x.ndim == 4 else x


def make_grid(videos: torch.Tensor | list[torch.Tensor], nrow: int | None = None, padding: int = 2,
              pad_value: float = 0) -> torch.Tensor:
    """Lay ``B`` clips side by side in a grid, frame by frame (torchvision's ``make_grid`` over time).

    Args:
        videos: a batch ``(B, T, C, H, W)`` or a list of clips ``(T, C, H, W)`` of one shape.
        nrow: clips per row (default: all in one row).
        padding: pixels between clips and around the grid.
        pad_value: value of the padding, in the dtype's range (0..255 for uint8, 0..1 for float).

    Shape:
        Returns ``(T, C, rows * (H + padding) + padding, nrow * (W + padding) + padding)``.

    Example:
        >>> make_grid(torch.zeros(6, 4, 3, 8, 8, dtype=torch.uint8), nrow=3).shape
        torch.Size([4, 3, 22, 32])
    """
    if isinstance(videos, (list, tuple)):
        if not videos:
            raise ValueError("videos: expected a non-empty list of clips (T, C, H, W), got an empty list")
        shapes = {tuple(v.shape) for v in videos}
        if len(shapes) != 1:
            raise ValueError(f"videos: expected clips of one shape, got shapes {sorted(shapes)}")
        videos = torch.stack([v.as_subclass(torch.Tensor) for v in videos])
    from videoaug._video import check_video

    check_video(videos, "videos")
    x = videos.as_subclass(torch.Tensor)
    if x.ndim == 4:
        x = x.unsqueeze(0)
    if padding < 0:
        raise ValueError(f"padding: expected an int >= 0, got {padding!r}")
    b, t, c, h, w = x.shape
    ncol = b if nrow is None else max(1, min(int(nrow), b))
    rows = math.ceil(b / ncol)
    p = padding
    cell = torch.full((rows * ncol, t, c, h + p, w + p), pad_value, dtype=x.dtype, device=x.device)
    cell[:b, :, :, p:, p:] = x
    grid = cell.view(rows, ncol, t, c, h + p, w + p).permute(2, 3, 0, 4, 1, 5)
    grid = grid.reshape(t, c, rows * (h + p), ncol * (w + p))
    return F.pad(grid, (0, p, 0, p), value=pad_value)


def write_gif(path: str | os.PathLike, video: torch.Tensor, fps: float = 8, loop: int = 0,
              nrow: int | None = None) -> None:
    """Write a clip ``(T, C, H, W)`` (or a batch, laid out by :func:`make_grid`) as an animated GIF (Pillow).

    Args:
        path: output file.
        video: uint8 or float clip or batch, ``C`` 1 or 3.
        fps: frames per second (GIF stores whole hundredths of a second per frame).
        loop: number of loops, 0 for for ever.
        nrow: clips per row when ``video`` is a batch.
    """
    from PIL import Image

    x = _as_uint8_clips(video, "video")
    clip = make_grid(x, nrow=nrow) if x.shape[0] > 1 else x[0]
    frames = clip.permute(0, 2, 3, 1).numpy()
    mode = "L" if frames.shape[-1] == 1 else "RGB"
    images = [Image.fromarray(f[..., 0] if mode == "L" else f, mode=mode) for f in frames]
    duration = max(20, round(1000 / fps / 10) * 10)
    images[0].save(os.fspath(path), save_all=True, append_images=images[1:], duration=duration, loop=loop,
                   optimize=False)


def write_mp4(path: str | os.PathLike, video: torch.Tensor, fps: float = 8, crf: int = 18,
              nrow: int | None = None) -> None:
    """Write a clip ``(T, C, H, W)`` (or a batch, laid out with :func:`make_grid`) as H.264 MP4 with PyAV.

    H.264 in yuv420p needs even sizes: an odd height or width is padded by one row / column repeating the
    edge.

    Args:
        path: output file.
        video: uint8 or float clip or batch, ``C`` 1 or 3.
        fps: frames per second.
        crf: x264 quality (0 lossless, 18 visually lossless, 23 x264's default).
        nrow: clips per row when ``video`` is a batch.

    Raises:
        ImportError: PyAV is not installed (``pip install av`` or ``pip install videoaug[av]``).
    """
    try:
        import av
    except ImportError as exc:
        raise ImportError("write_mp4 needs PyAV: pip install av (or pip install 'videoaug[av]')") from exc
    from fractions import Fraction

    x = _as_uint8_clips(video, "video")
    clip = make_grid(x, nrow=nrow) if x.shape[0] > 1 else x[0]
    if clip.shape[1] == 1:
        clip = clip.expand(-1, 3, -1, -1)
    h, w = clip.shape[-2:]
    if h % 2 or w % 2:
        clip = F.pad(clip.float(), (0, w % 2, 0, h % 2), mode="replicate").to(torch.uint8)
    frames = clip.permute(0, 2, 3, 1).contiguous().numpy()
    rate = Fraction(fps).limit_denominator(1001)
    with av.open(os.fspath(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=rate)
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": str(int(crf))}
        for f in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
