"""What is each augmentation worth with few labels? An ablation on labelled Moving MNIST.

A small 3-D CNN (videoaug's reference classifier) is trained on ``N`` clips per class (default ``N`` = 10 and
50) and tested on a fixed held-out set of clips whose digit images it never saw (``split="test"``), under five
settings, each with several seeds:

- ``none``: the clips as they are;
- ``classical``: per-clip ``RandomAffine`` (small rotation, shift, zoom), ``ColorJitter`` (brightness and
  contrast), ``TemporalReverse`` and ``RandomTubeErasing``; no flips, a mirrored digit is not a digit;
- ``classical+mix``: then MixUp or *temporal* CutMix on the batch. Temporal cuts, because a spatial box pasted
  from the partner clip is mostly empty background on Moving MNIST, while its soft label says otherwise;
- ``classical+rcgan``: the RCGAN generator (``RCGANAugment``, checkpoint ``--rcgan-checkpoint``) first
  replaces clips by generated variants of the same class, then the classical transforms;
- ``all``: RCGAN, classical and mixing.

Every run of one seed uses the same training clips, initial weights and batch order, so settings are compared
in pairs. Every run trains for the same number of optimiser steps (AdamW, one-cycle learning rate); the test
accuracy of the last step is reported (no early stopping on the test set). The script prints a table and
writes ``--json`` and ``--markdown`` (``docs/results.md``): mean ± std over seeds per setting and ``N``, the
command, the device and the wall time. Notes written by hand below the line ``<!-- notes -->`` of an existing
markdown file are kept.

Run (about an hour on a 2-core CPU; ``--quick`` runs in seconds, for tests)::

    python examples/ablation_moving_mnist.py
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import shlex
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import torch
import torch.nn.functional as F
from torchvision.transforms import v2

import videoaug.transforms as VT
from videoaug.classifier import ReferenceClassifier
from videoaug.datasets.moving_mnist import MovingMNIST, first_per_class
from videoaug.mix import CutMix, MixUp, RandomMix

SETTINGS = {
    "none": (),
    "classical": ("classical",),
    "classical-dynamic": ("classical-dynamic",),
    "classical+mix": ("classical", "mix"),
    "classical+rcgan": ("rcgan", "classical"),
    "all": ("rcgan", "classical", "mix"),
}
# A setting is a named one above or steps joined by "+": classical, mix, rcgan[*STRENGTH] and
# warp-MAKEUP[-MOTION][*MAGNITUDE], e.g. "classical+warp-mix*1.5", "classical+warp-translation-drift*0.5" or
# "rcgan*2", and a random warp stacked under the generator, "classical+warp-translation-drift*1.5+rcgan" (see
# parse_setting).
WARP_MAKEUPS = {  # which of the generator's fields the random warp draws: (shift, affine, local field)
    "translation": (True, False, False),
    "affine": (True, True, False),
    "field": (False, False, True),
    "mix": (True, True, True),
}
# how a random warp changes over a clip's frames, as a suffix of its makeup ("warp-translation-drift"): none (the
# same warp on every frame), "drift" (a straight path towards a second draw, RandomSmoothWarp's drift=1) or
# "dynamic" (a smooth random curve per value, dynamic=True). The generator's shift moves over the frames.
WARP_MOTIONS = ("drift", "dynamic")
NUM_CLASSES = 10
TEST_SEED = 20240  # the held-out set is the same for every run and every invocation
NOTES_MARK = "<!-- notes -->"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n-per-class", type=int, nargs="+", default=[10, 50], help="training clips per class")
    p.add_argument("--settings", nargs="+", default=list(SETTINGS), type=_setting_name,
                   help="named settings (" + ", ".join(SETTINGS) + ") or steps joined by '+': classical, mix, "
                   "rcgan[*STRENGTH], warp-MAKEUP[-MOTION][*MAGNITUDE] with MAKEUP in " + ", ".join(WARP_MAKEUPS)
                   + " and MOTION in " + ", ".join(WARP_MOTIONS) + " (none: the same warp on every frame); a "
                   "warp's magnitude 1 is matched to the generator's mean displacement")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--steps", type=int, default=400, help="optimiser steps per run, the same for every N")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--weight-decay", type=float, default=1e-4)
    p.add_argument("--width", type=int, default=16, help="channels of the classifier's first stage")
    p.add_argument("--frames", type=int, default=16)
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--test-samples", type=int, default=2000)
    p.add_argument("--rcgan-checkpoint", default="moving_mnist",
                   help="shipped name or checkpoint folder; '{seed}' and '{n}' in it are replaced per run (one "
                   "generator per seed and N, for the same-data protocol)")
    p.add_argument("--rcgan-p", type=float, default=0.5,
                   help="probability that a clip is replaced (by the generator or the random warp)")
    p.add_argument("--tag", default="",
                   help="names the generator: settings that depend on it are reported as 'SETTING [TAG]', so runs "
                   "with several generators can be merged")
    p.add_argument("--rcgan-strength", type=float, default=1.0,
                   help="the generator's strength ('rcgan*S' multiplies it)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    p.add_argument("--json", default="docs/results.json", help="where to write the results as JSON")
    p.add_argument("--add-to", metavar="JSON", nargs="+", default=[],
                   help="results files of earlier runs of other settings with the same configuration: their runs "
                   "are merged into this report (e.g. run the settings without the generator while it trains, "
                   "the RCGAN settings afterwards)")
    p.add_argument("--merge-only", action="store_true",
                   help="train nothing: merge the --add-to files into one report (--settings is ignored)")
    p.add_argument("--markdown", default="docs/results.md", help="where to write the results page")
    p.add_argument("--quick", action="store_true",
                   help="tiny everything (N=2, one seed, a few steps, 16x16 clips): checks the script runs")
    return p


# --quick: every size shrunk so that the whole ablation runs in seconds (flags given explicitly still win)
QUICK = {"n_per_class": [2], "seeds": [0], "steps": 3, "batch_size": 8, "width": 2, "frames": 4, "size": 16,
         "test_samples": 40}


def parse_setting(name: str) -> list[tuple[str, float]]:
    """The steps of a setting, in the order they run: ``[(kind, amount), ...]``.

    ``kind`` is ``"rcgan"``, ``"warp-MAKEUP"``, ``"classical"`` or ``"mix"``; ``amount`` is the generator's
    strength or the warp's magnitude (1.0 when not given; 0 for the others). The steps run in this order,
    whatever the order in the name: a random warp, the generator, classical, mixing. A warp and the generator
    may be stacked ("classical+warp-translation-drift*1.5+rcgan": does the generator add to the warp?).

    Raises:
        ValueError: an unknown step, a bad amount, a step twice or two random warps.
    """
    if name in SETTINGS:
        return [(k, 1.0 if k == "rcgan" else 0.0) for k in SETTINGS[name]]
    steps: list[tuple[str, float]] = []
    for token in name.split("+"):
        kind, _, amount = token.partition("*")
        if kind in ("classical", "classical-dynamic", "mix") and not amount:
            steps.append((kind, 0.0))
            continue
        if kind == "rcgan" or (kind.startswith("warp-") and split_warp(kind[5:]) is not None):
            try:
                value = float(amount) if amount else 1.0
            except ValueError:
                value = float("nan")
            if not (math.isfinite(value) and 0.0 <= value <= 4.0):
                raise ValueError(f"setting {name!r}: {token!r}: expected an amount in [0, 4] after '*'")
            steps.append((kind, value))
            continue
        raise ValueError(
            f"setting {name!r}: unknown step {token!r}; expected classical, mix, rcgan[*S] or "
            f"warp-MAKEUP[-MOTION][*M] with MAKEUP in {', '.join(WARP_MAKEUPS)} and MOTION in "
            f"{', '.join(WARP_MOTIONS)}, or one of {', '.join(SETTINGS)}"
        )
    warps = [k for k, _ in steps if k.startswith("warp-")]
    if len(warps) > 1:
        raise ValueError(f"setting {name!r}: at most one random warp, got {warps}")
    if len({k for k, _ in steps}) != len(steps):
        raise ValueError(f"setting {name!r}: a step appears twice")
    # a random warp before the generator, so that the generator sees (and can keep on the canvas) what it moved
    order = {"rcgan": 1, "classical": 2, "classical-dynamic": 2, "mix": 3}
    return sorted(steps, key=lambda st: 0 if st[0].startswith("warp-") else order[st[0]])


def split_warp(name: str) -> tuple[str, str] | None:
    """``"translation-drift"`` -> ``("translation", "drift")``, ``"mix"`` -> ``("mix", "")``; ``None`` for an
    unknown makeup or motion."""
    makeup, _, motion = name.partition("-")
    return (makeup, motion) if makeup in WARP_MAKEUPS and motion in ("", *WARP_MOTIONS) else None


def _setting_name(name: str) -> str:
    try:
        parse_setting(name)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return name


def needs_generator(setting: str) -> bool:
    """Warp settings need the generator too: their magnitude is matched to its displacement."""
    return any(k == "rcgan" or k.startswith("warp-") for k, _ in parse_setting(setting))


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = build_parser()
    if "--quick" in argv:
        parser.set_defaults(**QUICK)
    return parser.parse_args(argv)


# -- data ----------------------------------------------------------------------------------------------------
def _stack(ds: MovingMNIST, indices: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor]:
    clips, labels = zip(*(ds[i] for i in indices), strict=True)
    return torch.stack(clips), torch.tensor(labels)


def few_shot_subset(n: int, seed: int, args: argparse.Namespace) -> tuple[torch.Tensor, torch.Tensor]:
    """The first ``n`` clips of each class of the training stream of this seed: uint8 ``(10 n, T, 1, S, S)``.

    The subsets are nested: the clips for ``n = 10`` are among those for ``n = 50`` of the same seed. ``videoaug
    fit --set data.per_class=n --set data.num_samples=<1000 n> --set data.seed=<1000 + seed>`` trains a generator
    on exactly these clips (the "same data" protocol).
    """
    ds = MovingMNIST(100 * n * NUM_CLASSES, split="train", num_frames=args.frames, size=args.size,
                     seed=1000 + seed)
    return _stack(ds, first_per_class(ds, n))


def test_set(args: argparse.Namespace) -> tuple[torch.Tensor, torch.Tensor]:
    ds = MovingMNIST(args.test_samples, split="test", num_frames=args.frames, size=args.size, seed=TEST_SEED)
    return _stack(ds, range(len(ds)))


# -- augmentation --------------------------------------------------------------------------------------------
Pipeline = Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


def build_pipeline(setting: str, generator: GeneratorRef | None, args: argparse.Namespace) -> Pipeline:
    """``(uint8 clips (B, T, 1, S, S), labels (B,))`` -> ``(floats in [0, 1], labels or soft labels)``."""
    steps = parse_setting(setting)
    kinds = [k for k, _ in steps]
    dynamic = "classical-dynamic" in kinds  # DynaAugment: affine and jitter vary smoothly over the frames
    classical = v2.Compose([
        VT.RandomAffine(degrees=15, translate=(0.1, 0.1), scale=(0.85, 1.15), dynamic=dynamic),
        VT.ColorJitter(brightness=0.4, contrast=0.4, p=0.8, dynamic=dynamic),
        VT.TemporalReverse(p=0.5),
        VT.RandomTubeErasing(p=0.25),
    ])
    to_float = VT.ToDtype(torch.float32, scale=True)
    # half of the clips stay unmixed: with few steps, fully mixed batches slow learning down too much
    mix = RandomMix([MixUp(alpha=0.2, num_classes=NUM_CLASSES, mode="elem", p=0.5),
                     CutMix(alpha=1.0, num_classes=NUM_CLASSES, kind="temporal", mode="elem", p=0.5)])
    generative: list[Callable] = []  # in the order of steps: the random warp, then the generator
    for kind, amount in steps:
        if kind != "rcgan" and not kind.startswith("warp-"):
            continue
        if generator is None:
            raise ValueError(f"setting {setting!r} needs the RCGAN generator, got none")
        if kind == "rcgan":
            from videoaug.gan.augment import RCGANAugment

            generative.append(RCGANAugment(generator.path, p=args.rcgan_p, strength=amount * args.rcgan_strength,
                                           device=args.device))
        else:  # the untrained counterpart, at the same probability
            warp = generator.matched_warp(kind[5:], amount, p=args.rcgan_p)

            def warp_step(clips, labels, warp=warp):
                return warp(clips), labels

            generative.append(warp_step)

    def pipeline(clips: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        for step in generative:
            clips, labels = step(clips, labels)
        if "classical" in kinds or dynamic:
            clips = classical(clips)
        clips = to_float(clips)
        if "mix" in kinds:
            clips, labels = mix(clips, labels)
        return clips, labels

    return pipeline


class GeneratorRef:
    """One generator checkpoint for a (seed, N): its path, provenance, and the random warps matched to it.

    A random warp of a given makeup is matched by its *mean displacement* (pixels, over the pixels and frames of
    the training clips): ``magnitude = 1`` draws uniformly inside the generator's own bounds for the fields of the
    makeup, scaled so that its mean displacement equals the generator's at strength 1 on the same clips.
    """

    def __init__(self, path: str, train_clips: torch.Tensor, train_labels: torch.Tensor) -> None:
        from videoaug.gan.augment import resolve_checkpoint
        from videoaug.gan.checkpoint import load_generator

        self.path = str(resolve_checkpoint(path))
        self.model, self.config = load_generator(self.path)
        g = torch.Generator().manual_seed(0)
        with torch.no_grad():
            _, fields = self.model(train_clips, train_labels, generator=g, return_fields=True)
        size = tuple(train_clips.shape[-2:])
        self.displacement = warp_displacement(fields["shift"], fields["affine"], fields["warp"], size)
        self.grid = tuple(fields["warp"].shape[-2:])
        self.frames = train_clips.shape[1]
        self._size = size
        self._scale: dict[str, float] = {}

    def _bounds(self, makeup: str) -> tuple[float, float, float]:
        c = self.model.config
        use_shift, use_affine, use_field = WARP_MAKEUPS[makeup]
        return (c.max_shift if use_shift else 0.0, c.max_affine if use_affine else 0.0,
                c.max_warp if use_field else 0.0)

    def _warp(self, name: str, k: float, **kwargs) -> VT.RandomSmoothWarp:
        """The random warp ``name`` (``MAKEUP[-MOTION]``) with the generator's bounds of its makeup times ``k``."""
        makeup, motion = split_warp(name)
        shift, affine, field = self._bounds(makeup)
        return VT.RandomSmoothWarp(translate=k * shift, affine=k * affine, displacement=k * field,
                                   grid_size=self.grid, drift=1.0 if motion == "drift" else 0.0,
                                   dynamic=motion == "dynamic", **kwargs)

    def matched_warp(self, name: str, magnitude: float, p: float) -> VT.RandomSmoothWarp:
        """The random warp ``name`` (``MAKEUP[-MOTION]``) at ``magnitude`` times the generator's displacement."""
        if name not in self._scale:
            probe = self._warp(name, 1.0, generator=torch.Generator().manual_seed(1))
            frames = self.frames if split_warp(name)[1] else 1  # a moving warp is matched over its frames
            params = probe.sample_params(_shape(2000, self._size, frames))
            unit = warp_displacement(params["shift"], params["affine"], params["warp"], self._size)
            self._scale[name] = self.displacement / unit if unit > 0 else 0.0
        return self._warp(name, self._scale[name] * magnitude, padding_mode=self.model.config.padding_mode, p=p)

    def provenance(self, n: int, seed: int) -> dict:
        """Where the generator came from, and which protocol that makes for the classifier of (N, seed)."""
        config = json.loads((Path(self.path) / "config.json").read_text())
        data = config.get("data") or {}
        protocol = "more labelled data than the classifier"
        if data.get("kind") == "moving-mnist":
            if data.get("digit_source") == "glyphs":
                protocol = "transfer: another digit source (rendered font glyphs), no handwritten digit"
            elif data.get("per_class") == n and data.get("seed") == 1000 + seed and data.get("digit_source",
                                                                                         "") in ("", "uci"):
                protocol = "same data: trained on exactly the classifier's N clips per class"
        return {"checkpoint": self.path, "steps": config.get("steps"), "data": data,
                "command": config.get("command"), "protocol": protocol,
                "mean_displacement_px": round(self.displacement, 3),
                "warp_scale": {k: round(v, 4) for k, v in self._scale.items()}}


