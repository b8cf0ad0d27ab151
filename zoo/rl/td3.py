"""TD3 — Fujimoto, van Hoof & Meger, "Addressing Function Approximation Error in Actor-Critic Methods"
(ICML 2018). https://arxiv.org/abs/1802.09477

Twin Delayed DDPG. The paper shows that DDPG's critic overestimates, as Q-learning does, and that the actor
then climbs exactly those errors. Three changes fix it (Algorithm 1):
1. **Twin critics, clipped double Q-learning** (Eq. 10): two critics Q₁, Q₂ and the target
   y = r + γ min_{i=1,2} Q'_i(s', ã), so the target uses the more pessimistic estimate;
2. **Delayed policy updates**: the actor and the target networks move once every d = 2 critic updates;
3. **Target policy smoothing** (Eq. 14): ã = μ'(s') + clip(ε, −c, c), ε ~ N(0, σ), so the target does not
   trust a single sharp peak of Q.

The networks are DDPG's with both critics reading [s ‖ a] at the input. Sizes here follow the authors'
current reference code (256-256 hidden units; the paper's Table 3 used 400-300) for HalfCheetah's 17-d
observation and 6-d action: actor 71,942 + two critics 2 × 72,193 = 216,328 parameters. `td3_target` writes
out the target of Eq. 10 with smoothing; `forward(obs)` returns the action and both critics' values of it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn as nn

from ..card import Figure, Metric, ModelCard, Paper
from ..registry import register_model
from ._nets import mlp


@dataclass(frozen=True)
class TD3Config:
    obs_dim: int = 17  # HalfCheetah
    action_dim: int = 6
    hidden: tuple[int, ...] = (256, 256)
    max_action: float = 1.0


class TwinQ(nn.Module):
    """Two independent critics Q₁(s, a), Q₂(s, a) on the concatenated state and action."""

    def __init__(self, obs_dim: int, action_dim: int, hidden: tuple[int, ...]):
        super().__init__()
        self.q1 = mlp([obs_dim + action_dim, *hidden, 1])
        self.q2 = mlp([obs_dim + action_dim, *hidden, 1])

    def forward(self, obs: torch.Tensor, action: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        sa = torch.cat([obs, action], dim=-1)  # (B, obs_dim + action_dim)
        return self.q1(sa).squeeze(-1), self.q2(sa).squeeze(-1)  # (B,), (B,)


class TD3(nn.Module):
    def __init__(self, cfg: TD3Config = TD3Config()):
        super().__init__()
        self.cfg = cfg
        self.actor = mlp([cfg.obs_dim, *cfg.hidden, cfg.action_dim])
        self.critic = TwinQ(cfg.obs_dim, cfg.action_dim, cfg.hidden)

    def act(self, obs: torch.Tensor) -> torch.Tensor:
        """μ(s) in [−max_action, max_action], (B, action_dim)."""
        return self.cfg.max_action * torch.tanh(self.actor(obs))

    def forward(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        action = self.act(obs)
        q1, q2 = self.critic(obs, action)
        return action, q1, q2  # the actor ascends q1 only (Algorithm 1: ∇_a Q_θ1)


@torch.no_grad()
def td3_target(
    target: TD3, reward: torch.Tensor, next_obs: torch.Tensor, done: torch.Tensor, gamma: float = 0.99,
    noise_std: float = 0.2, noise_clip: float = 0.5, generator: torch.Generator | None = None,
) -> torch.Tensor:
    """y = r + γ (1 − done) min_i Q'_i(s', ã), ã = clip(μ'(s') + clip(ε, −c, c)) — Eqs. 10 and 14, computed
    with the target networks `target`."""
    mu = target.act(next_obs)
    eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype) * noise_std
    a = (mu + eps.clamp(-noise_clip, noise_clip)).clamp(-target.cfg.max_action, target.cfg.max_action)
    q1, q2 = target.critic(next_obs, a)
    return reward + gamma * (1.0 - done) * torch.minimum(q1, q2)


@register_model(
    card=ModelCard(
        key="td3",
        name="TD3",
        family="Deterministic policy gradient",
        domain="rl",
        task="continuous-control reinforcement learning",
        year=2018,
        paper=Paper(
            "Addressing Function Approximation Error in Actor-Critic Methods",
            "https://arxiv.org/abs/1802.09477",
            authors="S. Fujimoto, H. van Hoof, D. Meger",
            venue="ICML 2018",
        ),
        level="advanced",
        summary=(
            "DDPG with three fixes for its overestimated values: two critics whose smaller estimate forms the "
            "learning target, an actor that is updated only every second critic update, and noise added to the "
            "target action so the critic cannot be fooled by one sharp peak. Simple to add, and it made "
            "deterministic actor-critic learning far more reliable on robot-control benchmarks."
        ),
        scenarios=(
            "continuous control in simulation: locomotion, manipulation, pendulum swing-up",
            "a strong, simple off-policy baseline next to SAC",
            "teaching overestimation bias and clipped double Q-learning",
        ),
        strengths=(
            "much more stable than DDPG, with few extra lines of code",
            "off-policy and sample-efficient; small networks train on a CPU",
            "deterministic policy: the same state always gives the same action at test time",
        ),
        weaknesses=(
            "exploration still relies on hand-tuned action noise (SAC learns it)",
            "the min of two critics can underestimate values",
            "several extra hyper-parameters (policy delay, target noise and its clip)",
        ),
        params=Figure(216_328, "computed from the authors' reference networks (256-256, twin critics; 17-d observation, 6-d action)"),
        input="an observation vector, (B, 17) for HalfCheetah",
        output="the action μ(s) in [−1, 1]^6 and both critics' Q-values of it, (B,) each",
        metric=Metric("max average return", 9636.95, "return", "MuJoCo HalfCheetah-v1, 1M steps", "Fujimoto et al. 2018, Table 1"),
        config_note=(
            "Actor 17 → 256 → 256 → 6 (ReLU, tanh output); two critics [17 ‖ 6] → 256 → 256 → 1. The paper's "
            "Table 3 used 400-300 units; the authors' code now uses 256-256. Overrides: obs_dim, action_dim, hidden."
        ),
        tags=("actor-critic", "continuous control", "off-policy", "mujoco", "double q-learning", "twin critics"),
        i18n={
            "zh": {
                "task": "连续控制强化学习",
                "summary": "针对 DDPG 价值高估问题的三处修正：用两个评论家中较小的估计作为学习目标；演员每隔一次评论家更新才更新一次；"
                "在目标动作上加噪声，让评论家不被某个尖锐峰值欺骗。改动简单，却使确定性演员-评论家方法在机器人控制基准上可靠得多。",
                "scenarios": ["仿真中的连续控制：行走、操作、倒立摆起摆", "与 SAC 并列的强大而简单的离策略基线", "讲解高估偏差与裁剪双 Q 学习"],
                "strengths": ["比 DDPG 稳定得多，只需增加几行代码", "离策略、样本效率高；小网络在 CPU 上即可训练", "确定性策略：测试时同一状态总给出同一动作"],
                "weaknesses": ["探索仍依赖手工调节的动作噪声（SAC 能自动学习）", "取两个评论家的最小值可能导致低估", "多出若干超参数（策略延迟、目标噪声及其裁剪）"],
                "input": "观测向量，HalfCheetah 为 (B, 17)",
                "output": "动作 μ(s) ∈ [−1, 1]^6 及两个评论家对它的 Q 值，各为 (B,)",
                "config_note": "演员 17 → 256 → 256 → 6（ReLU，tanh 输出）；两个评论家 [17 ‖ 6] → 256 → 256 → 1。"
                "论文表 3 使用 400-300 单元；作者现行代码使用 256-256。可覆盖：obs_dim、action_dim、hidden。",
            }
        },
    ),
    example_input=lambda: torch.randn(2, 17),
)
def td3(**overrides) -> TD3:
    return TD3(replace(TD3Config(), **overrides))


from ..weights import Weights, register_weights

register_weights(
    Weights(
        model="td3",
        name="pendulum",
        description="TD3 trained by DeepZoo on Pendulum-v1, reduced to 64-64 hidden units; best validation checkpoint",
        dataset=(
            "Pendulum-v1 from gymnasium (simulated; 20,000 training steps, seed 0); "
            "evaluated on 20 held-out episodes, seeds 1000–1019"
        ),
        source="shipped",
        file="td3_pendulum.safetensors",
        recipe="td3_pendulum",
        config={"obs_dim": 3, "action_dim": 1, "hidden": (64, 64), "max_action": 2.0},  # torque in [−2, 2] N·m
        metrics={
            "deterministic mean return, 20 held-out episodes": -153.0,
            "random-policy mean return, same 20 episodes": -1209.9,
        },
        preprocessing="the raw Pendulum observation (cos θ, sin θ, θ̇), float32, unscaled",
    )
)
