"""A2C / A3C — Mnih, Badia, Mirza, Graves, Lillicrap, Harley, Silver & Kavukcuoglu, "Asynchronous Methods
for Deep Reinforcement Learning" (ICML 2016). https://arxiv.org/abs/1602.01783

Advantage actor-critic: one network with two heads reads the state. The policy head gives π(a|s) (a
softmax over actions), the value head V(s), and the policy is pushed along ∇ log π(a_t|s_t) · A_t, where
the advantage A_t = Σ_{i<k} γ^i r_{t+i} + γ^k V(s_{t+k}) − V(s_t) comes from k-step returns (Section 4,
"Asynchronous advantage actor-critic"). An entropy bonus β·H(π(·|s)) keeps the policy from collapsing too
early. A3C ran many actors asynchronously on CPU threads; A2C (OpenAI Baselines, 2017) is the synchronous
version — same network, same loss, batched environments — and usually works as well.

The feed-forward Atari network here shares the Nature-DQN convolutions and one FC-512 layer between the two
heads, as the widely used A2C implementations (OpenAI Baselines, Stable-Baselines3) do; the A3C paper itself
used the smaller 2013 DQN network (16 and 32 filters, FC 256). With Pong's 6 actions: 1,687,719 parameters.
`a2c_loss` writes the loss out so training code can import it.
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
class A2CConfig:
    in_channels: int = 4  # the 4 most recent 84×84 grey-scale frames
    image_size: int = 84
    hidden: int = 512  # the shared fully connected layer
    num_actions: int = 6  # Pong's and Breakout's minimal action sets have 6 and 4


class ActorCritic(nn.Module):
    """π(·|s) and V(s) from one shared torso: the policy and the baseline see the same features."""

    def __init__(self, cfg: A2CConfig = A2CConfig()):
        super().__init__()
        self.cfg = cfg
        side = conv_side(cfg.image_size)
        if side < 1:
            raise ValueError(f"image_size {cfg.image_size} is too small for the three convolutions")
        self.torso = nature_cnn(cfg.in_channels)
        self.fc = nn.Linear(64 * side * side, cfg.hidden)
        self.policy = nn.Linear(cfg.hidden, cfg.num_actions)  # actor: logits of π(a|s)
        self.value = nn.Linear(cfg.hidden, 1)  # critic: V(s)

    def forward(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = F.relu(self.fc(self.torso(obs)))  # (B, 512)
        return self.policy(h), self.value(h).squeeze(-1)  # logits (B, num_actions), V(s) (B,)


def a2c_loss(
    logits: torch.Tensor, values: torch.Tensor, actions: torch.Tensor, returns: torch.Tensor,
    value_coef: float = 0.5, entropy_coef: float = 0.01,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """The A3C objective for a batch of k-step `returns` (B,): policy gradient with the advantage R − V(s)
    (V treated as a constant there), the value regression (R − V(s))², and the entropy bonus."""
    log_probs = F.log_softmax(logits, dim=-1)  # (B, A)
    advantage = returns - values
    policy_loss = -(log_probs.gather(-1, actions[:, None]).squeeze(-1) * advantage.detach()).mean()
    value_loss = advantage.pow(2).mean()
    entropy = -(log_probs.exp() * log_probs).sum(-1).mean()
    loss = policy_loss + value_coef * value_loss - entropy_coef * entropy
    return loss, {"policy": policy_loss.detach(), "value": value_loss.detach(), "entropy": entropy.detach()}


@register_model(
    card=ModelCard(
        key="a2c",
        name="A2C / A3C actor-critic",
        family="Actor-critic",
        domain="rl",
        task="policy-gradient reinforcement learning",
        year=2016,
        paper=Paper(
            "Asynchronous Methods for Deep Reinforcement Learning",
            "https://arxiv.org/abs/1602.01783",
            authors="V. Mnih, A. P. Badia, M. Mirza, A. Graves, T. P. Lillicrap, T. Harley, D. Silver, K. Kavukcuoglu",
            venue="ICML 2016",
        ),
        level="intermediate",
        summary=(
            "One network with two heads: the actor gives a probability for each action, the critic estimates "
            "the value of the state. The actor is trained to make actions that turned out better than the "
            "critic expected (the advantage) more likely. A3C ran many copies of the game in parallel threads "
            "instead of a replay buffer; A2C is the simpler synchronous version used today."
        ),
        scenarios=(
            "Atari games from pixels on many CPU cores, without a replay buffer",
            "a baseline policy-gradient agent before trying PPO",
            "teaching actor-critic methods, advantages and entropy regularisation",
        ),
        strengths=(
            "on-policy and simple: no replay memory, no target network",
            "parallel environments decorrelate the data and use many CPU cores",
            "the same network gives a stochastic policy and a value estimate",
        ),
        weaknesses=(
            "less sample-efficient than replay-based methods such as DQN",
            "updates can be unstable; PPO's clipped objective fixed much of that",
            "sensitive to the learning rate and the entropy coefficient",
        ),
        params=Figure(1_687_719, "computed from the architecture (Nature torso, shared FC 512, 6 actions + value)"),
        input="4 stacked grey-scale frames, 4×84×84, scaled to [0, 1]",
        output="action logits (B, 6) and the state value V(s) (B,)",
        config_note="Nature-DQN convolutions → shared FC 512 → policy head (6 logits) and value head (1).",
        tags=("actor-critic", "a3c", "a2c", "atari", "on-policy", "policy gradient", "advantage"),
        i18n={
            "zh": {
                "task": "策略梯度强化学习",
                "summary": "一个网络两个输出头：演员（actor）给出每个动作的概率，评论家（critic）估计状态价值。"
                "训练让那些结果好于评论家预期（即优势为正）的动作更可能被选中。A3C 用多个线程并行运行游戏副本来代替经验回放；"
                "A2C 是如今常用的更简单的同步版本。",
                "scenarios": ["在多核 CPU 上从像素学习 Atari 游戏，无需经验回放", "尝试 PPO 之前的策略梯度基线智能体", "讲解演员-评论家方法、优势函数与熵正则"],
                "strengths": ["同策略且简单：无回放缓冲区、无目标网络", "并行环境使数据去相关，并能利用多个 CPU 核", "同一网络同时给出随机策略和价值估计"],
                "weaknesses": ["样本效率低于 DQN 等基于回放的方法", "更新可能不稳定；PPO 的裁剪目标解决了其中大部分问题", "对学习率和熵系数敏感"],
                "input": "4 帧堆叠的灰度画面，4×84×84，缩放到 [0, 1]",
                "output": "动作 logits (B, 6) 与状态价值 V(s) (B,)",
                "config_note": "Nature DQN 卷积层 → 共享 FC 512 → 策略头（6 个 logits）与价值头（1）。",
            }
        },
    ),
    example_input=lambda: torch.rand(2, 4, 84, 84),
)
def a2c(**overrides) -> ActorCritic:
    return ActorCritic(replace(A2CConfig(), **overrides))
