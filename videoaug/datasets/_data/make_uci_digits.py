"""Regenerate ``uci_digits.npz`` (the handwritten digits used by :class:`videoaug.datasets.MovingMNIST`).

Run once by the maintainers, with scikit-learn installed (it is not a dependency of videoaug)::

    python videoaug/datasets/_data/make_uci_digits.py

The file holds ``images``: uint8 ``(1797, 8, 8)`` with values 0..16 and ``labels``: uint8 ``(1797,)``,
exactly the arrays of ``sklearn.datasets.load_digits()`` (UCI ML hand-written digits, CC BY 4.0; see
README.md here).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def main() -> None:
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = digits.images.astype(np.uint8)  # float64 counts 0..16 -> exact in uint8
    if not np.array_equal(images, digits.images):
        raise RuntimeError("load_digits() returned non-integer pixel values; refusing to round them")
    labels = digits.target.astype(np.uint8)
    out = Path(__file__).with_name("uci_digits.npz")
    np.savez_compressed(out, images=images, labels=labels)
    print(f"wrote {out} ({out.stat().st_size} bytes): images {images.shape}, labels {labels.shape}")


if __name__ == "__main__":
    main()
