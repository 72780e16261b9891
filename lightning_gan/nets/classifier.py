"""A small CNN classifier for one data set: the domain network behind domain FID/KID and class histograms."""
from __future__ import annotations

import torch
from torch import nn


class DomainClassifier(nn.Module):
    def __init__(
        self,
        *,
        channels: int,  # image channels (1 gray, 3 RGB)
        num_classes: int,  # labels in the data set
        width: int = 32,  # channels of the first conv; the second has twice as many
        feature_dim: int = 128,  # penultimate width: the feature space of the domain metrics
    ):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(),
            nn.Conv2d(width, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1), nn.BatchNorm2d(2 * width), nn.ReLU(), nn.MaxPool2d(2),
            # A fixed 2x2 map makes the head independent of the image size (8x8 digits to 64x64).
            nn.AdaptiveAvgPool2d(2),  # [N, 2W, 2, 2]
            nn.Flatten(),  # [N, 8W]
            nn.Linear(8 * width, feature_dim), nn.ReLU(),
        )
        self.head = nn.Linear(feature_dim, num_classes)

    def forward(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        features = self.body(images)  # [N, feature_dim]
        return {"features": features, "logits": self.head(features)}