def _shape(batch: int, size: tuple[int, int], frames: int = 1):
    from videoaug.transforms._base import VideoShape

    return VideoShape(batch, frames, 1, size[0], size[1], torch.float32, torch.device("cpu"))


def warp_displacement(shift: torch.Tensor, affine: torch.Tensor, warp: torch.Tensor, size: tuple[int, int]
                      ) -> float:
    """Mean displacement in pixels of warps with these fields over a ``size = (H, W)`` frame.

    Args:
        shift: ``(..., 2)``; affine: ``(..., 2, 2)``; warp: ``(..., 2, gh, gw)`` (normalised units), with the
            same leading dimensions (clips, or clips and frames).
    """
    from videoaug.functional import smooth_warp_grid

    lead = shift.shape[:-1]
    n = int(torch.tensor(lead).prod()) if len(lead) else 1
    grid = smooth_warp_grid(size, shift.reshape(n, 2), affine.reshape(n, 2, 2),
                            warp.reshape(n, 2, *warp.shape[-2:]))
    base = smooth_warp_grid(size, torch.zeros(1, 2))
    h, w = size
    d = (grid - base) * torch.tensor([w / 2, h / 2])
    return float(d.norm(dim=-1).mean())


# -- one run -------------------------------------------------------------------------------------------------
@torch.no_grad()
def accuracy(model: torch.nn.Module, clips: torch.Tensor, labels: torch.Tensor, device: str,
             chunk: int = 250) -> float:
    model.eval()
    correct = 0
    for i in range(0, len(clips), chunk):
        logits = model(clips[i : i + chunk].to(device))
        correct += int((logits.argmax(1).cpu() == labels[i : i + chunk]).sum())
    return correct / len(clips)


