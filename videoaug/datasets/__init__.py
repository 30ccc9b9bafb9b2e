from videoaug.datasets.moving_mnist import MovingMNIST  # noqa: F401
