"""Compute the model-card figures of a generator checkpoint on held-out Moving MNIST clips and write JSON.

    python -m videoaug.gan.evaluate --checkpoint checkpoints/moving_mnist \\
        --classifier checkpoints/reference_classifier --out rcgan-eval.json

Every figure is measured with :mod:`videoaug.metrics` in the feature space of the reference classifier
(:mod:`videoaug.classifier`, trained on real clips only), on clips of the ``"test"`` split (digit images that
neither the classifier nor the generator saw), drawn with a seed of their own. Next to the generator
(``rcgan``, conditioned on the true label, and ``rcgan_nolabel``, without it) the same figures are given for
``identity`` (the real clip), for two classical pipelines of :func:`classical_pipeline` --
``classical_standard``, a typical video-classification pipeline, and ``classical_mild``, an affine and
brightness jitter of the generator's magnitude -- and for ``random_warp``, the untrained random translation
that moves over the clip which docs/results.md measured best on Moving MNIST (:data:`RANDOM_WARP`, the
generator's baseline), so each number has something to be read against:

- class preservation: classifier accuracy on augmented clips / accuracy on the real clips they came from;
- diversity: mean feature distance between two augmented variants of each clip (``real_pairs``: between two
  different real clips, the scale of the feature space);
- realism: Fréchet distance between real features and augmented features (``real_vs_real``: between two
  disjoint real sets of the same size, the floor that sampling alone gives);
- temporal statistics: mean absolute frame difference of real and augmented clips;
- motion: how far each augmentation moves the digit (mean displacement of the frame's centre) and how much that
  displacement changes from the first frame to the last (``metrics.centroid_motion``).
"""

from __future__ import annotations

import argparse
import json
import shlex
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import torch

from .. import metrics
from .._script import parse_script_args
from ..classifier import load_classifier

__all__ = ["evaluate", "classical_pipeline", "RANDOM_WARP", "format_markdown", "main"]


CLASSICAL = {
    "standard": (
        "RandomResizedCrop(size, scale=(0.4, 1.0)) -> RandomHorizontalFlip() -> RandomRotation(15, p=0.5) -> "
        "ColorJitter(brightness=0.4, contrast=0.4, p=0.8) -> GaussianBlur(5, sigma=(0.1, 2.0), p=0.3) -> "
        "RandomTubeErasing(p=0.5, drift=0.3)"
    ),
    "mild": (
        "RandomAffine(degrees=10, translate=(0.15, 0.15), scale=(0.85, 1.15), bilinear) -> "
        "ColorJitter(brightness=0.25, contrast=0.25)"
    ),
}
# the generator's baseline, applied to every clip (p=1; the ablation uses it at p=0.5 like the generator)
RANDOM_WARP_ARGS = {"translate": 0.7, "affine": 0.0, "displacement": 0.0, "drift": 1.0}
RANDOM_WARP = "RandomSmoothWarp(" + ", ".join(f"{k}={v}" for k, v in RANDOM_WARP_ARGS.items()) + ")"


def classical_pipeline(
    kind: str = "mild", size: int = 64
) -> tuple[Callable[[torch.Tensor], torch.Tensor], str]:
    """A classical comparison pipeline built from videoaug's transforms (all drawn per clip).

    Args:
        kind: ``"standard"``: a typical video-classification training pipeline (the one ``videoaug demo``
            shows, without its colour-only ops, which do nothing on grey clips); ``"mild"``: a random affine
            and brightness/contrast jitter with magnitudes like the generator's bounds (the like-for-like
            comparison).
        size: output side of the resized crop (``"standard"``).

    Returns:
        ``(transform, description)``.
    """
    from torchvision.transforms import v2

    from .. import transforms as T

    if kind == "standard":
        parts = [
            T.RandomResizedCrop(size, scale=(0.4, 1.0)),
            T.RandomHorizontalFlip(),
            T.RandomRotation(15, p=0.5),
            T.ColorJitter(brightness=0.4, contrast=0.4, p=0.8),
            T.GaussianBlur(5, sigma=(0.1, 2.0), p=0.3),
            T.RandomTubeErasing(p=0.5, drift=0.3),
        ]
    elif kind == "mild":
        parts = [
            T.RandomAffine(degrees=10, translate=(0.15, 0.15), scale=(0.85, 1.15), interpolation="bilinear"),
            T.ColorJitter(brightness=0.25, contrast=0.25),
        ]
    else:
        raise ValueError(f"kind: expected 'standard' or 'mild', got {kind!r}")
    return v2.Compose(parts), CLASSICAL[kind]


