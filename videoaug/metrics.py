"""Measures of how good an augmentation is: realism, class preservation, diversity, temporal behaviour.

All functions take plain tensors (features, predictions or clips) and hold no model, so they can be checked on
hand-made inputs. :func:`extract` runs a classifier with a ``features(x)`` method and a ``head`` over clips in
batches and gives both features and predicted classes; :mod:`videoaug.gan.evaluate` puts the pieces together.

- :func:`frechet_distance`: the Fréchet distance between two Gaussians fitted to two sets of features (FID,
  Heusel et al., 2017, with the reference classifier's features in place of Inception's).
- :func:`class_preservation`: the classifier's accuracy on augmented clips divided by its accuracy on the real
  clips they came from.
- :func:`diversity`: the mean feature distance between two augmented variants of the same clip.
- :func:`temporal_statistics`: mean absolute frame difference of real against augmented clips.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch

from ._video import as_batch, to_float

__all__ = [
    "feature_statistics",
    "frechet_distance",
    "frechet_distance_from_statistics",
    "sqrtm_psd",
    "accuracy",
    "class_preservation",
    "diversity",
    "frame_differences",
    "temporal_statistics",
    "centroid_motion",
    "extract",
]


def _check_features(x: torch.Tensor, name: str) -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name}: expected a torch.Tensor of features (N, D), got {type(x).__name__}")
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[1] < 1:
        raise ValueError(f"{name}: expected features (N, D) with N >= 2, got shape {tuple(x.shape)}")
    if not torch.isfinite(x).all():
        raise ValueError(f"{name}: expected finite features, got NaN or inf")
    return x.detach().to(torch.float64)


def feature_statistics(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and unbiased covariance of a set of feature vectors, in float64.

    Shape:
        features: ``(N, D)`` with ``N >= 2``. Returns ``(D,)`` and ``(D, D)``.
    """
    x = _check_features(features, "features")
    mu = x.mean(0)
    xc = x - mu
    cov = xc.T @ xc / (x.shape[0] - 1)
    return mu, cov


def sqrtm_psd(matrix: torch.Tensor) -> torch.Tensor:
    """Square root of a symmetric positive semi-definite matrix by eigendecomposition.

    The matrix is symmetrised first and eigenvalues below zero (round-off on a singular covariance) are
    clamped to zero, so the result is real, symmetric and PSD. Computed in float64.
    """
    m = matrix.to(torch.float64)
    m = 0.5 * (m + m.T)
    evals, evecs = torch.linalg.eigh(m)
    return (evecs * evals.clamp_min(0).sqrt()) @ evecs.T


def frechet_distance_from_statistics(mu1: torch.Tensor, cov1: torch.Tensor, mu2: torch.Tensor,
                                     cov2: torch.Tensor) -> float:
    """Fréchet (2-Wasserstein) distance between ``N(mu1, cov1)`` and ``N(mu2, cov2)``:

    ``|mu1 - mu2|^2 + tr(cov1) + tr(cov2) - 2 tr((cov1^1/2 cov2 cov1^1/2)^1/2)``.

    The cross term is computed through the symmetric PSD matrix ``cov1^1/2 cov2 cov1^1/2`` (whose square-root
    trace equals that of ``(cov1 cov2)^1/2``), so only symmetric eigendecompositions are needed: no complex
    parts to discard, no ``eps`` added to singular covariances, and the result is clamped at zero against
    round-off.
    """
    mu1, mu2 = mu1.to(torch.float64), mu2.to(torch.float64)
    cov1, cov2 = cov1.to(torch.float64), cov2.to(torch.float64)
    if mu1.shape != mu2.shape or cov1.shape != cov2.shape or cov1.shape != (mu1.numel(), mu1.numel()):
        raise ValueError(
            f"expected means (D,) and covariances (D, D) of one D, got {tuple(mu1.shape)}, "
            f"{tuple(cov1.shape)}, {tuple(mu2.shape)}, {tuple(cov2.shape)}"
        )
    s1 = sqrtm_psd(cov1)
    middle = s1 @ cov2 @ s1
    middle = 0.5 * (middle + middle.T)
    cross = torch.linalg.eigvalsh(middle).clamp_min(0).sqrt().sum()
    value = (mu1 - mu2).square().sum() + torch.trace(cov1) + torch.trace(cov2) - 2 * cross
    return float(value.clamp_min(0))


