"""SAC — Haarnoja, Zhou, Abbeel & Levine, "Soft Actor-Critic: Off-Policy Maximum Entropy Deep Reinforcement
Learning with a Stochastic Actor" (ICML 2018), and "Soft Actor-Critic Algorithms and Applications" (2018),
https://arxiv.org/abs/1801.01290 and https://arxiv.org/abs/1812.05905

SAC maximises reward *and* the policy's entropy, J(π) = Σ_t E[r(s_t, a_t) + α H(π(·|s_t))] (Eq. 1): among
policies that score equally, it prefers the most random one, which explores by itself and does not collapse
onto one brittle behaviour. The actor is stochastic: a Gaussian whose mean and log standard deviation come
from the network, squashed by tanh into the action bounds. A sample is drawn with the reparameterisation
trick, a = tanh(μ + σ·ε), so gradients pass through it, and the squashing's change of variables corrects the
log-likelihood (Appendix C, Eq. 21):

    log π(a|s) = log N(u; μ, σ) − Σ_i log(1 − tanh²(u_i))

Like TD3 it uses two Q-functions and their minimum; the 2018 "Algorithms and Applications" version drops the
separate value network and tunes α automatically. Sizes: 256-256 hidden units (paper Table 1) for
HalfCheetah's 17-d observation and 6-d action: actor 73,484 + twin critics 144,386 = 217,870 parameters.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..card import Figure, ModelCard, Paper
from ..registry import register_model
from ._nets import mlp
from .td3 import TwinQ

LOG_STD_RANGE = (-20.0, 2.0)  # keeps σ in a sane range; the reference implementation's bounds


@dataclass(frozen=True)
class SACConfig:
    obs_dim: int = 17  # HalfCheetah
    action_dim: int = 6
    hidden: tuple[int, ...] = (256, 256)
    max_action: float = 1.0


class GaussianActor(nn.Module):
    """π(·|s): a shared MLP trunk, then the mean and the log standard deviation of each action dimension."""

    def __init__(self, cfg: SACConfig):
        super().__init__()
        self.trunk = mlp([cfg.obs_dim, *cfg.hidden])
        self.trunk.append(nn.ReLU())
        self.mean = nn.Linear(cfg.hidden[-1], cfg.action_dim)
        self.log_std = nn.Linear(cfg.hidden[-1], cfg.action_dim)

    def forward(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.trunk(obs)  # (B, 256)
        return self.mean(h), self.log_std(h).clamp(*LOG_STD_RANGE)  # (B, action_dim) each


class SAC(nn.Module):
    def __init__(self, cfg: SACConfig = SACConfig()):
        super().__init__()
        self.cfg = cfg
        self.actor = GaussianActor(cfg)
        self.critic = TwinQ(cfg.obs_dim, cfg.action_dim, cfg.hidden)

    def sample(self, obs: torch.Tensor, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """A reparameterised action a = max_action·tanh(μ + σ ε) and its log-probability log π(a|s) (Eq. 21)."""
        mean, log_std = self.actor(obs)
        eps = torch.randn(mean.shape, generator=generator, device=mean.device, dtype=mean.dtype)
        u = mean + log_std.exp() * eps
        gaussian = (-0.5 * eps.pow(2) - log_std - 0.5 * math.log(2 * math.pi)).sum(-1)
        # log(1 − tanh²u) written as 2(log 2 − u − softplus(−2u)): the same value, without log(0) for large |u|
        squash = (2 * (math.log(2) - u - F.softplus(-2 * u))).sum(-1)
        return self.cfg.max_action * torch.tanh(u), gaussian - squash - self.cfg.action_dim * math.log(self.cfg.max_action)

    def act(self, obs: torch.Tensor) -> torch.Tensor:
        """The deterministic action used for evaluation: tanh of the mean."""
        return self.cfg.max_action * torch.tanh(self.actor(obs)[0])

    def forward(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        action = self.act(obs)
        q1, q2 = self.critic(obs, action)
        return action, q1, q2  # (B, action_dim), (B,), (B,)


@register_model(
    card=ModelCard(
        key="sac",
        name="SAC",
        family="Soft actor-critic",
        domain="rl",
        task="continuous-control reinforcement learning",
        year=2018,
        paper=Paper(
            "Soft Actor-Critic: Off-Policy Maximum Entropy Deep Reinforcement Learning with a Stochastic Actor",
            "https://arxiv.org/abs/1801.01290",
            authors="T. Haarnoja, A. Zhou, P. Abbeel, S. Levine",
            venue="ICML 2018",
        ),
        level="advanced",
        summary=(
            "An off-policy actor-critic that is rewarded for acting as randomly as it can while still scoring "
            "well (maximum entropy). Its actor outputs a Gaussian over actions instead of one action, two critics "
            "guard against overestimation as in TD3, and the temperature that weighs randomness against reward "
            "can tune itself. Robust across seeds and tasks, it is a default choice for continuous control."
        ),
        scenarios=(
            "continuous control in simulation and on real robots (the authors trained a quadruped to walk)",
            "tasks where exploration matters and hand-tuned action noise fails",
            "teaching maximum-entropy RL, reparameterisation and tanh-squashed Gaussians",
        ),
        strengths=(
            "stable across random seeds and hyper-parameters, unlike DDPG",
            "explores by itself through its stochastic policy; automatic temperature tuning",
            "off-policy and sample-efficient",
        ),
        weaknesses=(
            "more parts than TD3: log-probabilities, squashing correction, temperature",
            "the stochastic policy must be made deterministic (its mean) for evaluation",
            "continuous actions in its standard form (discrete variants exist)",
        ),
        params=Figure(217_870, "computed from the paper's networks (256-256, Gaussian actor, twin critics; 17-d observation, 6-d action)"),
        input="an observation vector, (B, 17) for HalfCheetah",
        output="the deterministic (mean) action in [−1, 1]^6 and both critics' Q-values of it; `sample` draws stochastic actions",
        config_note=(
            "Actor 17 → 256 → 256 → mean 6 and log σ 6 (clamped to [−20, 2]), tanh-squashed; two critics "
            "[17 ‖ 6] → 256 → 256 → 1; no separate value network (the 2018 'Algorithms and Applications' version)."
        ),
        tags=("actor-critic", "continuous control", "off-policy", "maximum entropy", "mujoco", "stochastic policy"),
        i18n={
            "zh": {
                "task": "连续控制强化学习",
                "summary": "一种离策略演员-评论家方法：在得分高的同时，还奖励尽可能随机地行动（最大熵）。演员输出动作上的高斯分布而非单个动作，"
                "两个评论家像 TD3 一样防止高估，而权衡随机性与奖励的温度系数可以自动调节。它对随机种子和任务都很稳健，是连续控制的默认选择之一。",
                "scenarios": ["仿真和真实机器人上的连续控制（作者训练了一只四足机器人行走）", "探索很重要、手工动作噪声失效的任务", "讲解最大熵强化学习、重参数化技巧与 tanh 压缩的高斯分布"],
                "strengths": ["与 DDPG 不同，对随机种子和超参数都很稳定", "靠随机策略自行探索；温度可自动调节", "离策略、样本效率高"],
                "weaknesses": ["比 TD3 多一些部件：对数概率、压缩修正、温度", "评估时需把随机策略变为确定性（取均值）", "标准形式只支持连续动作（也有离散变体）"],
                "input": "观测向量，HalfCheetah 为 (B, 17)",
                "output": "确定性（均值）动作 ∈ [−1, 1]^6 及两个评论家对它的 Q 值；`sample` 可采样随机动作",
                "config_note": "演员 17 → 256 → 256 → 均值 6 与 log σ 6（截断到 [−20, 2]），经 tanh 压缩；两个评论家 [17 ‖ 6] → 256 → 256 → 1；"
                "无单独的价值网络（2018 年《Algorithms and Applications》版本）。",
            }
        },
    ),
    example_input=lambda: torch.randn(2, 17),
)
def sac(**overrides) -> SAC:
    return SAC(replace(SACConfig(), **overrides))
