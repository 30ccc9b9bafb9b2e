"""Video transforms as ``torchvision.transforms.v2.Transform`` subclasses, grouped by kind as torchvision groups
them. Kernels live in :mod:`videoaug.functional` under the same module names."""

from ._auto import *  # noqa: F403
from ._base import RandomVideoTransform, VideoTransform
from ._color import *  # noqa: F403
from ._erase import *  # noqa: F403
from ._geometry import *  # noqa: F403
from ._misc import *  # noqa: F403
from ._temporal import *  # noqa: F403