def train_and_test(train: tuple[torch.Tensor, torch.Tensor], test: tuple[torch.Tensor, torch.Tensor],
                   pipeline: Pipeline, seed: int, args: argparse.Namespace) -> float:
    """Train a fresh classifier for ``args.steps`` steps on ``train`` through ``pipeline``; test accuracy."""
    torch.manual_seed(seed)  # same weights and batch order for every setting of this seed
    model = ReferenceClassifier(in_channels=1, num_classes=NUM_CLASSES, width=args.width).to(args.device)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.steps, pct_start=0.15)
    order = torch.Generator().manual_seed(seed)
    clips, labels = train
    batch = min(args.batch_size, len(clips))
    perm = torch.empty(0, dtype=torch.long)
    model.train()
    for _ in range(args.steps):
        if len(perm) < batch:  # a new epoch: reshuffle
            perm = torch.cat([perm, torch.randperm(len(clips), generator=order)])
        idx, perm = perm[:batch], perm[batch:]
        x, y = pipeline(clips[idx].to(args.device), labels[idx].to(args.device))
        loss = F.cross_entropy(model(x), y)  # y: class indices, or soft labels after mixing
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if not math.isfinite(loss.item()):
            raise RuntimeError(f"loss became {loss.item()}: lower --lr")
    return accuracy(model, *test, args.device)


