"""Network pieces the agents in zoo/rl share: the Nature-DQN convolutional torso and plain MLPs.

Files starting with "_" are not scanned by the registry: this module registers nothing.
"""

from __future__ import annotations

import itertools

import torch.nn as nn

NATURE_FEATURES = 64 * 7 * 7  # the torso's output for 4×84×84 frames: 3,136 numbers


def conv_side(size: int) -> int:
    """Spatial side after the Nature torso's three unpadded convolutions (84 → 20 → 9 → 7)."""
    size = (size - 8) // 4 + 1
    size = (size - 4) // 2 + 1
    return size - 3 + 1


def nature_cnn(in_channels: int = 4) -> nn.Sequential:
    """Mnih et al. 2015, Methods: 32@8×8 s4 → 64@4×4 s2 → 64@3×3 s1, ReLU, flattened. DQN, Double and
    Dueling DQN and A3C/A2C all read Atari frames through this torso."""
    return nn.Sequential(
        nn.Conv2d(in_channels, 32, kernel_size=8, stride=4),
        nn.ReLU(),
        nn.Conv2d(32, 64, kernel_size=4, stride=2),
        nn.ReLU(),
        nn.Conv2d(64, 64, kernel_size=3, stride=1),
        nn.ReLU(),
        nn.Flatten(),
    )


def mlp(sizes: list[int] | tuple[int, ...], activation: type[nn.Module] = nn.ReLU) -> nn.Sequential:
    """Linear layers of `sizes` with `activation` between them (none after the last)."""
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)
