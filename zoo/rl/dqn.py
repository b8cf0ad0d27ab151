"""Deep Q-Network — Mnih et al., "Human-level control through deep reinforcement learning" (Nature, 2015).
https://www.nature.com/articles/nature14236

The network that learned 49 Atari games from pixels with one architecture and one set of
hyper-parameters. It is a plain CNN that maps the last four preprocessed 84×84 frames to one
Q-value per action, Q(s, a; θ): three convolutions (32@8×8 s4, 64@4×4 s2, 64@3×3 s1), a fully
connected layer of 512 rectifier units and a linear output layer (Methods, "Model architecture").
With all 18 Atari actions it has 1,693,362 parameters.

What made it learn is outside the network: experience replay and a periodically copied target
network Q̂ for the targets y = r + γ max_a' Q̂(s', a'). Training code for those lives elsewhere.

For vector observations (e.g. CartPole's 4 numbers) set `obs_dim`: the convolutional torso is then
replaced by one fully connected layer, and the rest of the network is unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..card import Figure, Metric, ModelCard, Paper
from ..registry import register_model
from ._nets import conv_side, nature_cnn


@dataclass(frozen=True)
class DQNConfig:
    in_channels: int = 4  # the agent stacks the m = 4 most recent frames
    image_size: int = 84  # frames are grey-scaled and rescaled to 84×84
    obs_dim: int | None = None  # set for vector observations: an MLP torso replaces the convolutions
    hidden: int = 512  # the fully connected hidden layer
    num_actions: int = 18  # the full Atari action set (games use between 4 and 18)


class DQN(nn.Module):
    """Q(s, ·; θ): one forward pass gives the value of every action, so acting greedily and
    computing max_a' Q(s', a') both cost a single evaluation (the reason for this output layout)."""

    def __init__(self, cfg: DQNConfig = DQNConfig()):
        super().__init__()
        self.cfg = cfg
        if cfg.obs_dim is None:
            side = conv_side(cfg.image_size)
            if side < 1:
                raise ValueError(f"image_size {cfg.image_size} is too small for the three convolutions")
            self.torso = nature_cnn(cfg.in_channels)
            features = 64 * side * side
        else:
            self.torso = nn.Sequential(nn.Linear(cfg.obs_dim, cfg.hidden), nn.ReLU())
            features = cfg.hidden
        self.fc = nn.Linear(features, cfg.hidden)
        self.out = nn.Linear(cfg.hidden, cfg.num_actions)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        x = self.torso(obs)  # frames (B, 4, 84, 84) → (B, 3136); or vector (B, obs_dim) → (B, hidden)
        x = F.relu(self.fc(x))  # (B, 512)
        return self.out(x)  # (B, num_actions): Q(s, a) for every action a

    @torch.no_grad()
    def act(self, obs: torch.Tensor, epsilon: float = 0.0, generator: torch.Generator | None = None) -> torch.Tensor:
        """ε-greedy actions (B,): the behaviour policy the paper anneals from ε = 1 to 0.1. `generator` makes
        the draws reproducible (None: torch's process-wide generator)."""
        greedy = self(obs).argmax(dim=-1)
        explore = torch.rand(greedy.shape, device=greedy.device, generator=generator) < epsilon
        random = torch.randint(self.cfg.num_actions, greedy.shape, device=greedy.device, generator=generator)
        return torch.where(explore, random, greedy)