def frechet_distance(features1: torch.Tensor, features2: torch.Tensor) -> float:
    """Fréchet distance between Gaussians fitted to two sets of features (FID with any feature extractor).

    Shape:
        features1: ``(N1, D)``; features2: ``(N2, D)``. Use ``N`` well above ``D`` for a stable estimate.

    Returns:
        a float >= 0, zero for identical sets.

    Example:
        >>> x = torch.randn(500, 8)
        >>> frechet_distance(x, x) < 1e-9
        True
    """
    f1 = _check_features(features1, "features1")
    f2 = _check_features(features2, "features2")
    if f1.shape[1] != f2.shape[1]:
        raise ValueError(f"expected features of one dimension D, got {f1.shape[1]} and {f2.shape[1]}")
    return frechet_distance_from_statistics(*feature_statistics(f1), *feature_statistics(f2))


def _check_labels(x: torch.Tensor, name: str, n: int | None = None) -> torch.Tensor:
    if not isinstance(x, torch.Tensor) or x.ndim != 1 or x.dtype.is_floating_point or x.dtype == torch.bool:
        got = f"shape {tuple(x.shape)} dtype {x.dtype}" if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"{name}: expected integer class indices (N,), got {got}")
    if n is not None and x.shape[0] != n:
        raise ValueError(f"{name}: expected {n} entries, got {x.shape[0]}")
    if x.shape[0] == 0:
        raise ValueError(f"{name}: expected at least one entry, got none")
    return x.detach().cpu()


def accuracy(predictions: torch.Tensor, labels: torch.Tensor) -> float:
    """Fraction of ``predictions`` (class indices ``(N,)``) equal to ``labels`` (``(N,)``)."""
    labels = _check_labels(labels, "labels")
    predictions = _check_labels(predictions, "predictions", labels.shape[0])
    return float((predictions == labels).double().mean())


def class_preservation(pred_real: torch.Tensor, pred_generated: torch.Tensor, labels: torch.Tensor) -> dict:
    """How well a classifier trained on real clips still recognises augmented ones.

    Args:
        pred_real: the classifier's predicted classes ``(N,)`` on real clips.
        pred_generated: its predictions ``(N,)`` on the augmented variants of the same clips, in the same
            order.
        labels: true classes ``(N,)``.

    Returns:
        ``{"accuracy_real", "accuracy_generated", "ratio", "agreement"}``: ``ratio`` is accuracy on generated
        clips over accuracy on the real clips they came from (1.0 = the augmentation costs the classifier
        nothing); ``agreement`` is the fraction of clips whose prediction did not change.
    """
    labels = _check_labels(labels, "labels")
    pr = _check_labels(pred_real, "pred_real", labels.shape[0])
    pg = _check_labels(pred_generated, "pred_generated", labels.shape[0])
    acc_real = accuracy(pr, labels)
    acc_gen = accuracy(pg, labels)
    if acc_real == 0:
        raise ValueError("class_preservation: the classifier is wrong on every real clip, so the ratio is "
                         "undefined")
    return {
        "accuracy_real": acc_real,
        "accuracy_generated": acc_gen,
        "ratio": acc_gen / acc_real,
        "agreement": float((pr == pg).double().mean()),
    }


def diversity(features_a: torch.Tensor, features_b: torch.Tensor) -> float:
    """Mean Euclidean distance between paired feature vectors: two augmented variants of the same clip.

    Zero when the augmentation is deterministic (identity gives 0). Compare it with the same figure for other
    augmentations, or with the mean distance between different real clips, in the same feature space.

    Shape:
        features_a, features_b: ``(N, D)``, row ``i`` of both coming from clip ``i``.
    """
    a = _check_features(features_a, "features_a")
    b = _check_features(features_b, "features_b")
    if a.shape != b.shape:
        raise ValueError(f"expected paired features of one shape, got {tuple(a.shape)} and {tuple(b.shape)}")
    return float((a - b).norm(dim=1).mean())


def frame_differences(video: torch.Tensor) -> torch.Tensor:
    """Per-clip mean absolute difference between consecutive frames, on the [0, 1] scale.

    Shape:
        video: a clip ``(T, C, H, W)`` or batch ``(B, T, C, H, W)``, uint8 or float, ``T >= 2``.

    Returns:
        float32 ``(B,)`` (``(1,)`` for a clip).
    """
    batch, _ = as_batch(video)
    if batch.shape[1] < 2:
        raise ValueError(f"expected clips of at least 2 frames, got T={batch.shape[1]}")
    x = to_float(batch).float()
    return (x[:, 1:] - x[:, :-1]).abs().mean(dim=(1, 2, 3, 4))


