import math

import pytest
import torch
from torchvision import tv_tensors

from videoaug import metrics


def _gaussian(n, mean, cov, seed):
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, mean.numel(), generator=g, dtype=torch.float64)
    # whiten the sample so its mean and covariance are exactly the asked ones
    z = z - z.mean(0)
    cov_z = z.T @ z / (n - 1)
    z = z @ torch.linalg.inv(torch.linalg.cholesky(cov_z)).T
    return z @ torch.linalg.cholesky(cov).T + mean


def _closed_form(mu1, cov1, mu2, cov2):
    # with commuting (here diagonal) covariances tr((S1 S2)^1/2) = sum sqrt(s1_i s2_i)
    d1, d2 = torch.diagonal(cov1), torch.diagonal(cov2)
    return float((mu1 - mu2).square().sum() + (d1.sqrt() - d2.sqrt()).square().sum())


class TestFrechet:
    def test_identical_sets_give_zero(self):
        x = torch.randn(400, 16)
        assert metrics.frechet_distance(x, x) == pytest.approx(0.0, abs=1e-8)
        assert metrics.frechet_distance(x, x[torch.randperm(400)]) == pytest.approx(0.0, abs=1e-8)

    def test_diagonal_gaussians_match_closed_form(self):
        mu1, mu2 = torch.tensor([0.0, 1.0, -2.0], dtype=torch.float64), torch.tensor([1.0, 1.0, 0.5],
                                                                                       dtype=torch.float64)
        cov1 = torch.diag(torch.tensor([1.0, 4.0, 0.25], dtype=torch.float64))
        cov2 = torch.diag(torch.tensor([9.0, 1.0, 0.25], dtype=torch.float64))
        x, y = _gaussian(200, mu1, cov1, 0), _gaussian(300, mu2, cov2, 1)
        expected = _closed_form(mu1, cov1, mu2, cov2)  # 1 + 0 + 6.25 + (1-3)^2 + (2-1)^2 + 0 = 12.25
        assert expected == pytest.approx(12.25)
        assert metrics.frechet_distance(x, y) == pytest.approx(expected, rel=1e-6)

    def test_full_covariances_match_scalar_case_and_rotation_invariance(self):
        # 1-D: |m1-m2|^2 + (s1 - s2)^2
        d = torch.float64
        x = _gaussian(100, torch.tensor([2.0], dtype=d), torch.tensor([[4.0]], dtype=d), 3)
        y = _gaussian(100, torch.tensor([-1.0], dtype=d), torch.tensor([[1.0]], dtype=d), 4)
        assert metrics.frechet_distance(x, y) == pytest.approx(9.0 + 1.0, rel=1e-6)
        # rotating both sets by one orthogonal matrix leaves the distance unchanged (non-diagonal covariances)
        mu1, mu2 = torch.zeros(4, dtype=torch.float64), torch.ones(4, dtype=torch.float64)
        cov1 = torch.diag(torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float64))
        cov2 = torch.diag(torch.tensor([4.0, 1.0, 0.5, 2.0], dtype=torch.float64))
        a, b = _gaussian(500, mu1, cov1, 5), _gaussian(500, mu2, cov2, 6)
        q, _ = torch.linalg.qr(torch.randn(4, 4, dtype=torch.float64))
        expected = _closed_form(mu1, cov1, mu2, cov2)
        assert metrics.frechet_distance(a @ q, b @ q) == pytest.approx(expected, rel=1e-6)

    def test_mean_shift_only(self):
        x = torch.randn(300, 8, dtype=torch.float64)
        shift = torch.arange(8, dtype=torch.float64)
        assert metrics.frechet_distance(x, x + shift) == pytest.approx(float(shift.square().sum()), rel=1e-9)

    def test_singular_covariances_are_finite_and_nonnegative(self):
        # fewer samples than dimensions and a constant feature: singular covariances must not give NaN
        x = torch.randn(10, 32)
        x[:, 0] = 1.0
        y = torch.randn(10, 32) + 0.1
        value = metrics.frechet_distance(x, y)
        assert math.isfinite(value) and value >= 0
        z = torch.ones(5, 4)
        assert metrics.frechet_distance(z, z) == 0.0

    def test_sqrtm_psd(self):
        a = torch.randn(6, 6, dtype=torch.float64)
        m = a @ a.T
        s = metrics.sqrtm_psd(m)
        torch.testing.assert_close(s @ s, m)
        torch.testing.assert_close(s, s.T)

    def test_bad_inputs(self):
        with pytest.raises(ValueError, match="expected features"):
            metrics.frechet_distance(torch.randn(10), torch.randn(10, 3))
        with pytest.raises(ValueError, match="one dimension"):
            metrics.frechet_distance(torch.randn(10, 4), torch.randn(10, 3))
        with pytest.raises(ValueError, match="finite"):
            metrics.frechet_distance(torch.full((4, 2), float("nan")), torch.randn(4, 2))