@register_model(
    card=ModelCard(
        key="dqn",
        name="DQN (Nature)",
        family="DQN",
        domain="rl",
        task="value-based reinforcement learning",
        year=2015,
        paper=Paper(
            "Human-level control through deep reinforcement learning",
            "https://www.nature.com/articles/nature14236",
            authors="V. Mnih, K. Kavukcuoglu, D. Silver, A. A. Rusu, J. Veness, M. G. Bellemare, et al.",
            venue="Nature",
        ),
        level="basic",
        summary=(
            "A convolutional network that reads the last four game frames and outputs the expected future "
            "score of every joystick action (its Q-values); the agent plays the action with the highest "
            "value. Trained with experience replay and a slowly updated target network, the same network "
            "and settings learned 49 different Atari games from pixels alone."
        ),
        scenarios=(
            "playing Atari and other games from screen pixels",
            "discrete-action control from vector states (e.g. CartPole) with `obs_dim`",
            "teaching Q-learning, replay buffers and target networks",
        ),
        strengths=(
            "one forward pass gives the values of all actions",
            "small (1.7M parameters) and simple; a strong, well-understood baseline",
            "off-policy: learns from replayed old experience, so it is sample-reusing",
        ),
        weaknesses=(
            "discrete actions only",
            "overestimates Q-values (fixed later by Double DQN) and needs many frames (50M per game in the paper)",
            "training is sensitive to replay, target-update and exploration settings",
        ),
        params=Figure(1_693_362, "computed from the architecture in the paper's Methods (18 actions, 4×84×84 input)"),
        input="4 stacked grey-scale frames, 4×84×84, scaled to [0, 1] (or a vector of `obs_dim` numbers)",
        output="one Q-value per action, (B, num_actions)",
        metric=Metric(
            "games with more than 75% of the human tester's score",
            29,
            "of 49 games",
            "Atari 2600 (49 games)",
            "Mnih et al. 2015, main text and Fig. 3",
        ),
        config_note=(
            "Nature DQN: conv 32@8×8 s4 → 64@4×4 s2 → 64@3×3 s1 → FC 512 → 18 actions, ReLU. Overrides: "
            "num_actions, in_channels, image_size; obs_dim=N swaps the convolutions for Linear(N, hidden) "
            "(e.g. dqn(obs_dim=4, num_actions=2, hidden=128) for CartPole)."
        ),
        tags=("q-learning", "atari", "value-based", "off-policy", "cnn", "cartpole"),
        i18n={
            "zh": {
                "task": "基于价值的强化学习",
                "summary": "一个卷积网络：读入最近四帧游戏画面，输出每个操纵杆动作的预期未来得分（Q 值），"
                "智能体选择价值最高的动作。借助经验回放和缓慢更新的目标网络，同一网络、同一套超参数仅凭像素就学会了 49 款 Atari 游戏。",
                "scenarios": [
                    "根据屏幕像素玩 Atari 等游戏",
                    "用 `obs_dim` 处理向量状态的离散动作控制（如 CartPole）",
                    "讲解 Q 学习、经验回放与目标网络",
                ],
                "strengths": [
                    "一次前向传播即可得到所有动作的价值",
                    "小巧（170 万参数）且简单，是强大且被充分理解的基线",
                    "离策略：可反复利用回放的旧经验",
                ],
                "weaknesses": [
                    "只支持离散动作",
                    "会高估 Q 值（后来由 Double DQN 修正），且需要大量帧（论文中每款游戏 5000 万帧）",
                    "训练对回放、目标网络更新和探索设置很敏感",
                ],
                "input": "4 帧堆叠的灰度画面，4×84×84，缩放到 [0, 1]（或 `obs_dim` 维向量）",
                "output": "每个动作一个 Q 值，(B, 动作数)",
            }
        },
    ),
    example_input=lambda: torch.rand(2, 4, 84, 84),
)
def dqn(**overrides) -> DQN:
    return DQN(replace(DQNConfig(), **overrides))


# ----------------------------------------------------------------------------- shipped weights

from ..weights import Weights, register_weights

register_weights(
    Weights(
        model="dqn",
        name="cartpole",
        description="Double DQN trained by DeepZoo on CartPole-v1 (replay, target network, best validation checkpoint)",
        dataset=(
            "CartPole-v1 from gymnasium (simulated; 26,000 training steps, seed 0); "
            "evaluated on 20 held-out episodes, seeds 1000–1019"
        ),
        source="shipped",
        file="dqn_cartpole.safetensors",
        recipe="dqn_cartpole",
        config={"obs_dim": 4, "num_actions": 2, "hidden": 128},  # the CartPole MLP: 4 → 128 → 128 → 2
        metrics={"greedy mean return, 20 held-out episodes (500 = perfect)": 500.0},
        preprocessing=(
            "the raw CartPole observation (cart position, cart velocity, pole angle, pole angular velocity), "
            "float32, unscaled"
        ),
        labels=("push left", "push right"),
    )
)
