"""Video in and out: reading clips (:mod:`videoaug.io._read`: decord or PyAV, frame-index sampling, errors; the
PyAV reader is :mod:`videoaug.io._pyav`) and writing them (:mod:`videoaug.io._write`: GIF, MP4, grids). Every
public name is re-exported here; see the modules for the details (sampling modes, short videos, decord quirks).
"""

from ._read import (  # noqa: F401 (PADS)
    BACKENDS,
    PADS,
    PYAV_FIRST,
    SAMPLINGS,
    VideoInfo,
    VideoReadError,
    available_backends,
    clip_indices,
    probe,
    read_clip,
)
from ._write import make_grid, write_gif, write_mp4

__all__ = [
    "SAMPLINGS",
    "BACKENDS",
    "PYAV_FIRST",
    "available_backends",
    "VideoReadError",
    "VideoInfo",
    "probe",
    "clip_indices",
    "read_clip",
    "make_grid",
    "write_gif",
    "write_mp4",
]