# -- report --------------------------------------------------------------------------------------------------
def summarise(runs: list[dict]) -> dict[str, dict[str, dict]]:
    """``{str(N): {setting: {"mean", "std", "accuracies"}}}``; ``std``: sample std over seeds (0 for one)."""
    out: dict[str, dict[str, dict]] = {}
    for r in runs:
        out.setdefault(str(r["n_per_class"]), {}).setdefault(r["setting"], {"accuracies": []})
        out[str(r["n_per_class"])][r["setting"]]["accuracies"].append(r["accuracy"])
    for by_setting in out.values():
        for s in by_setting.values():
            accs = s["accuracies"]
            s["mean"] = statistics.fmean(accs)
            s["std"] = statistics.stdev(accs) if len(accs) > 1 else 0.0
    return out


def verdicts(summary: dict[str, dict[str, dict]], n: str) -> list[str]:
    """The targets of the ablation, checked against the measured means at ``N = n``."""
    s = summary.get(n, {})
    lines = []

    def gain(a: str, b: str) -> float | None:
        return 100 * (s[a]["mean"] - s[b]["mean"]) if a in s and b in s else None

    for a, b, target in [("classical", "none", 0.0), ("classical+mix", "classical", 0.0),
                         ("classical+rcgan", "classical", 0.0), ("all", "classical+mix", 2.0)]:
        g = gain(a, b)
        if g is not None:
            ok = "met" if g > target else "NOT met"
            lines.append(f"N={n}: {a} vs {b}: {g:+.1f} points (target > {target:+.1f}): {ok}")
    return lines


