"""Dueling DQN — Wang, Schaul, Hessel, van Hasselt, Lanctot & de Freitas, "Dueling Network Architectures for
Deep Reinforcement Learning" (ICML 2016). https://arxiv.org/abs/1511.06581

In many states the choice of action hardly matters (no enemy on screen), yet a DQN must learn each action's
value separately. The dueling network splits the head after the Nature-DQN convolutions into two streams:
one estimates the state value V(s), the other the advantage A(s, a) of each action, and an aggregating layer
puts them back together as Q-values (paper Eq. 9):

    Q(s, a) = V(s) + (A(s, a) − mean_a' A(s, a'))

Subtracting the mean advantage makes the split identifiable (otherwise any constant could move between V and
A) and, the paper reports, more stable than subtracting the max (Eq. 8). Each stream has its own fully
connected layer of 512 units (Section 4.2), so with 18 Atari actions the network has 3,300,019 parameters,
about twice the Nature DQN's 1,693,362. The output is still Q(s, ·), so it trains with any DQN algorithm (the
paper uses Double DQN with prioritized replay).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..card import Figure, ModelCard, Paper
from ..registry import register_model
from ._nets import conv_side, nature_cnn


@dataclass(frozen=True)
class DuelingDQNConfig:
    in_channels: int = 4  # the 4 most recent 84×84 grey-scale frames, as in DQN
    image_size: int = 84
    hidden: int = 512  # each stream's fully connected layer
    num_actions: int = 18  # the full Atari action set


class DuelingDQN(nn.Module):
    def __init__(self, cfg: DuelingDQNConfig = DuelingDQNConfig()):
        super().__init__()
        self.cfg = cfg
        side = conv_side(cfg.image_size)
        if side < 1:
            raise ValueError(f"image_size {cfg.image_size} is too small for the three convolutions")
        self.torso = nature_cnn(cfg.in_channels)  # shared by both streams (Figure 1, bottom)
        features = 64 * side * side
        self.value_fc = nn.Linear(features, cfg.hidden)  # V stream
        self.value = nn.Linear(cfg.hidden, 1)
        self.advantage_fc = nn.Linear(features, cfg.hidden)  # A stream
        self.advantage = nn.Linear(cfg.hidden, cfg.num_actions)

    def streams(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """V(s) (B, 1) and A(s, ·) (B, num_actions) before aggregation."""
        x = self.torso(obs)  # (B, 3136)
        v = self.value(F.relu(self.value_fc(x)))  # (B, 1)
        a = self.advantage(F.relu(self.advantage_fc(x)))  # (B, num_actions)
        return v, a

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        v, a = self.streams(obs)
        return v + a - a.mean(dim=-1, keepdim=True)  # Eq. 9: (B, num_actions) Q-values


@register_model(
    card=ModelCard(
        key="dueling_dqn",
        name="Dueling DQN",
        family="DQN",
        domain="rl",
        task="value-based reinforcement learning",
        year=2016,
        paper=Paper(
            "Dueling Network Architectures for Deep Reinforcement Learning",
            "https://arxiv.org/abs/1511.06581",
            authors="Z. Wang, T. Schaul, M. Hessel, H. van Hasselt, M. Lanctot, N. de Freitas",
            venue="ICML 2016",
        ),
        level="intermediate",
        summary=(
            "A DQN whose head is split in two: one stream estimates how good the state is, V(s), the other how "
            "much better each action is than average, A(s, a); they are added back together into Q-values. The "
            "network can then learn the value of a state without trying every action in it, which helps most in "
            "games where many actions do the same thing."
        ),
        scenarios=(
            "Atari and other discrete-action games from pixels",
            "any DQN setup: a drop-in replacement network (Double DQN, prioritized replay, Rainbow)",
            "teaching how an architecture change, not a new algorithm, can speed up learning",
        ),
        strengths=(
            "learns state values from every update, so it generalises across actions",
            "same input and output as DQN: works with every DQN training algorithm",
            "beat the Double DQN baseline on most of the 57 Atari games in the paper",
        ),
        weaknesses=(
            "twice the fully connected parameters of the Nature DQN (3.3M vs 1.7M)",
            "discrete actions only, like every Q-network",
            "the mean-subtraction makes V and A only approximately the true value and advantage",
        ),
        params=Figure(3_300_019, "computed from the paper's architecture (Nature torso, two FC-512 streams, 18 actions)"),
        input="4 stacked grey-scale frames, 4×84×84, scaled to [0, 1]",
        output="one Q-value per action, (B, 18) = V(s) + A(s, a) − mean A",
        config_note="Nature-DQN convolutions → value stream FC 512 → 1 and advantage stream FC 512 → 18, mean-subtracted aggregation (Eq. 9).",
        tags=("q-learning", "atari", "value-based", "off-policy", "cnn", "advantage"),
        i18n={
            "zh": {
                "task": "基于价值的强化学习",
                "summary": "把 DQN 的输出头一分为二：一路估计状态有多好 V(s)，另一路估计每个动作比平均水平好多少 A(s, a)，"
                "两者相加得到 Q 值。这样网络不必在某个状态下尝试每个动作就能学到该状态的价值，在许多动作效果相同的游戏中帮助最大。",
                "scenarios": [
                    "根据像素玩 Atari 等离散动作游戏",
                    "任何 DQN 训练方案中直接替换网络（Double DQN、优先经验回放、Rainbow）",
                    "讲解仅靠改变网络结构（而非算法）如何加快学习",
                ],
                "strengths": [
                    "每次更新都在学习状态价值，因而能在动作之间泛化",
                    "输入输出与 DQN 相同，可配合任何 DQN 训练算法",
                    "论文中在 57 款 Atari 游戏的大多数上超过 Double DQN 基线",
                ],
                "weaknesses": [
                    "全连接参数是 Nature DQN 的两倍（330 万对 170 万）",
                    "与所有 Q 网络一样只支持离散动作",
                    "减去均值后，V 和 A 只是近似的真实价值与优势",
                ],
                "input": "4 帧堆叠的灰度画面，4×84×84，缩放到 [0, 1]",
                "output": "每个动作一个 Q 值，(B, 18) = V(s) + A(s, a) − A 的均值",
                "config_note": "Nature DQN 卷积层 → 价值流 FC 512 → 1 与优势流 FC 512 → 18，按均值相减聚合（式 9）。",
            }
        },
    ),
    example_input=lambda: torch.rand(2, 4, 84, 84),
)
def dueling_dqn(**overrides) -> DuelingDQN:
    return DuelingDQN(replace(DuelingDQNConfig(), **overrides))