class TestClassPreservation:
    def test_known_ratio(self):
        labels = torch.tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
        real = labels.clone()
        real[0] = 5  # 9 of 10 right
        gen = labels.clone()
        gen[:3] = 9  # 7 of 10 right (clip 0 wrong in both, differently)
        out = metrics.class_preservation(real, gen, labels)
        assert out["accuracy_real"] == pytest.approx(0.9)
        assert out["accuracy_generated"] == pytest.approx(0.7)
        assert out["ratio"] == pytest.approx(0.7 / 0.9)
        assert out["agreement"] == pytest.approx(0.7)

    def test_perfect_preservation(self):
        labels = torch.randint(0, 10, (50,))
        assert metrics.class_preservation(labels, labels, labels)["ratio"] == 1.0

    def test_bad_inputs(self):
        with pytest.raises(ValueError, match="integer class indices"):
            metrics.class_preservation(torch.rand(4), torch.zeros(4, dtype=torch.long), torch.zeros(4).long())
        with pytest.raises(ValueError, match="expected 4 entries"):
            metrics.class_preservation(torch.zeros(3).long(), torch.zeros(4).long(), torch.zeros(4).long())
        with pytest.raises(ValueError, match="undefined"):
            metrics.class_preservation(torch.ones(4).long(), torch.zeros(4).long(), torch.zeros(4).long())


class TestDiversity:
    def test_identity_is_zero_and_known_distance(self):
        a = torch.randn(20, 5)
        assert metrics.diversity(a, a) == 0.0
        b = a.clone()
        b[:, 0] += 3.0
        b[:, 1] += 4.0
        assert metrics.diversity(a, b) == pytest.approx(5.0)

    def test_shape_mismatch(self):
        with pytest.raises(ValueError, match="paired"):
            metrics.diversity(torch.randn(4, 3), torch.randn(5, 3))


class TestTemporal:
    def test_static_clip_has_zero_difference(self):
        clip = torch.rand(1, 1, 1, 8, 8).expand(3, 6, 1, 8, 8)
        assert torch.equal(metrics.frame_differences(clip), torch.zeros(3))

    def test_known_difference_uint8_float_video_and_clip(self):
        # frames alternate 0 and 255: every consecutive difference is 1.0 on the [0, 1] scale
        clip = torch.zeros(4, 1, 5, 5, dtype=torch.uint8)
        clip[1::2] = 255
        assert metrics.frame_differences(clip).tolist() == [1.0]
        assert metrics.frame_differences(tv_tensors.Video(clip.float() / 255)).tolist() == [1.0]
        ramp = torch.arange(5, dtype=torch.float32).view(1, 5, 1, 1, 1).expand(2, 5, 1, 3, 3) / 10
        torch.testing.assert_close(metrics.frame_differences(ramp), torch.full((2,), 0.1))

    def test_statistics(self):
        real = torch.zeros(2, 3, 1, 4, 4)
        real[:, 1] = 0.5  # frames 0, 0.5, 0: diffs 0.5, 0.5 -> 0.5 per clip
        gen = real.clone()
        gen[0, 1] = 0.0  # clip 0 static -> 0
        gen[1, 0] = gen[1, 2] = 1.0  # clip 1 frames 1, 0.5, 1 -> 0.5
        out = metrics.temporal_statistics(real, gen)
        assert out["real_mean"] == pytest.approx(0.5)
        assert out["generated_mean"] == pytest.approx(0.25)
        assert out["ratio"] == pytest.approx(0.5)
        assert out["paired_abs_diff"] == pytest.approx(0.25)
        with pytest.raises(ValueError, match="one shape"):
            metrics.temporal_statistics(real, gen[:1])
        with pytest.raises(ValueError, match="at least 2 frames"):
            metrics.frame_differences(real[:, :1])


def test_centroid_motion_measures_offset_and_drift_of_a_moving_translation():
    real = torch.zeros(3, 4, 1, 32, 32)
    real[:, :, :, 10:14, 10:14] = 1.0  # a square at the same place in every frame
    moved = torch.zeros_like(real)
    for t in range(4):  # shifted right by 2 + 2t px: offsets 2, 4, 6, 8 px = 0.125 .. 0.5 normalised in x
        moved[:, t, :, 10:14, 12 + 2 * t : 16 + 2 * t] = 1.0
    out = metrics.centroid_motion(real, moved)
    assert out["mean_abs_offset"] == pytest.approx((0.125 + 0.25 + 0.375 + 0.5) / 4 / 2)  # x moves, y does not
    assert out["mean_abs_drift"] == pytest.approx(0.375 / 2)
    still = metrics.centroid_motion(real, real.roll(3, dims=-1))  # a fixed shift: offset, no drift
    assert still["mean_abs_offset"] == pytest.approx(3 / 16 / 2) and still["mean_abs_drift"] == pytest.approx(0)
    assert metrics.centroid_motion(real, real) == {"mean_abs_offset": 0.0, "mean_abs_drift": 0.0}
    uint8 = metrics.centroid_motion((real * 255).to(torch.uint8), (moved * 255).to(torch.uint8))
    assert uint8["mean_abs_drift"] == pytest.approx(out["mean_abs_drift"])
    with pytest.raises(ValueError, match="one shape"):
        metrics.centroid_motion(real, moved[:1])


class _Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.head = torch.nn.Linear(2, 2, bias=False)
        with torch.no_grad():
            self.head.weight.copy_(torch.eye(2))

    def features(self, x):
        m = x.float().mean(dim=(1, 2, 3, 4))
        return torch.stack([m, 1 - m], 1)


def test_extract_batches_and_prepare():
    clips = torch.cat([torch.ones(3, 2, 1, 4, 4), torch.zeros(2, 2, 1, 4, 4)])
    feats, preds = metrics.extract(_Tiny(), clips, batch_size=2)
    assert feats.shape == (5, 2) and preds.tolist() == [0, 0, 0, 1, 1]
    _, preds = metrics.extract(_Tiny(), clips, batch_size=4, prepare=lambda x: 1 - x)
    assert preds.tolist() == [1, 1, 1, 0, 0]
