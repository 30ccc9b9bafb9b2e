"""Quickstart: videoaug transforms compose like torchvision's v2 transforms, but work on a whole batch of
clips and draw their random parameters per clip (the same on every frame of a clip)."""

import torch
from torchvision.transforms import v2

from videoaug import transforms as VT
from videoaug.mix import CutMix


def main() -> tuple[torch.Tensor, torch.Tensor]:
    videos = torch.randint(0, 256, (8, 16, 3, 128, 171), dtype=torch.uint8)  # a batch (B, T, C, H, W)
    labels = torch.randint(0, 10, (8,))

    augment = v2.Compose([
        VT.RandomResizedCrop(112, scale=(0.5, 1.0)),  # a different crop for each clip
        VT.RandomHorizontalFlip(),
        VT.ColorJitter(0.4, 0.4, 0.4, 0.1, p=0.8),  # p is drawn per clip: no RandomApply needed
        VT.ToDtype(torch.float32, scale=True),
        VT.Normalize(mean=(0.432, 0.395, 0.376), std=(0.228, 0.221, 0.217)),
    ])
    mix = CutMix(num_classes=10, kind="temporal")  # VideoMix: paste a run of frames, labels mixed to match

    videos, soft_labels = mix(augment(videos), labels)
    videos = VT.ToCTHW()(videos)  # (B, C, T, H, W), what torchvision's r3d_18 expects
    print(tuple(videos.shape), tuple(soft_labels.shape))  # (8, 3, 16, 112, 112) (8, 10)
    return videos, soft_labels


if __name__ == "__main__":
    main()