def paired(runs: list[dict], n: int, a: str, b: str) -> dict | None:
    """Per-seed differences ``a - b`` in points at ``N = n`` over the seeds both ran: mean, std, positives."""
    acc = {(r["setting"], r["seed"]): r["accuracy"] for r in runs if r["n_per_class"] == n}
    seeds = sorted({sd for (st, sd) in acc if st == a} & {sd for (st, sd) in acc if st == b})
    if not seeds:
        return None
    diffs = [100 * (acc[(a, sd)] - acc[(b, sd)]) for sd in seeds]
    return {"a": a, "b": b, "n": n, "seeds": seeds, "diffs": diffs, "mean": statistics.fmean(diffs),
            "std": statistics.stdev(diffs) if len(diffs) > 1 else 0.0, "positive": sum(d > 0 for d in diffs)}


def _family(setting: str) -> str | None:
    """``"rcgan"`` or ``"warp"`` for a generative setting with the classical transforms and no mixing."""
    steps = dict(parse_setting(setting.split(" [")[0]))
    if "classical" not in steps or "mix" in steps:
        return None
    if "rcgan" in steps:
        return "rcgan"
    return "warp" if any(k.startswith("warp-") for k in steps) else None


def comparisons(report: dict) -> list[str]:
    """Paired differences: every generative setting against classical, and best generator against best warp."""
    runs, lines = report["runs"], []
    for n in sorted({r["n_per_class"] for r in runs}):
        means = report["summary"][str(n)]
        if d := paired(runs, n, "classical-dynamic", "classical"):
            lines.append(f"N={n}: classical-dynamic - classical: {d['mean']:+.1f} ± {d['std']:.1f} points, "
                         f"positive on {d['positive']} of {len(d['seeds'])} seeds")
        for setting in means:
            if _family(setting) and (d := paired(runs, n, setting, "classical")):
                lines.append(f"N={n}: {setting} - classical: {d['mean']:+.1f} ± {d['std']:.1f} points, "
                             f"positive on {d['positive']} of {len(d['seeds'])} seeds")
        best = {fam: max((st for st in means if _family(st) == fam), key=lambda st: means[st]["mean"],
                         default=None) for fam in ("rcgan", "warp")}
        if best["rcgan"] and best["warp"] and (d := paired(runs, n, best["rcgan"], best["warp"])):
            target = n != 10 or (d["mean"] >= 2.0 and d["positive"] == len(d["seeds"]))
            goal = ("target: >= +2.0 and positive on every seed" if n == 10 else "reported")
            lines.append(f"N={n}: best generator ({best['rcgan']}) - best random warp ({best['warp']}): "
                         f"{d['mean']:+.1f} ± {d['std']:.1f} points, positive on {d['positive']} of "
                         f"{len(d['seeds'])} seeds ({goal}{': met' if n == 10 and target else ''}"
                         f"{': NOT met' if n == 10 and not target else ''})")
        if best["rcgan"] and n != 10 and (d := paired(runs, n, best["rcgan"], "classical")):
            lines.append(f"N={n}: best generator - classical: {d['mean']:+.1f} ± {d['std']:.1f} points (target: "
                         f"no loss: {'met' if d['mean'] >= 0 else 'NOT met'})")
    return lines