def temporal_statistics(real: torch.Tensor, generated: torch.Tensor) -> dict:
    """Mean absolute frame difference of real clips against the augmented clips made from them.

    A generator that flickers raises the augmented figure above the real one; one that freezes motion lowers
    it.

    Args:
        real: batch ``(B, T, C, H, W)`` of real clips.
        generated: batch of the same shape, clip ``i`` made from real clip ``i``.

    Returns:
        ``{"real_mean", "real_std", "generated_mean", "generated_std", "ratio", "paired_abs_diff"}``: means
        and standard deviations over clips of the per-clip figure, ``ratio`` = generated_mean / real_mean, and
        ``paired_abs_diff`` the mean over clips of ``|figure(generated_i) - figure(real_i)|``.
    """
    if real.shape != generated.shape:
        raise ValueError(f"expected real and generated clips of one shape, got {tuple(real.shape)} and "
                         f"{tuple(generated.shape)}")
    dr = frame_differences(real).double()
    dg = frame_differences(generated).double()
    real_mean = float(dr.mean())
    return {
        "real_mean": real_mean,
        "real_std": float(dr.std()) if dr.numel() > 1 else 0.0,
        "generated_mean": float(dg.mean()),
        "generated_std": float(dg.std()) if dg.numel() > 1 else 0.0,
        "ratio": float(dg.mean()) / real_mean if real_mean > 0 else float("nan"),
        "paired_abs_diff": float((dg - dr).abs().mean()),
    }


def _centroids(video: torch.Tensor) -> torch.Tensor:
    """Intensity-weighted centre of every frame, ``(B, T, 2)`` as (x, y) in normalised units (-1..1 over the
    side, ``grid_sample``'s convention); a black frame's centre is the middle."""
    x = to_float(as_batch(video)[0]).double().mean(dim=2)  # (B, T, H, W)
    H, W = x.shape[-2:]
    xs = (torch.arange(W, dtype=x.dtype, device=x.device) + 0.5) / W * 2 - 1
    ys = (torch.arange(H, dtype=x.dtype, device=x.device) + 0.5) / H * 2 - 1
    mass = x.sum(dim=(-2, -1)).clamp_min(1e-12)
    cx = (x.sum(dim=-2) * xs).sum(dim=-1) / mass
    cy = (x.sum(dim=-1) * ys).sum(dim=-1) / mass
    return torch.stack([cx, cy], dim=-1)


def centroid_motion(real: torch.Tensor, augmented: torch.Tensor) -> dict:
    """How far, and how differently over the clip, an augmentation moves the content: the displacement of each
    frame's intensity-weighted centre from the real frame's to the augmented frame's.

    Meant for content on a dark background (Moving MNIST), where the centre is the object's; any augmentation
    can be measured, learned or not, so a generator's translation can be read against a random warp's.

    Args:
        real: ``(B, T, C, H, W)`` real clips (uint8 or float).
        augmented: the same shape, clip ``i`` made from real clip ``i``.

    Returns:
        ``{"mean_abs_offset", "mean_abs_drift"}``, in normalised units (1 = half the side), averaged over clips and
        the two axes: the mean absolute displacement over the frames, and the mean absolute change of the
        displacement from the first frame to the last (0 for a translation that does not move over the clip).
    """
    if real.shape != augmented.shape:
        raise ValueError(f"expected real and augmented clips of one shape, got {tuple(real.shape)} and "
                         f"{tuple(augmented.shape)}")
    offset = _centroids(augmented) - _centroids(real)  # (B, T, 2)
    return {
        "mean_abs_offset": float(offset.abs().mean()),
        "mean_abs_drift": float((offset[:, -1] - offset[:, 0]).abs().mean()),
    }


@torch.inference_mode()
def extract(
    model: torch.nn.Module,
    clips: Iterable[torch.Tensor] | torch.Tensor,
    *,
    batch_size: int = 64,
    device: torch.device | str = "cpu",
    prepare: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Features and predicted classes of a classifier over clips.

    Args:
        model: a module with ``features(x) -> (B, D)`` and ``head(features) -> (B, num_classes)`` (as
            :class:`videoaug.classifier.ReferenceClassifier`).
        clips: a batch tensor ``(N, T, C, H, W)`` (split into ``batch_size`` chunks) or an iterable of
            batches.
        batch_size: chunk size when ``clips`` is one tensor.
        device: where the model runs.
        prepare: optional function applied to each batch before the model (e.g. an augmentation).

    Returns:
        ``(features (N, D) float32, predictions (N,) int64)`` on the CPU.
    """
    model.eval()
    batches = clips.split(batch_size) if isinstance(clips, torch.Tensor) else clips
    feats, preds = [], []
    for batch in batches:
        batch = batch.to(device)
        if prepare is not None:
            batch = prepare(batch)
        f = model.features(batch)
        feats.append(f.float().cpu())
        preds.append(model.head(f).argmax(1).cpu())
    if not feats:
        raise ValueError("extract: expected at least one clip, got none")
    return torch.cat(feats), torch.cat(preds)
