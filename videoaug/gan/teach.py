"""A classifier-aware objective for the generator: TeachAugment's student and teacher.

Suzuki, "TeachAugment: Data Augmentation Optimization Using Teacher Knowledge" (CVPR 2022): an augmentation model
is trained adversarially against the classifier it augments for -- it looks for inputs the *student* gets wrong
-- but only for inputs that a *teacher* (an exponential moving average of the student) still recognises, so that
it finds hard positives instead of destroying the class. Per step:

- the student takes one AdamW step on real clips and on the generator's clips (detached), with their labels;
  the teacher follows it as an EMA;
- the generator's loss gets ``weight * (CE(teacher(G(x)), y) - CE(student(G(x)), y))``: lower when the student
  is wrong, higher when the teacher is wrong too.

The student is videoaug's :class:`~videoaug.classifier.ReferenceClassifier` (a small 3-D CNN with per-clip input
standardisation). It is training state only: checkpoints keep it for resuming, the shipped generator does not
need it.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F

from videoaug.classifier import ReferenceClassifier

__all__ = ["TeachObjective"]


class TeachObjective:
    """Student classifier, its EMA teacher and the generator's teach term.

    Args:
        channels: clip channels C.
        num_classes: number of classes (at least 2: the objective needs labels).
        width: the student's first-stage width.
        lr: the student's AdamW learning rate.
        ema: the teacher's EMA decay.
        device: where both classifiers live.

    Shape:
        clips are float ``(B, T, C, H, W)`` in [0, 1]; labels ``(B,)`` long class indices (no ``-1``).
    """

    def __init__(self, channels: int, num_classes: int, width: int, lr: float, ema: float,
                 device: torch.device) -> None:
        if num_classes < 2:
            raise ValueError(
                f"loss.teach: the classifier-aware objective needs labelled data with at least 2 classes, got "
                f"{num_classes}; set loss.teach = 0 for unlabelled data"
            )
        self.ema = ema
        self.student = ReferenceClassifier(channels, num_classes, width).to(device)
        self.teacher = copy.deepcopy(self.student).eval().requires_grad_(False)
        self.opt = torch.optim.AdamW(self.student.parameters(), lr=lr, weight_decay=1e-4)

    def generator_loss(self, fake: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
        """The teach term for the generator (to be minimised) and the two cross entropies it is made of."""
        self.student.requires_grad_(False)  # gradients flow to the generator only
        try:
            ce_student = F.cross_entropy(self.student(fake), labels)
            ce_teacher = F.cross_entropy(self.teacher(fake), labels)
        finally:
            self.student.requires_grad_(True)
        logs = {"teach_student_ce": float(ce_student.detach()), "teach_teacher_ce": float(ce_teacher.detach())}
        return ce_teacher - ce_student, logs

    def student_step(self, real: torch.Tensor, fake: torch.Tensor, labels: torch.Tensor) -> float:
        """One student update on ``real`` and ``fake`` (detached), then the teacher's EMA; returns the loss."""
        x = torch.cat([real, fake.detach()])
        y = torch.cat([labels, labels])
        self.student.train()
        loss = F.cross_entropy(self.student(x), y)
        if not torch.isfinite(loss):
            raise FloatingPointError(f"loss.teach: the student's loss became {float(loss)}")
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        with torch.no_grad():
            for pt, ps in zip(self.teacher.parameters(), self.student.parameters(), strict=True):
                pt.lerp_(ps, 1 - self.ema)
            for bt, bs in zip(self.teacher.buffers(), self.student.buffers(), strict=True):
                bt.copy_(bs)
        return float(loss.detach())

    # -- checkpointing (flat tensors, no pickle) --------------------------------------------------------------
    def modules(self) -> dict[str, torch.nn.Module]:
        return {"teach_student": self.student, "teach_teacher": self.teacher}