def table(summary: dict[str, dict[str, dict]], settings: Sequence[str]) -> str:
    ns = sorted(summary, key=int)
    head = "| setting | " + " | ".join(f"N = {n} per class" for n in ns) + " |"
    rows = [head, "|" + "---|" * (len(ns) + 1)]
    for setting in settings:
        cells = []
        for n in ns:
            s = summary[n].get(setting)
            cells.append(f"{100 * s['mean']:.1f} ± {100 * s['std']:.1f}" if s else "")
        rows.append(f"| {setting} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def write_markdown(path: Path, report: dict) -> None:
    notes = ""
    if path.is_file() and NOTES_MARK in path.read_text():
        notes = path.read_text().split(NOTES_MARK, 1)[1]
    cfg = report["config"]
    lines = [
        "# Results: what each augmentation is worth with few labels",
        "",
        "Written by `examples/ablation_moving_mnist.py`; the figures are as measured, not edited.",
        "",
        f"Test accuracy (%) on {cfg['test_samples']} held-out labelled Moving MNIST clips (digit images "
        f"never seen in training), mean ± std over seeds {cfg['seeds']}. The classifier is videoaug's "
        f"reference 3-D CNN (width {cfg['width']}, {report['parameters']} parameters) trained for "
        f"{cfg['steps']} steps of batch {cfg['batch_size']} on N clips per class ({cfg['frames']} frames, "
        f"{cfg['size']}x{cfg['size']}).",
        "",
        table(report["summary"], cfg["settings"]),
        "",
        "Checked against the targets:",
        "",
        *[f"- {v}" for n in sorted(report["summary"], key=int) for v in verdicts(report["summary"], n)],
        "",
        "Paired over seeds (the same training clips, initial weights and batch order for every setting of a "
        "seed); a random warp's magnitude 1 has the generator's mean displacement on the same clips:",
        "",
        *[f"- {v}" for v in comparisons(report)],
        "",
        f"- command: `{report['command']}`",
        f"- device: {report['device']}, torch {report['torch']}, {report['threads']} threads",
        (f"- wall time: {report['wall_seconds'] / 60:.1f} min" if " && " not in report["command"] else
         f"- wall time: {report['wall_seconds'] / 60:.1f} min summed over the {report['command'].count(' && ') + 1} "
         "runs merged here (they may have run in parallel)"),
    ]
    seen = set()
    for g in _generators(report):
        if g["checkpoint"] in seen:
            continue
        seen.add(g["checkpoint"])
        lines.append(f"- generator `{g['checkpoint']}`{' (' + g['tag'] + ')' if g.get('tag') else ''}: "
                     f"{g.get('protocol', 'more labelled data than the classifier')}; trained {g['steps']} steps "
                     f"on {json.dumps(g['data'])}; mean displacement "
                     f"{g.get('mean_displacement_px', 'not measured')} px")
    lines += ["", NOTES_MARK]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + (notes if notes else "\n"))


