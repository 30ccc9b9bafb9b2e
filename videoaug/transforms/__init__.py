"""Video transforms as ``torchvision.transforms.v2.Transform`` subclasses, grouped by kind as torchvision groups
them. Kernels live in :mod:`videoaug.functional` under the same module names."""

from . import _auto, _color, _erase, _fused, _geometry, _misc, _temporal, _warp
from ._auto import *  # noqa: F403
from ._base import LABEL_KEYS, RandomVideoTransform, VideoShape, VideoTransform, default_labels_getter  # noqa: F401
from ._color import *  # noqa: F403
from ._erase import *  # noqa: F403
from ._fused import *  # noqa: F403
from ._geometry import *  # noqa: F403
from ._misc import *  # noqa: F403
from ._targets import box_track
from ._temporal import *  # noqa: F403
from ._warp import *  # noqa: F403

__all__ = [
    "VideoTransform", "RandomVideoTransform", "box_track",
    *_geometry.__all__, *_color.__all__, *_erase.__all__, *_misc.__all__, *_temporal.__all__, *_auto.__all__,
    *_warp.__all__, *_fused.__all__,
]
