"""RCGAN networks: an input-anchored recurrent conditional generator and two pair discriminators.

Modules only: explicit constructor arguments, no training state (the losses live in ``losses.py``, the loop in
``train.py``).

The generator follows the recurrent conditional GAN of Esteban, Hyland and Rätsch, "Real-valued (Medical) Time
Series Generation with Recurrent Conditional GANs" (2017) -- a recurrent core over time with the condition fed
at every step -- and the data-augmentation GAN of Antoniou, Storkey and Edwards, "Data Augmentation Generative
Adversarial Networks" (DAGAN, 2017) -- the generator is anchored on a real clip and must return a *different*
clip of the same class; the discriminators see the pair (anchor, candidate), so returning the anchor is
detectably fake.

Rather than painting pixels, the generator predicts, for every frame, a bounded smooth geometric warp (an
affine part plus a coarse residual displacement field) and a low-frequency photometric gain and bias, and
applies them to the input with ``grid_sample``. That keeps the identity and class of the content, is cheap
enough to train on a CPU, and is resolution-free: the fields live in normalised coordinates and are upsampled
to whatever size the input has.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from videoaug._video import check_batch, from_float, to_float

__all__ = [
    "GeneratorSettings",
    "GeneratorConfig",
    "Generator",
    "FrameDiscriminator",
    "ClipDiscriminator",
    "sample_noise",
    "count_parameters",
    "RECURRENT_CORES",
]

#: the generator's recurrent cores over the frames, by the name ``GeneratorSettings.core`` takes
RECURRENT_CORES = {"gru": nn.GRU, "lstm": nn.LSTM}


@dataclass
class GeneratorSettings:
    """The generator's sizes and bounds: what a user chooses (``[model.generator]`` of a training config).

    Args:
        width: channels of the first encoder stage (the second and third have ``2 * width``).
        hidden: hidden units per direction of the bidirectional recurrent core.
        embed_dim: size of the class embedding.
        z_dim: size of the per-clip noise vector.
        frame_noise_dim: size of the per-frame noise vector.
        max_shift: largest translation, in normalised units (1.0 = half the image side).
        max_affine: largest deviation of the affine matrix's linear part from the identity, per entry.
        max_warp: largest residual displacement, in normalised units.
        max_gain: largest relative change of brightness (gain in ``[1 - max_gain, 1 + max_gain]``).
        max_bias: largest additive brightness offset.
        padding_mode: ``grid_sample`` padding for pixels pulled from outside the frame.
        max_drift: largest change of the translation from the first frame to the last, per axis, in normalised
            units, predicted once per clip by a trajectory head and spread linearly over the frames (a constant
            velocity added to the clip's motion); 0 builds no such head (the checkpoints made before it).
        core: the recurrent core over the frames: ``"gru"`` (bidirectional GRU) or ``"lstm"`` (bidirectional
            LSTM, as in RCGAN, Esteban et al. 2017).
    """

    width: int = 16
    hidden: int = 64
    embed_dim: int = 16
    z_dim: int = 32
    frame_noise_dim: int = 8
    max_shift: float = 0.3
    max_affine: float = 0.2
    max_warp: float = 0.08
    max_gain: float = 0.25
    max_bias: float = 0.1
    padding_mode: str = "zeros"
    core: str = "gru"
    max_drift: float = 0.0


@dataclass
class GeneratorConfig(GeneratorSettings):
    """Constructor arguments of :class:`Generator` (stored in a checkpoint's ``config.json``): the
    :class:`GeneratorSettings` plus what the data decides.

    Args:
        channels: image channels C (1 or 3).
        num_classes: number of classes; the embedding has one more row for "no label".
        resolution: (H, W) the encoder works at; inputs of another size are resized for the encoder only.
        **settings: the fields of :class:`GeneratorSettings`.
    """

    channels: int = 1
    num_classes: int = 10
    resolution: tuple[int, int] = (64, 64)

    @classmethod
    def from_settings(
        cls, settings: GeneratorSettings, channels: int, num_classes: int, resolution: tuple[int, int]
    ) -> GeneratorConfig:
        """``settings`` completed with the data's channels, class count and resolution."""
        return cls(channels=channels, num_classes=num_classes, resolution=tuple(resolution), **asdict(settings))

    def to_dict(self) -> dict:
        d = asdict(self)
        d["resolution"] = list(self.resolution)
        return d


def sample_noise(
    batch: int,
    num_frames: int,
    z_dim: int,
    frame_noise_dim: int,
    generator: torch.Generator | None = None,
    device: torch.device | str = "cpu",
) -> tuple[torch.Tensor, torch.Tensor]:
    """Draw generator noise: a per-clip ``z`` ``(B, z_dim)`` and per-frame noise ``(B, T,
    frame_noise_dim)``."""
    gen_device = generator.device if generator is not None else torch.device(device)
    z = torch.randn(batch, z_dim, generator=generator, device=gen_device)
    e = torch.randn(batch, num_frames, frame_noise_dim, generator=generator, device=gen_device)
    return z.to(device), e.to(device)


class _ResBlock(nn.Module):
    """Residual block conv-act-conv with a 1x1 skip; ``stride=2`` halves the resolution."""

    def __init__(self, cin: int, cout: int, stride: int = 2) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1, stride=stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv2(F.leaky_relu(self.conv1(x), 0.2))
        return F.leaky_relu(h + self.skip(x), 0.2)


class Generator(nn.Module):
    """Input-anchored recurrent conditional generator (RCGAN core, DAGAN anchoring, warp + photometric head).

    Architecture: a small ResNet (4×4 patch stem, two residual blocks) encodes each frame (resized to
    ``resolution``) to 1/8 of the resolution; the globally pooled frame features, the class embedding, the
    per-clip noise ``z`` and the per-frame noise enter a bidirectional GRU (or LSTM, ``core="lstm"``) at every
    time step. From each recurrent output a linear head predicts a bounded affine warp (with ``max_drift > 0`` a
    trajectory head adds, from the clip's mean recurrent output and ``z``, a translation that changes linearly
    from the first frame to the last by at most ``max_drift``); the same output
    modulates (FiLM) the frame's 1/8 feature map, from which a convolutional head predicts a bounded residual
    displacement field and a photometric gain and bias. The fields are upsampled bilinearly to the input size
    and applied with ``grid_sample``. The last layers start at zero, so an untrained generator is the identity.
    ``strength`` scales every field (0 gives the input back, 1 the trained amount; values above 1 go further
    than the bounds the model was trained with).

    Args:
        config: a :class:`GeneratorConfig`; keyword arguments override or replace it.

    Shape:
        ``video``: ``(B, T, C, H, W)`` (or a clip ``(T, C, H, W)``), uint8 or float in [0, 1], any ``H, W``;
        ``labels``: ``(B,)`` long, ``-1`` meaning "no label". The output has the input's shape and dtype.

    Example:
        >>> g = Generator(GeneratorConfig(channels=1, num_classes=10))
        >>> x = torch.rand(2, 8, 1, 48, 40)
        >>> y = g(x, torch.tensor([3, -1]), strength=1.0)
        >>> y.shape == x.shape and bool(torch.allclose(y, x, atol=1e-5))  # untrained: the identity
        True
    """

    def __init__(self, config: GeneratorConfig | None = None, **kwargs) -> None:
        super().__init__()
        cfg = GeneratorConfig(**{**(asdict(config) if config is not None else {}), **kwargs})
        cfg.resolution = tuple(int(v) for v in cfg.resolution)  # type: ignore[assignment]
        if cfg.channels not in (1, 3):
            raise ValueError(f"Generator: channels must be 1 or 3, got {cfg.channels}")
        if cfg.num_classes < 1:
            raise ValueError(f"Generator: num_classes must be >= 1, got {cfg.num_classes}")
        if min(cfg.resolution) < 16:
            raise ValueError(f"Generator: resolution must be at least 16x16, got {cfg.resolution}")
        if cfg.core not in RECURRENT_CORES:
            raise ValueError(f"Generator: core must be one of {', '.join(map(repr, RECURRENT_CORES))}, got "
                             f"{cfg.core!r}")
        self.config = cfg
        w, c = cfg.width, cfg.channels
        feat = 2 * w
        self.encoder = nn.Sequential(  # 4x4 patches (1/4), then residual blocks to 1/8
            nn.Conv2d(c, w, 4, stride=4),
            nn.LeakyReLU(0.2),
            _ResBlock(w, feat, stride=2),
            _ResBlock(feat, feat, stride=1),
        )
        self.embed = nn.Embedding(cfg.num_classes + 1, cfg.embed_dim)
        rnn_in = feat + cfg.embed_dim + cfg.z_dim + cfg.frame_noise_dim
        self.rnn = RECURRENT_CORES[cfg.core](rnn_in, cfg.hidden, batch_first=True, bidirectional=True)
        out = 2 * cfg.hidden
        self.affine_head = nn.Linear(out, 6)
        self.film = nn.Linear(out, 2 * feat)
        self.field_head = nn.Sequential(
            nn.Conv2d(feat, feat, 3, padding=1), nn.LeakyReLU(0.2), nn.Conv2d(feat, 2 + 2 * c, 3, padding=1)
        )
        # the trajectory head sees z directly, so two noise draws can ask for two different motions
        self.drift_head = nn.Linear(out + cfg.z_dim, 2) if cfg.max_drift > 0 else None
        for layer in (self.affine_head, self.field_head[-1], self.drift_head):
            if layer is None:
                continue
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)
        nn.init.zeros_(self.film.weight)
        nn.init.zeros_(self.film.bias)

    # ------------------------------------------------------------------ helpers
    def sample_noise(
        self, batch: int, num_frames: int, generator: torch.Generator | None = None, device=None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Noise for :meth:`forward`: ``(z (B, z_dim), frame noise (B, T, frame_noise_dim))``."""
        device = device if device is not None else self.embed.weight.device
        cfg = self.config
        return sample_noise(batch, num_frames, cfg.z_dim, cfg.frame_noise_dim, generator, device)

    def _labels(self, labels: torch.Tensor | int | None, batch: int, device) -> torch.Tensor:
        n = self.config.num_classes
        if labels is None:
            return torch.full((batch,), n, dtype=torch.long, device=device)
        labels = torch.as_tensor(labels, device=device)
        if labels.ndim == 0:
            labels = labels.expand(batch)
        if labels.shape != (batch,) or labels.dtype not in (
            torch.int64,
            torch.int32,
            torch.int16,
            torch.uint8,
        ):
            raise ValueError(
                f"labels: expected an integer tensor of shape ({batch},) with values in [-1, {n - 1}], got "
                f"{labels.dtype} of shape {tuple(labels.shape)}"
            )
        labels = labels.long()
        if labels.numel() and (int(labels.min()) < -1 or int(labels.max()) >= n):
            raise ValueError(
                f"labels: expected values in [-1, {n - 1}] (-1 = no label), got min {int(labels.min())} "
                f"max {int(labels.max())}"
            )
        return torch.where(labels < 0, torch.full_like(labels, n), labels)

    # ------------------------------------------------------------------ forward
    def forward(
        self,
        video: torch.Tensor,
        labels: torch.Tensor | int | None = None,
        noise: tuple[torch.Tensor, torch.Tensor] | torch.Tensor | None = None,
        strength: float = 1.0,
        generator: torch.Generator | None = None,
        *,
        return_fields: bool = False,
    ):
        """Return a generated variant of ``video``.

        Args:
            video: ``(B, T, C, H, W)`` or ``(T, C, H, W)``, uint8 or float in [0, 1].
            labels: ``(B,)`` class indices, ``-1`` for "no label"; an int for all clips; ``None``: no label.
            noise: ``(z, frame_noise)`` as from :meth:`sample_noise`, or only ``z`` (the per-frame noise is
                then drawn); ``None`` draws both from ``generator`` (or torch's global RNG).
            strength: scales all fields; 0 returns the input.
            generator: optional ``torch.Generator`` for the noise.
            return_fields: also return a dict of the fields (for the regularisers).

        Returns:
            The generated video with the input's shape and dtype, or ``(video, fields)``.
        """
        was_clip = video.ndim == 4
        batch = video.unsqueeze(0) if was_clip else video
        check_batch(batch)
        B, T, C, H, W = batch.shape
        if C != self.config.channels:
            raise ValueError(
                f"video: the generator was built for C={self.config.channels} channels, got C={C} in shape "
                f"{tuple(video.shape)}"
            )
        dtype = batch.dtype
        device = self.embed.weight.device
        x = to_float(batch).to(device)
        z, e = self._noise(noise, B, T, generator, device)
        y = self._labels(labels, B, device)

        # per-frame encoder at the working resolution
        frames = x.reshape(B * T, C, H, W)
        if (H, W) != self.config.resolution:
            frames = F.interpolate(
                frames, size=self.config.resolution, mode="bilinear", align_corners=False, antialias=True
            )
        fmap = self.encoder(frames * 2 - 1)  # (BT, F, h, w)
        pooled = fmap.mean(dim=(2, 3)).reshape(B, T, -1)
        cond = torch.cat(
            [
                pooled,
                self.embed(y)[:, None].expand(B, T, -1),
                z.to(pooled)[:, None].expand(B, T, -1),
                e.to(pooled),
            ],
            dim=2,
        )
        h, _ = self.rnn(cond)  # (B, T, 2*hidden)
        cfg = self.config
        drift = None
        if self.drift_head is not None:
            drift = cfg.max_drift * torch.tanh(self.drift_head(torch.cat([h.mean(dim=1), z.to(h)], dim=1)))  # (B, 2)
        h = h.reshape(B * T, -1)

        raw = self.affine_head(h)
        lin = cfg.max_affine * torch.tanh(raw[:, :4]).reshape(B * T, 2, 2)
        shift = cfg.max_shift * torch.tanh(raw[:, 4:6])
        if drift is not None:  # centred ramp: the clip's mean position is the per-frame head's, the drift is extra
            ramp = torch.linspace(-0.5, 0.5, T, device=h.device, dtype=h.dtype) if T > 1 else h.new_zeros(1)
            shift = shift + (drift[:, None, :] * ramp[None, :, None]).reshape(B * T, 2)
        gamma, beta = self.film(h).chunk(2, dim=1)
        mod = fmap * (1 + gamma[:, :, None, None]) + beta[:, :, None, None]
        fields = self.field_head(mod)  # (BT, 2 + 2C, h, w)
        warp = cfg.max_warp * torch.tanh(fields[:, :2])
        gain = cfg.max_gain * torch.tanh(fields[:, 2 : 2 + C])
        bias = cfg.max_bias * torch.tanh(fields[:, 2 + C :])

        out = self.apply_fields(x.reshape(B * T, C, H, W), lin, shift, warp, gain, bias, strength)
        out = out.reshape(B, T, C, H, W)
        out = from_float(out, dtype) if dtype == torch.uint8 else out.to(dtype)
        if was_clip:
            out = out.squeeze(0)
        if return_fields:
            return out, {
                "affine": lin.reshape(B, T, 2, 2),
                "shift": shift.reshape(B, T, 2),
                "warp": warp.reshape(B, T, 2, *warp.shape[-2:]),
                "gain": gain.reshape(B, T, C, *gain.shape[-2:]),
                "bias": bias.reshape(B, T, C, *bias.shape[-2:]),
            }
        return out

    def _noise(self, noise, B: int, T: int, generator, device) -> tuple[torch.Tensor, torch.Tensor]:
        cfg = self.config
        if noise is None:
            return self.sample_noise(B, T, generator, device)
        if isinstance(noise, torch.Tensor):
            z = noise
            e = sample_noise(B, T, 1, cfg.frame_noise_dim, generator, device)[1]
        else:
            z, e = noise
        if z.shape != (B, cfg.z_dim) or e.shape != (B, T, cfg.frame_noise_dim):
            raise ValueError(
                f"noise: expected z ({B}, {cfg.z_dim}) and frame noise ({B}, {T}, {cfg.frame_noise_dim}), "
                f"got {tuple(z.shape)} and {tuple(e.shape)}"
            )
        return z.to(device), e.to(device)

    def apply_fields(
        self,
        frames: torch.Tensor,
        lin: torch.Tensor,
        shift: torch.Tensor,
        warp: torch.Tensor,
        gain: torch.Tensor,
        bias: torch.Tensor,
        strength: float = 1.0,
        padding_mode: str | None = None,
    ) -> torch.Tensor:
        """Warp and re-light frames ``(N, C, H, W)`` float with explicit fields (no randomness).

        Args:
            frames: ``(N, C, H, W)`` float in [0, 1].
            lin: ``(N, 2, 2)`` deviation of the affine linear part from the identity.
            shift: ``(N, 2)`` translation (x, y) in normalised units.
            warp: ``(N, 2, h, w)`` residual displacement (x, y), upsampled bilinearly to ``(H, W)``.
            gain, bias: ``(N, C, h, w)`` relative gain and additive bias, upsampled bilinearly.
            strength: multiplies every field.
            padding_mode: ``grid_sample`` padding (``zeros``, ``border``, ``reflection``) instead of the config's
                (``RCGANAugment`` uses it to keep black bands off natural frames).

        Returns:
            ``(N, C, H, W)`` float in [0, 1].
        """
        N, C, H, W = frames.shape
        eye = torch.eye(2, device=frames.device, dtype=frames.dtype).expand(N, 2, 2)
        theta = torch.cat(
            [eye + strength * lin.to(frames.dtype), strength * shift.to(frames.dtype)[:, :, None]], 2
        )
        grid = F.affine_grid(theta, [N, C, H, W], align_corners=False)
        flow = F.interpolate(warp.to(frames.dtype), size=(H, W), mode="bilinear", align_corners=False)
        grid = grid + strength * flow.permute(0, 2, 3, 1)
        out = F.grid_sample(
            frames, grid, mode="bilinear", padding_mode=padding_mode or self.config.padding_mode, align_corners=False
        )
        g = F.interpolate(gain.to(frames.dtype), size=(H, W), mode="bilinear", align_corners=False)
        b = F.interpolate(bias.to(frames.dtype), size=(H, W), mode="bilinear", align_corners=False)
        return (out * (1 + strength * g) + strength * b).clamp(0, 1)


def _pair_input(anchor: torch.Tensor, candidate: torch.Tensor) -> torch.Tensor:
    if anchor.shape != candidate.shape:
        raise ValueError(
            f"discriminator: anchor and candidate must have the same shape, got {tuple(anchor.shape)} and "
            f"{tuple(candidate.shape)}"
        )
    return torch.cat([anchor, candidate], dim=-3) * 2 - 1  # channels; [0, 1] -> [-1, 1]


class FrameDiscriminator(nn.Module):
    """Per-frame pair discriminator with an auxiliary class head.

    The anchor frame and the candidate frame are concatenated on channels, so a candidate equal to its anchor
    is easy to spot. Strided convolutions down to 1/16, global average and max pooling, then two linear heads:
    a realism logit and ``num_classes`` class logits (AC-GAN, Odena et al. 2017). Works at any input size.

    Args:
        channels: image channels C.
        num_classes: classes of the auxiliary head.
        width: channels of the first layer (then ``2 *`` and ``4 *``); four stride-2 layers, so inputs of at
            least 16×16.

    Shape:
        ``anchor``, ``candidate``: ``(N, C, H, W)`` float in [0, 1]. Returns ``(logit (N,), class_logits (N,
        K))``.
    """

    def __init__(self, channels: int = 1, num_classes: int = 10, width: int = 32) -> None:
        super().__init__()
        w = width
        self.layers = nn.ModuleList(
            [
                nn.Conv2d(2 * channels, w, 4, stride=2, padding=1),
                nn.Conv2d(w, 2 * w, 4, stride=2, padding=1),
                nn.Conv2d(2 * w, 4 * w, 4, stride=2, padding=1),
                nn.Conv2d(4 * w, 4 * w, 4, stride=2, padding=1),
            ]
        )
        self.adv = nn.Linear(8 * w, 1)
        self.cls = nn.Linear(8 * w, num_classes)

    def forward(self, anchor: torch.Tensor, candidate: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = _pair_input(anchor, candidate)
        for conv in self.layers:
            h = F.leaky_relu(conv(h), 0.2)
        h = torch.cat([h.mean(dim=(2, 3)), h.amax(dim=(2, 3))], dim=1)  # max: the object wherever it is
        return self.adv(h).squeeze(1), self.cls(h)


class ClipDiscriminator(nn.Module):
    """Per-clip pair discriminator (3-D convolutions over time) with an auxiliary class head.

    The anchor clip and the candidate clip are concatenated on channels and average-pooled 2x in space (the
    frame discriminator judges the detail; this one judges motion). A spatial-only first layer, then
    spatio-temporal strided 3-D convolutions, global average and max pooling over (T, H, W), a realism logit
    and ``num_classes`` class logits. Sees motion, so it penalises flicker and implausible dynamics.

    Args:
        channels: image channels C.
        num_classes: classes of the auxiliary head.
        width: channels of the first layer (then ``2 *`` and ``4 *``).

    Shape:
        ``anchor``, ``candidate``: ``(B, T, C, H, W)`` float in [0, 1]. Returns ``(logit (B,), class_logits
        (B, K))``.
    """

    def __init__(self, channels: int = 1, num_classes: int = 10, width: int = 16) -> None:
        super().__init__()
        w = width
        self.layers = nn.ModuleList(
            [
                nn.Conv3d(2 * channels, w, (1, 4, 4), stride=(1, 2, 2), padding=(0, 1, 1)),
                nn.Conv3d(w, 2 * w, (3, 4, 4), stride=(2, 2, 2), padding=(1, 1, 1)),
                nn.Conv3d(2 * w, 4 * w, (3, 4, 4), stride=(2, 2, 2), padding=(1, 1, 1)),
                nn.Conv3d(4 * w, 4 * w, (3, 3, 3), stride=(1, 2, 2), padding=(1, 1, 1)),
            ]
        )
        self.adv = nn.Linear(8 * w, 1)
        self.cls = nn.Linear(8 * w, num_classes)

    def forward(self, anchor: torch.Tensor, candidate: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = _pair_input(anchor, candidate).transpose(1, 2)  # (B, 2C, T, H, W)
        h = F.avg_pool3d(h, (1, 2, 2), ceil_mode=True)  # motion needs no full resolution: the frame D has it
        for conv in self.layers:
            h = F.leaky_relu(conv(h), 0.2)
        h = torch.cat([h.mean(dim=(2, 3, 4)), h.amax(dim=(2, 3, 4))], dim=1)
        return self.adv(h).squeeze(1), self.cls(h)


def count_parameters(module: nn.Module) -> int:
    """Number of parameters of ``module``."""
    return sum(p.numel() for p in module.parameters())
