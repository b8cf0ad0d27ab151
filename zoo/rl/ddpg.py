"""DDPG — Lillicrap, Hunt, Pritzel, Heess, Erez, Tassa, Silver & Wierstra, "Continuous control with deep
reinforcement learning" (ICLR 2016). https://arxiv.org/abs/1509.02971

DQN picks the action with the largest Q-value, which needs a max over actions: impossible when an action is
a vector of joint torques. DDPG learns a deterministic actor μ(s) that outputs the action directly, and a
critic Q(s, a) trained as in DQN (replay buffer, slowly tracking target networks, τ = 0.001). The actor
follows the deterministic policy gradient (Silver et al. 2014; paper Eq. 6):

    ∇_θ J ≈ E_s [ ∇_a Q(s, a)|_{a=μ(s)} · ∇_θ μ(s) ]

i.e. it moves its action in the direction in which the critic says Q grows. Exploration adds noise to μ(s).

Networks from the paper's Section 7 (low-dimensional inputs): two hidden layers of 400 and 300 ReLU units;
the actor ends in tanh to bound the action; the critic takes the action only at its second layer. Sizes here
are HalfCheetah's (17-d observation, 6-d action): actor 129,306 + critic 129,601 = 258,907 parameters
(the paper also used batch normalisation on low-dimensional inputs; it is left out, as in most
re-implementations, and not counted). `forward(obs)` returns the actor's action and the critic's value of it
— the quantity the actor ascends.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..card import Figure, ModelCard, Paper
from ..registry import register_model
from ._nets import mlp


@dataclass(frozen=True)
class DDPGConfig:
    obs_dim: int = 17  # HalfCheetah: joint angles and velocities
    action_dim: int = 6  # HalfCheetah: six joint torques in [−1, 1]
    hidden: tuple[int, int] = (400, 300)
    max_action: float = 1.0


class Critic(nn.Module):
    """Q(s, a): the state goes through the first layer alone; the action joins at the second (Section 7)."""

    def __init__(self, cfg: DDPGConfig):
        super().__init__()
        h1, h2 = cfg.hidden
        self.fc1 = nn.Linear(cfg.obs_dim, h1)
        self.fc2 = nn.Linear(h1 + cfg.action_dim, h2)
        self.q = nn.Linear(h2, 1)

    def forward(self, obs: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.fc1(obs))  # (B, 400)
        h = F.relu(self.fc2(torch.cat([h, action], dim=-1)))  # (B, 300)
        return self.q(h).squeeze(-1)  # (B,)


class DDPG(nn.Module):
    def __init__(self, cfg: DDPGConfig = DDPGConfig()):
        super().__init__()
        self.cfg = cfg
        self.actor = mlp([cfg.obs_dim, *cfg.hidden, cfg.action_dim])  # μ(s), squashed by tanh in `act`
        self.critic = Critic(cfg)

    def act(self, obs: torch.Tensor) -> torch.Tensor:
        """μ(s) in [−max_action, max_action] (B, action_dim): the deterministic policy."""
        return self.cfg.max_action * torch.tanh(self.actor(obs))

    def forward(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        action = self.act(obs)
        return action, self.critic(obs, action)  # μ(s) (B, action_dim), Q(s, μ(s)) (B,)


@register_model(
    card=ModelCard(
        key="ddpg",
        name="DDPG",
        family="Deterministic policy gradient",
        domain="rl",
        task="continuous-control reinforcement learning",
        year=2015,
        paper=Paper(
            "Continuous control with deep reinforcement learning",
            "https://arxiv.org/abs/1509.02971",
            authors="T. P. Lillicrap, J. J. Hunt, A. Pritzel, N. Heess, T. Erez, Y. Tassa, D. Silver, D. Wierstra",
            venue="ICLR 2016",
        ),
        level="intermediate",
        summary=(
            "DQN for continuous actions. An actor network outputs the action itself (e.g. six joint torques), and "
            "a critic network estimates how good that action is; the actor is nudged in the direction in which "
            "the critic's estimate rises. Replay memory and slowly updated target copies of both networks, taken "
            "from DQN, keep the learning stable enough to control simulated robots."
        ),
        scenarios=(
            "continuous control: robot arms, legged locomotion, vehicles in simulation",
            "a baseline for off-policy continuous control before TD3 and SAC",
            "teaching the deterministic policy gradient",
        ),
        strengths=(
            "off-policy: reuses every transition from its replay memory",
            "handles high-dimensional continuous actions without discretising them",
            "small networks (259K parameters) train fast on a CPU",
        ),
        weaknesses=(
            "the critic overestimates Q-values, which the actor then exploits (fixed by TD3)",
            "brittle: results vary a lot with hyper-parameters and random seeds",
            "exploration is only the noise added to a deterministic action",
        ),
        params=Figure(258_907, "computed from the paper's Section 7 networks (400-300 units; 17-d observation, 6-d action; no batch norm)"),
        input="an observation vector, (B, 17) for HalfCheetah",
        output="the action μ(s) in [−1, 1]^6 and the critic's Q(s, μ(s)), (B,)",
        config_note=(
            "Actor 17 → 400 → 300 → 6 (ReLU, tanh output); critic 17 → 400, then [400 ‖ action 6] → 300 → 1. "
            "Overrides: obs_dim, action_dim, hidden, max_action."
        ),
        tags=("actor-critic", "continuous control", "off-policy", "mujoco", "deterministic policy gradient"),
        i18n={
            "zh": {
                "task": "连续控制强化学习",
                "summary": "面向连续动作的 DQN。演员网络直接输出动作本身（例如六个关节力矩），评论家网络估计该动作有多好；"
                "演员沿着评论家估值上升的方向调整。借自 DQN 的经验回放和缓慢更新的两个目标网络，使学习足够稳定，能够控制仿真机器人。",
                "scenarios": ["连续控制：仿真中的机械臂、足式运动、车辆", "TD3 与 SAC 之前的离策略连续控制基线", "讲解确定性策略梯度"],
                "strengths": ["离策略：重复利用回放缓冲区中的每条经验", "无需离散化即可处理高维连续动作", "网络小（25.9 万参数），CPU 上训练很快"],
                "weaknesses": ["评论家会高估 Q 值，演员随后利用这种高估（TD3 修正了这一点）", "脆弱：结果随超参数和随机种子变化很大", "探索只靠在确定性动作上加噪声"],
                "input": "观测向量，HalfCheetah 为 (B, 17)",
                "output": "动作 μ(s) ∈ [−1, 1]^6 及评论家的 Q(s, μ(s))，(B,)",
                "config_note": "演员 17 → 400 → 300 → 6（ReLU，tanh 输出）；评论家 17 → 400，再 [400 ‖ 动作 6] → 300 → 1。"
                "可覆盖：obs_dim、action_dim、hidden、max_action。",
            }
        },
    ),
    example_input=lambda: torch.randn(2, 17),
)
def ddpg(**overrides) -> DDPG:
    return DDPG(replace(DDPGConfig(), **overrides))