def _generators(report: dict) -> list[dict]:
    """The generator provenance records of a report (older reports had one ``rcgan`` record)."""
    if "generators" in report:
        return list(report["generators"])
    return [report["rcgan"]] if report.get("rcgan") else []


def merge_earlier(earlier: dict, args: argparse.Namespace, runs: list[dict], commands: list[str],
                  wall: float) -> tuple[list[dict], list[str], list[str], float]:
    """Merge the runs of an earlier report (``--add-to``) into this one; refuse a different configuration."""
    # runs carry their own N, seed and setting, so files of other seeds, N or settings merge
    ignore = {"settings", "threads", "add_to", "merge_only", "rcgan_checkpoint", "rcgan_p", "rcgan_strength",
              "tag", "seeds", "n_per_class"}
    mine = {k: v for k, v in vars(args).items() if k not in ignore | {"json", "markdown"}}
    theirs = {k: v for k, v in earlier["config"].items() if k not in ignore}
    diff = sorted(k for k in mine.keys() | theirs.keys() if mine.get(k) != theirs.get(k))
    if diff:
        raise ValueError(f"--add-to: the earlier run used a different configuration for {diff}")
    new_keys = {(r["n_per_class"], r["setting"], r["seed"]) for r in runs}
    kept = [r for r in earlier["runs"] if (r["n_per_class"], r["setting"], r["seed"]) not in new_keys]
    settings = list(dict.fromkeys([*earlier["config"]["settings"], *(r["setting"] for r in runs)]))
    return kept + runs, settings, commands, wall + earlier["wall_seconds"]


