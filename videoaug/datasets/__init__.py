from videoaug.datasets.moving_mnist import MovingMNIST  # noqa: F401
from videoaug.datasets.ucf101 import UCF101  # noqa: F401
from videoaug.datasets.video_folder import VideoFolder  # noqa: F401
