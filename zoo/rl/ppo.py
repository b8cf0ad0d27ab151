"""Proximal Policy Optimization — Schulman et al., "Proximal Policy Optimization Algorithms" (2017).
https://arxiv.org/abs/1707.06347

PPO is a training objective more than an architecture: it improves a policy π_θ(a|s) by several
epochs of minibatch gradient steps on the same batch of experience, but clips the probability
ratio r_t(θ) = π_θ(a_t|s_t) / π_θold(a_t|s_t) so that no step moves the policy far from the one that
collected the data (the clipped surrogate, Eq. 7). Advantages come from generalized advantage
estimation (GAE, Eqs. 11–12).

The network is the paper's MuJoCo one — an MLP with two hidden layers of 64 tanh units, with no
parameters shared between the policy and the value function — made discrete for CartPole: the
actor outputs logits over 2 actions and the critic one state value. 9,155 parameters.

`ppo_loss` and `gae` are written out here in plain torch so that training code can import them.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..card import Figure, Metric, ModelCard, Paper
from ..registry import register_model


@dataclass(frozen=True)
class PPOConfig:
    obs_dim: int = 4  # CartPole: cart position, cart velocity, pole angle, pole angular velocity
    hidden: tuple[int, ...] = (64, 64)  # the paper's MLP: two hidden layers of 64 tanh units
    num_actions: int = 2  # CartPole: push left, push right


def _mlp(sizes: list[int], out_gain: float) -> nn.Sequential:
    """tanh MLP with orthogonal init (the usual PPO initialisation; the last layer is scaled down
    so the initial policy is near-uniform and the initial values near zero)."""
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        last = i == len(sizes) - 2
        linear = nn.Linear(n_in, n_out)
        nn.init.orthogonal_(linear.weight, gain=out_gain if last else 2**0.5)
        nn.init.zeros_(linear.bias)
        layers += [linear] if last else [linear, nn.Tanh()]
    return nn.Sequential(*layers)


class ActorCritic(nn.Module):
    """Separate policy (actor) and value (critic) networks, as in the paper's MuJoCo experiments."""

    def __init__(self, cfg: PPOConfig = PPOConfig()):
        super().__init__()
        self.cfg = cfg
        sizes = [cfg.obs_dim, *cfg.hidden]
        self.actor = _mlp([*sizes, cfg.num_actions], out_gain=0.01)  # π_θ(·|s) as logits
        self.critic = _mlp([*sizes, 1], out_gain=1.0)  # V(s), the baseline for the advantages

    def forward(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logits = self.actor(obs)  # (B, num_actions)
        value = self.critic(obs).squeeze(-1)  # (B,)
        return logits, value

    def act(
        self, obs: torch.Tensor, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Sample a ~ π_θ(·|s); return (action, log π_θ(a|s), V(s)) — what a rollout stores.
        `generator` makes the draws reproducible (None: torch's process-wide generator)."""
        logits, value = self(obs)
        dist = torch.distributions.Categorical(logits=logits)
        # what dist.sample() does, with a generator it cannot take: one draw per row of probabilities
        action = torch.multinomial(dist.probs.reshape(-1, logits.shape[-1]), 1, True, generator=generator)
        action = action.reshape(logits.shape[:-1])  # (B,)
        return action, dist.log_prob(action), value


def ppo_loss(
    log_probs: torch.Tensor,
    old_log_probs: torch.Tensor,
    advantages: torch.Tensor,
    clip_eps: float = 0.2,
    values: torch.Tensor | None = None,
    returns: torch.Tensor | None = None,
    entropy: torch.Tensor | None = None,
    vf_coef: float = 0.5,
    ent_coef: float = 0.0,
) -> torch.Tensor:
    """The PPO loss to *minimise*, averaged over the batch.

    With only the first three arguments this is −L^CLIP, the clipped surrogate of Eq. 7:

        L^CLIP(θ) = Ê_t[ min( r_t(θ) Â_t, clip(r_t(θ), 1 − ε, 1 + ε) Â_t ) ],  r_t = exp(log π_θ − log π_θold)

    Taking the minimum makes the objective a pessimistic bound: the ratio gets no credit for moving
    beyond [1 − ε, 1 + ε] in the direction that helps, but is still penalised when it hurts.

    Passing `values` and `returns` (and optionally `entropy`) gives −L^{CLIP+VF+S} of Eq. 9, used when
    policy and value share parameters or are trained together: + c1 (V_θ(s_t) − V_t^targ)² − c2 S[π_θ](s_t).

    Shapes: all tensors (N,) (flattened time × environments). `old_log_probs` and `advantages`
    come from the rollout and carry no gradient.
    """
    ratio = torch.exp(log_probs - old_log_probs)  # r_t(θ); equals 1 at the first epoch
    unclipped = ratio * advantages
    clipped = torch.clamp(ratio, 1.0 - clip_eps, 1.0 + clip_eps) * advantages
    loss = -torch.min(unclipped, clipped).mean()  # −L^CLIP (Eq. 7)
    if values is not None and returns is not None:
        loss = loss + vf_coef * F.mse_loss(values, returns)  # c1 L^VF (Eq. 9)
    if entropy is not None:
        loss = loss - ent_coef * entropy.mean()  # −c2 S, an exploration bonus (Eq. 9)
    return loss


def gae(
    rewards: torch.Tensor,
    values: torch.Tensor,
    dones: torch.Tensor,
    last_value: torch.Tensor,
    gamma: float = 0.99,
    lam: float = 0.95,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Generalized advantage estimation over a rollout of T steps (Eqs. 11–12).

        δ_t = r_t + γ V(s_{t+1}) − V(s_t),   Â_t = δ_t + (γλ) δ_{t+1} + … + (γλ)^{T−t−1} δ_{T−1}

    computed backwards as Â_t = δ_t + γλ Â_{t+1}. λ trades bias (λ = 0: one-step TD) for variance
    (λ = 1: Monte-Carlo returns minus the baseline).

    rewards, values, dones: (T,) or (T, N) for N parallel environments, time first. dones[t] = 1 when
    the episode ended at step t, which stops both bootstrapping and the advantage sum there.
    last_value: V(s_T) for the state after the rollout, () or (N,).
    Returns (advantages, returns), both shaped like `rewards`; returns = Â + V are the critic's targets.
    """
    values = values.detach()
    advantages = torch.zeros_like(rewards, dtype=values.dtype)
    next_value = last_value.detach().to(values.dtype)
    next_advantage = torch.zeros_like(next_value)
    for t in reversed(range(rewards.shape[0])):
        not_done = 1.0 - dones[t].to(values.dtype)
        delta = rewards[t] + gamma * next_value * not_done - values[t]  # δ_t (TD residual)
        next_advantage = delta + gamma * lam * not_done * next_advantage
        advantages[t] = next_advantage
        next_value = values[t]
    return advantages, advantages + values


@register_model(
    card=ModelCard(
        key="ppo",
        name="PPO actor-critic (MLP)",
        family="PPO",
        domain="rl",
        task="policy-gradient reinforcement learning",
        year=2017,
        paper=Paper(
            "Proximal Policy Optimization Algorithms",
            "https://arxiv.org/abs/1707.06347",
            authors="J. Schulman, F. Wolski, P. Dhariwal, A. Radford, O. Klimov",
            venue="arXiv",
        ),
        level="intermediate",
        summary=(
            "An actor network that gives the probability of each action and a critic network that estimates "
            "how good the current state is. PPO trains them on batches of the agent's own experience, "
            "clipping how far each update may change the policy, which makes policy-gradient learning "
            "stable enough to be the default choice for games, robotics and fine-tuning language models with RLHF."
        ),
        scenarios=(
            "classic control (CartPole) and other discrete-action environments",
            "a baseline for new RL environments",
            "teaching policy gradients, advantages and the clipped objective",
        ),
        strengths=(
            "stable and forgiving of hyper-parameters compared with plain policy gradients",
            "simple: a few lines on top of an actor-critic, first-order optimisation only",
            "tiny network here (9K parameters), quick to train on a CPU",
        ),
        weaknesses=(
            "on-policy: experience is used for a few epochs and then thrown away, so it needs many samples",
            "this entry is discrete-action; continuous control needs a Gaussian policy head",
            "performance depends on implementation details (normalisation, clipping, initialisation)",
        ),
        params=Figure(9_155, "DeepZoo's stated configuration (obs 4, separate 64-64 tanh actor and critic, 2 actions)"),
        input="observation vector, (B, obs_dim); CartPole: 4 numbers",
        output="(action logits (B, num_actions), state value (B,))",
        metric=Metric(
            "average normalised score, clipping ε = 0.2 (0 = random policy, 1 = best setting)",
            0.82,
            "normalised score",
            "7 MuJoCo tasks, 1M timesteps, 64-64 tanh MLP with a Gaussian policy",
            "Schulman et al. 2017, Table 1",
        ),
        config_note=(
            "CartPole-sized: obs 4 → actor 64-64 tanh → 2 logits; critic 64-64 tanh → 1 value; no shared "
            "parameters (the paper's MuJoCo setup, made discrete). Overrides: obs_dim, hidden, num_actions. "
            "The metric is the paper's MuJoCo ablation for the same MLP shape, not a CartPole result."
        ),
        tags=("policy-gradient", "actor-critic", "on-policy", "gae", "cartpole", "mlp"),
        i18n={
            "zh": {
                "task": "策略梯度强化学习",
                "summary": "一个演员（actor）网络给出每个动作的概率，一个评论家（critic）网络估计当前状态的好坏。"
                "PPO 用智能体自己收集的经验批量训练它们，并裁剪每次更新对策略的改变幅度，使策略梯度学习足够稳定，"
                "成为游戏、机器人以及用 RLHF 微调语言模型的默认选择。",
                "scenarios": [
                    "经典控制（CartPole）等离散动作环境",
                    "新强化学习环境的基线",
                    "讲解策略梯度、优势函数与裁剪目标",
                ],
                "strengths": [
                    "比普通策略梯度更稳定，对超参数更宽容",
                    "简单：在演员-评论家之上加几行代码，只需一阶优化",
                    "这里的网络很小（约 9 千参数），在 CPU 上训练很快",
                ],
                "weaknesses": [
                    "同策略：经验只用几轮就丢弃，所需样本多",
                    "本条目只支持离散动作；连续控制需要高斯策略头",
                    "效果依赖实现细节（归一化、裁剪、初始化）",
                ],
                "input": "观测向量，(B, obs_dim)；CartPole 为 4 个数",
                "output": "（动作 logits (B, 动作数)，状态价值 (B,)）",
            }
        },
    ),
    example_input=lambda: torch.randn(2, 4),
)
def ppo(**overrides) -> ActorCritic:
    return ActorCritic(replace(PPOConfig(), **overrides))
