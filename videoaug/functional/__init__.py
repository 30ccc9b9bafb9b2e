"""Pure kernels on batches ``(B, T, C, H, W)`` with explicit per-clip parameters; no randomness here.

Each kernel's docstring points to the transform class that documents its semantics."""

from ._auto import *  # noqa: F403
from ._boxes import *  # noqa: F403
from ._color import *  # noqa: F403
from ._erase import *  # noqa: F403
from ._fused import *  # noqa: F403
from ._geometry import *  # noqa: F403
from ._masks import *  # noqa: F403
from ._misc import *  # noqa: F403
from ._temporal import *  # noqa: F403
from ._utils import LUMA_WEIGHTS, luma  # noqa: F401 (the package's one set of luma weights)
from ._warp import *  # noqa: F403