def _held_out(num_clips: int, frames: int, size: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    from ..datasets.moving_mnist import MovingMNIST

    ds = MovingMNIST(
        num_clips, split="test", num_frames=frames, size=size, num_digits=1, label="digit", seed=seed
    )
    items = [ds[i] for i in range(len(ds))]
    return torch.stack([c for c, _ in items]), torch.tensor([y for _, y in items], dtype=torch.long)


def _variants(
    fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    clips: torch.Tensor,
    labels: torch.Tensor,
    batch_size: int,
) -> torch.Tensor:
    return torch.cat(
        [fn(c, y) for c, y in zip(clips.split(batch_size), labels.split(batch_size), strict=True)]
    )


def evaluate(
    checkpoint: str | Path,
    classifier: str | Path,
    *,
    num_clips: int = 1000,
    batch_size: int = 64,
    seed: int = 2,
    strength: float = 1.0,
    device: str = "cpu",
    log=print,
) -> dict:
    """All model-card figures of ``checkpoint`` as a dict (see the module docstring).

    Args:
        checkpoint: generator checkpoint directory (or shipped name).
        classifier: reference classifier directory.
        num_clips: held-out clips; two disjoint sets of this size are drawn (one for the real-vs-real floor).
        batch_size: clips per batch.
        seed: seed of the held-out sets (``seed`` and ``seed + 1``) and of the augmentations.
        strength: the generator's strength.
        device: where the generator and classifier run.
        log: print function for progress.
    """
    from .augment import RCGANAugment, load_cached, resolve_checkpoint

    start = time.perf_counter()
    ck_path = resolve_checkpoint(checkpoint)
    generator, gen_config = load_cached(ck_path, torch.device("cpu"))
    model, cls_config = load_classifier(classifier, device=device)
    frames, size = cls_config["data"]["frames"], cls_config["data"]["size"]
    clips, labels = _held_out(num_clips, frames, size, seed)
    clips2, _ = _held_out(num_clips, frames, size, seed + 1000)
    log(f"held-out: {num_clips} clips (split='test', seed {seed}) of {frames}x1x{size}x{size}")

    torch.manual_seed(seed)
    rcgan = RCGANAugment(ck_path, p=1.0, strength=strength, device=device, batch_size=batch_size)
    standard, _ = classical_pipeline("standard", size)
    mild, _ = classical_pipeline("mild", size)
    from .. import transforms as T

    # the generator's own border handling, so the two differ only in the displacement
    warp = T.RandomSmoothWarp(**RANDOM_WARP_ARGS, padding_mode=generator.config.padding_mode)

    def run_rcgan(c, y):
        return rcgan(c, y)[0]

    def run_rcgan_nolabel(c, y):
        return rcgan(c)

    def run_standard(c, y):
        return standard(c)

    def run_mild(c, y):
        return mild(c)

    def run_warp(c, y):
        return warp(c)

    def feats(x):
        return metrics.extract(model, x, batch_size=batch_size, device=device)

    f_real, p_real = feats(clips)
    f_real2, _ = feats(clips2)
    results: dict = {}
    results["real_vs_real_frechet"] = metrics.frechet_distance(f_real, f_real2)
    perm = torch.roll(torch.arange(num_clips), 1)
    results["real_pairs_diversity"] = metrics.diversity(f_real, f_real[perm])
    results["identity"] = {
        "class_preservation": metrics.class_preservation(p_real, p_real, labels),
        "diversity": 0.0,
        "frechet_distance": metrics.frechet_distance(f_real, f_real),
        "temporal": metrics.temporal_statistics(clips, clips),
        "motion": metrics.centroid_motion(clips, clips),
    }
    for name, fn in (
        ("rcgan", run_rcgan),
        ("rcgan_nolabel", run_rcgan_nolabel),
        ("classical_standard", run_standard),
        ("classical_mild", run_mild),
        ("random_warp", run_warp),
    ):
        t0 = time.perf_counter()
        a = _variants(fn, clips, labels, batch_size)
        b = _variants(fn, clips, labels, batch_size)
        f_a, p_a = feats(a)
        f_b, _ = feats(b)
        results[name] = {
            "class_preservation": metrics.class_preservation(p_real, p_a, labels),
            "diversity": metrics.diversity(f_a, f_b),
            "frechet_distance": metrics.frechet_distance(f_real, f_a),
            "temporal": metrics.temporal_statistics(clips, a),
            "motion": metrics.centroid_motion(clips, a),
            "mean_abs_pixel_change": float((a.float() - clips.float()).abs().mean() / 255),
        }
        r = results[name]
        log(
            f"{name:>18}: preservation {r['class_preservation']['ratio']:.3f}, "
            f"diversity {r['diversity']:.3f}, FD {r['frechet_distance']:.3f}, "
            f"frame diff {r['temporal']['generated_mean']:.4f} "
            f"(real {r['temporal']['real_mean']:.4f}), shift {r['motion']['mean_abs_offset']:.3f} drift "
            f"{r['motion']['mean_abs_drift']:.3f} [{time.perf_counter() - t0:.0f}s]"
        )
    results["classical_standard"]["pipeline"] = CLASSICAL["standard"]
    results["classical_mild"]["pipeline"] = CLASSICAL["mild"]
    results["random_warp"]["pipeline"] = RANDOM_WARP
    return {
        "checkpoint": {
            "path": str(ck_path),
            "step": _step(gen_config),
            "sha256": _sha(gen_config),
            "command": gen_config.get("command"),
        },
        "classifier": {
            "path": str(classifier),
            "test_accuracy": cls_config.get("test_accuracy"),
            "sha256": cls_config.get("sha256"),
        },
        "held_out": {
            "dataset": "MovingMNIST",
            "split": "test",
            "clips": num_clips,
            "seed": seed,
            "frames": frames,
            "size": size,
            "channels": 1,
        },
        "strength": strength,
        "results": results,
        "seconds": round(time.perf_counter() - start, 1),
        "torch": torch.__version__,
    }


def _step(config: dict):
    for key in ("step", "steps"):
        if key in config:
            return config[key]
    for section in config.values():
        if isinstance(section, dict):
            for key in ("step", "steps"):
                if key in section:
                    return section[key]
    return None


def _sha(config: dict):
    for key in ("sha256", "weights_sha256"):
        if key in config:
            return config[key]
    return None


_ROWS = (
    ("identity", "identity (real clip)"),
    ("rcgan", "RCGAN, true label"),
    ("rcgan_nolabel", "RCGAN, no label"),
    ("classical_mild", "classical, mild (affine + jitter)"),
    ("classical_standard", "classical, standard pipeline"),
    ("random_warp", "random moving translation (RandomSmoothWarp, drift)"),
)


def format_markdown(report: dict) -> str:
    """The model-card table of an :func:`evaluate` report, as Markdown."""
    r = report["results"]
    held = report["held_out"]
    lines = [
        f"Held-out: {held['clips']} Moving MNIST clips, split `{held['split']}`, seed {held['seed']}, "
        f"{held['frames']}x{held['channels']}x{held['size']}x{held['size']}; checkpoint step "
        f"{report['checkpoint']['step']}; strength {report['strength']}; reference classifier test accuracy "
        f"{report['classifier']['test_accuracy']}.",
        "",
        "| augmentation | class preservation (acc gen / acc real) | diversity | Fréchet distance "
        "| frame diff real -> aug | pixel change | digit shift / drift |",
        "|---|---|---|---|---|---|---|",
    ]
    for key, name in _ROWS:
        if key not in r:  # reports written before the row existed
            continue
        m = r[key]
        cp = m["class_preservation"]
        t = m["temporal"]
        change = m.get("mean_abs_pixel_change", 0.0)
        motion = m.get("motion")  # reports written before the column existed have none
        moved = f"{motion['mean_abs_offset']:.3f} / {motion['mean_abs_drift']:.3f}" if motion else "-"
        lines.append(
            f"| {name} | {cp['ratio']:.3f} ({cp['accuracy_generated']:.3f} / {cp['accuracy_real']:.3f}) "
            f"| {m['diversity']:.3f} | {m['frechet_distance']:.3f} "
            f"| {t['real_mean']:.4f} -> {t['generated_mean']:.4f} | {change:.4f} | {moved} |"
        )
    lines += [
        "",
        f"For scale: mean feature distance between two different real clips {r['real_pairs_diversity']:.3f}; "
        f"Fréchet distance between two disjoint real sets of the same size {r['real_vs_real_frechet']:.3f}.",
    ]
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m videoaug.gan.evaluate", description=__doc__.splitlines()[0])
    p.add_argument(
        "--checkpoint", default="moving_mnist", help="generator checkpoint directory or shipped name"
    )
    p.add_argument(
        "--classifier", default="checkpoints/reference_classifier", help="reference classifier dir"
    )
    p.add_argument("--out", required=True, help="JSON file to write")
    p.add_argument("--num-clips", type=int, default=1000)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--seed", type=int, default=2)
    p.add_argument("--strength", type=float, default=1.0)
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    p.add_argument("--markdown", action="store_true", help="also print the model-card table as Markdown")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args, argv = parse_script_args(build_parser(), argv)
    out = evaluate(
        args.checkpoint,
        args.classifier,
        num_clips=args.num_clips,
        batch_size=args.batch_size,
        seed=args.seed,
        strength=args.strength,
        device=args.device,
    )
    out["command"] = "python -m videoaug.gan.evaluate " + shlex.join(argv)
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {args.out}")
    if args.markdown:
        print(format_markdown(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
