"""Video in and out: reading clips (:mod:`videoaug.io._read`: decord or PyAV, frame-index sampling, errors; the
PyAV reader is :mod:`videoaug.io._pyav`) and writing them (:mod:`videoaug.io._write`: GIF, MP4, grids). Every
public name is re-exported here; see the modules for the details (sampling modes, short videos, decord quirks).
"""

from . import _read, _write
from ._read import *  # noqa: F403
from ._read import PADS  # noqa: F401 (the padding modes, importable here as before)
from ._write import *  # noqa: F403

__all__ = [*_read.__all__, *_write.__all__]