# -- main ----------------------------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    start = time.perf_counter()
    if args.merge_only:
        if not args.add_to:
            raise ValueError("--merge-only needs the results files to merge (--add-to A.json B.json ...)")
        args.settings = []
    needs_rcgan = any(needs_generator(s) for s in args.settings)
    generators: dict[str, GeneratorRef] = {}
    provenance: list[dict] = []
    runs = []
    if args.settings:
        test = test_set(args)
        print(f"test set: {len(test[0])} clips; {len(args.settings)} settings x {len(args.n_per_class)} N x "
              f"{len(args.seeds)} seeds, {args.steps} steps each, on {args.device} with "
              f"{torch.get_num_threads()} threads", flush=True)
    for seed in args.seeds if args.settings else []:
        for n in args.n_per_class:
            train = few_shot_subset(n, seed, args)
            ref = None
            if needs_rcgan:
                path = args.rcgan_checkpoint.format(seed=seed, n=n)
                if path not in generators:  # matched to the generator on this seed's training clips
                    generators[path] = GeneratorRef(path, *train)
                ref = generators[path]
            for setting in args.settings:
                t0 = time.perf_counter()
                acc = train_and_test(train, test, build_pipeline(setting, ref, args), seed, args)
                name = f"{setting} [{args.tag}]" if args.tag and needs_generator(setting) else setting
                runs.append({"n_per_class": n, "setting": name, "seed": seed, "accuracy": acc,
                             "seconds": round(time.perf_counter() - t0, 1)})
                print(f"N={n:<3d} seed {seed} {setting:<24s} accuracy {100 * acc:5.1f}%  "
                      f"({runs[-1]['seconds']:.0f}s)", flush=True)
            if ref is not None:
                provenance.append({"n_per_class": n, "seed": seed, "tag": args.tag, **ref.provenance(n, seed)})

    commands = ["python examples/ablation_moving_mnist.py " + " ".join(shlex.quote(a) for a in argv)]
    wall = time.perf_counter() - start
    if args.merge_only:
        commands, wall = [], 0.0
    earlier_reports = [json.loads(Path(f).read_text()) for f in args.add_to]
    for earlier in earlier_reports:
        runs, settings, commands, wall = merge_earlier(earlier, args, runs, commands, wall)
    args.settings = list(dict.fromkeys(r["setting"] for r in runs))  # as reported (tagged), in the order run
    if runs:
        args.seeds = sorted({r["seed"] for r in runs})
        args.n_per_class = sorted({r["n_per_class"] for r in runs})
    commands = [e["command"] for e in earlier_reports] + commands  # in the order they ran
    summary = summarise(runs)
    model = ReferenceClassifier(in_channels=1, num_classes=NUM_CLASSES, width=args.width)
    device = args.device if args.device == "cpu" else torch.cuda.get_device_name(args.device)
    report = {
        "command": " && ".join(commands),
        "device": f"{device} ({platform.processor() or platform.machine()})",
        "torch": torch.__version__,
        "threads": (max(e["threads"] for e in earlier_reports) if args.merge_only else torch.get_num_threads()),
        "wall_seconds": round(wall, 3),
        "parameters": sum(p.numel() for p in model.parameters()),
        "config": {k: v for k, v in vars(args).items() if k not in ("json", "markdown")},
        "generators": provenance + [g for e in earlier_reports for g in _generators(e)],
        "summary": summary, "runs": runs,
    }
    print()
    print(table(summary, args.settings))
    for n in sorted(summary, key=int):
        for line in verdicts(summary, n):
            print(line)
    for line in comparisons(report):
        print(line)
    print(f"wall time {report['wall_seconds'] / 60:.1f} min")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    if args.markdown:
        write_markdown(Path(args.markdown), report)
        print(f"wrote {args.markdown}" + (f" and {args.json}" if args.json else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
