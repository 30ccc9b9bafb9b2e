import pytest
import torch

torch.set_num_threads(2)

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


@pytest.fixture(params=DEVICES)
def device(request):
    return torch.device(request.param)


@pytest.fixture
def make_video():
    """Factory for test videos: ``make_video(B=None, T=4, C=3, H=16, W=20, dtype=torch.uint8, device="cpu")``.

    ``B=None`` gives a clip ``(T, C, H, W)``. Content is random noise plus a smooth gradient so that spatial ops
    change it visibly.
    """

    def factory(B=None, T=4, C=3, H=16, W=20, dtype=torch.uint8, device="cpu", static=False):
        shape = (T, C, H, W) if B is None else (B, T, C, H, W)
        g = torch.Generator().manual_seed(1234)
        x = torch.rand(shape, generator=g)
        ramp = torch.linspace(0, 1, W).view(1, 1, W) * torch.linspace(0.2, 1, H).view(1, H, 1)
        x = 0.5 * x + 0.5 * ramp
        if static:  # every frame identical
            x = x.narrow(-4, 0, 1).expand(shape).contiguous()
        if dtype == torch.uint8:
            x = (x * 255).round().to(torch.uint8)
        else:
            x = x.to(dtype)
        return x.to(device)

    return factory
