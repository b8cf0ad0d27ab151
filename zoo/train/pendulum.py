"""Continuous control on Pendulum-v1 (gymnasium, pure Python, nothing to download).

- `td3_pendulum`: the recipe behind `assets/weights/td3_pendulum.safetensors` — TD3 (Fujimoto et al. 2018,
  Algorithm 1) with a small actor and twin critics (64-64 hidden units instead of the paper's 400-300:
  Pendulum has a 3-d observation and one torque, and the small nets train in minutes on one core).
- `rollout` / `evaluate` / `deterministic` / `random_policy`: play whole episodes with any policy, for the
  recipe's evaluation and for the demo.

Pendulum-v1: the pendulum starts hanging at a random angle θ ∈ [−π, π] with a random angular velocity in
[−1, 1]; the agent applies a torque in [−2, 2] N·m, too weak to lift it in one go, so it must swing up and
then balance. Each step costs θ² + 0.1 θ̇² + 0.001 u² (θ normalised to [−π, π], 0 = upright); an episode
is always 200 steps. Returns are negative: ≈ −1,200 for random torques, ≈ −150 for a good swing-up.
Why TD3 rather than SAC here: per environment step it does one critic update and half an actor update,
without log-probabilities or a temperature to tune, so it is the cheaper of the two on a shared 2-core CPU;
on Pendulum both reach the same returns.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ..rng import build, torch_generator
from ..runtime import single_threaded
from . import recipe

ENV_ID = "Pendulum-v1"
MAX_STEPS = 200  # Pendulum-v1's time limit: every episode is exactly 200 steps
MAX_TORQUE = 2.0  # the action space is [−2, 2] N·m
EVAL_SEEDS = tuple(range(1000, 1020))  # held-out episodes for the shipped weights' evaluation
CHECK_SEEDS = tuple(range(2000, 2010))  # validation episodes that choose the kept checkpoint
CONFIG = {"obs_dim": 3, "action_dim": 1, "hidden": (64, 64), "max_action": MAX_TORQUE}

Policy = Callable[[np.ndarray], float]  # observation (cos θ, sin θ, θ̇) → torque in [−2, 2]


def make_env():
    import gymnasium as gym  # imported lazily: only RL code needs it

    return gym.make(ENV_ID)


def angle(obs: np.ndarray) -> float:
    """θ in (−π, π] from the observation (cos θ, sin θ, θ̇); 0 is upright."""
    return math.atan2(float(obs[1]), float(obs[0]))


# ----------------------------------------------------------------------------- playing episodes


@dataclass
class Trace:
    """One played episode: observations (steps + 1, 3), the torque and reward of every step (steps,)."""

    observations: np.ndarray
    torques: np.ndarray
    rewards: np.ndarray

    @property
    def total(self) -> float:
        return float(self.rewards.sum())

    @property
    def angles(self) -> np.ndarray:
        return np.arctan2(self.observations[:, 1], self.observations[:, 0])


@single_threaded()
def rollout(policy: Policy, seed: int, max_steps: int = MAX_STEPS) -> Trace:
    """Play one episode from the start state fixed by `seed` (at most 200 steps, Pendulum's limit)."""
    with make_env() as env:
        obs, _ = env.reset(seed=int(seed))
        observations, torques, rewards = [obs], [], []
        for _ in range(max_steps):
            u = float(np.clip(policy(obs), -MAX_TORQUE, MAX_TORQUE))
            obs, reward, terminated, truncated, _ = env.step(np.array([u], np.float32))
            observations.append(obs)
            torques.append(u)
            rewards.append(float(reward))
            if terminated or truncated:
                break
    return Trace(np.asarray(observations, np.float32), np.asarray(torques, np.float32), np.asarray(rewards, np.float64))


def evaluate(policy_for_seed: Callable[[int], Policy], seeds=EVAL_SEEDS) -> list[float]:
    """Return of one episode per seed; `policy_for_seed(seed)` makes the policy (a random one is seeded too)."""
    return [rollout(policy_for_seed(s), s).total for s in seeds]


def deterministic(model: torch.nn.Module) -> Policy:
    """The policy without exploration noise: TD3's μ(s), SAC's tanh of the Gaussian mean (both `act`)."""

    def policy(obs: np.ndarray) -> float:
        with torch.no_grad():
            return float(model.act(torch.as_tensor(obs, dtype=torch.float32).unsqueeze(0))[0, 0])

    return policy


def random_policy(seed: int = 0) -> Policy:
    """Torques drawn uniformly from [−2, 2] at every step: the baseline."""
    rng = np.random.default_rng(seed)
    return lambda obs: float(rng.uniform(-MAX_TORQUE, MAX_TORQUE))


def _stats(returns: list[float]) -> dict[str, float]:
    return {"mean": round(float(np.mean(returns)), 1), "std": round(float(np.std(returns)), 1),
            "min": round(float(np.min(returns)), 1), "max": round(float(np.max(returns)), 1)}


# ----------------------------------------------------------------------------- TD3, shipped


@torch.no_grad()
def _soft_update(target: torch.nn.Module, online: torch.nn.Module, tau: float) -> None:
    """θ' ← τ θ + (1 − τ) θ' (Algorithm 1, last line)."""
    for t, o in zip(target.parameters(), online.parameters()):
        t.lerp_(o, tau)


@recipe("td3_pendulum")
@single_threaded()
def td3_pendulum(
    total_steps: int = 20_000,
    seed: int = 0,
    buffer_size: int = 100_000,
    batch_size: int = 256,
    actor_lr: float = 1e-3,
    critic_lr: float = 1e-3,
    gamma: float = 0.99,
    tau: float = 0.005,
    policy_delay: int = 2,
    start_steps: int = 1_000,
    explore_noise: float = 0.1,  # × max torque, Gaussian, on the behaviour policy
    target_noise: float = 0.2,  # × max torque: σ of Eq. 14's smoothing noise
    noise_clip: float = 0.5,  # × max torque: c of Eq. 14
    check_every: int = 1_000,
    check_seeds=CHECK_SEEDS,
    log: Callable[[str], None] | None = print,
    save: bool = True,
) -> dict:
    """TD3 (64-64) on Pendulum-v1 → td3_pendulum.safetensors (deterministic mean return, 20 held-out episodes)."""
    from zoo.rl.td3 import td3_target
    from zoo.weights import save_shipped

    torch_rng = torch_generator(seed)  # initial weights, exploration and target-smoothing noise
    np_rng = np.random.default_rng(seed)  # warm-up torques and replay minibatches; the environment is seeded apart
    start = time.perf_counter()
    model = build("td3", torch_rng, **CONFIG)
    target = copy.deepcopy(model)  # μ', Q'_1, Q'_2: the slowly moving copies that compute the targets
    actor_opt = torch.optim.Adam(model.actor.parameters(), lr=actor_lr)
    critic_opt = torch.optim.Adam(model.critic.parameters(), lr=critic_lr)

    # Replay: a ring buffer of transitions (s, a, r, s', terminal), sampled uniformly.
    s_buf = np.zeros((buffer_size, 3), np.float32)
    s2_buf = np.zeros((buffer_size, 3), np.float32)
    a_buf = np.zeros((buffer_size, 1), np.float32)
    r_buf = np.zeros(buffer_size, np.float32)
    term_buf = np.zeros(buffer_size, np.float32)

    env = make_env()
    obs, _ = env.reset(seed=seed)
    episode_return, returns = 0.0, []
    best_score, best_state, best_step = -math.inf, copy.deepcopy(model.state_dict()), 0
    checks: list[tuple[int, float]] = []
    for step in range(total_steps):
        if step < start_steps:  # uniform torques first: the replay starts with varied data
            action = float(np_rng.uniform(-MAX_TORQUE, MAX_TORQUE))
        else:  # μ(s) + N(0, σ), clipped to the torque range (Algorithm 1's exploration)
            with torch.no_grad():
                mu = float(model.act(torch.as_tensor(obs).unsqueeze(0))[0, 0])
            noise = float(torch.randn((), generator=torch_rng)) * explore_noise * MAX_TORQUE
            action = float(np.clip(mu + noise, -MAX_TORQUE, MAX_TORQUE))
        next_obs, reward, terminated, truncated, _ = env.step(np.array([action], np.float32))
        i = step % buffer_size
        s_buf[i], a_buf[i, 0], r_buf[i], s2_buf[i], term_buf[i] = obs, action, reward, next_obs, terminated
        episode_return += float(reward)
        obs = next_obs
        # Pendulum never terminates; its 200-step limit is a truncation, so targets keep bootstrapping there.
        if terminated or truncated:
            returns.append(episode_return)
            episode_return = 0.0
            obs, _ = env.reset()

        if step >= start_steps:
            idx = np_rng.integers(min(step + 1, buffer_size), size=batch_size)
            s, a, r, s2, term = (torch.as_tensor(b[idx]) for b in (s_buf, a_buf, r_buf, s2_buf, term_buf))
            # Critics: regress both Q₁, Q₂ on the clipped double-Q target with target smoothing (Eqs. 10, 14).
            y = td3_target(target, r, s2, term, gamma, target_noise * MAX_TORQUE, noise_clip * MAX_TORQUE,
                           generator=torch_rng)
            q1, q2 = model.critic(s, a)
            critic_loss = F.mse_loss(q1, y) + F.mse_loss(q2, y)
            critic_opt.zero_grad()
            critic_loss.backward()
            critic_opt.step()
            # Delayed policy update: the actor ascends Q₁(s, μ(s)) and the targets move every d-th step.
            if step % policy_delay == 0:
                actor_loss = -model.critic(s, model.act(s))[0].mean()
                actor_opt.zero_grad()
                actor_loss.backward()
                actor_opt.step()  # the critic's gradients from this loss are cleared before its next step
                _soft_update(target, model, tau)

        # Keep the best checkpoint, chosen on validation episodes whose seeds differ from the held-out ones.
        if (step + 1) % check_every == 0 and step >= start_steps:
            model.eval()
            score = float(np.mean(evaluate(lambda _: deterministic(model), check_seeds)))
            model.train()  # no dropout or normalisation here: the mode only keeps the bookkeeping honest
            checks.append((step + 1, round(score, 1)))
            if score >= best_score:
                best_score, best_state, best_step = score, copy.deepcopy(model.state_dict()), step + 1
            if log:
                recent = np.mean(returns[-5:]) if returns else float("nan")
                log(f"step {step + 1:>6}  episodes {len(returns):>4}  last-5 return {recent:8.1f}  "
                    f"validation {score:8.1f}  best {best_score:8.1f}  {time.perf_counter() - start:6.1f} s")
    env.close()

    model.load_state_dict(best_state)
    model.eval()
    test = evaluate(lambda _: deterministic(model), EVAL_SEEDS)
    baseline = evaluate(random_policy, EVAL_SEEDS)  # random torques on the same start states
    seconds = time.perf_counter() - start
    n = len(EVAL_SEEDS)
    result = {
        "model": "td3",
        "recipe": "td3_pendulum",
        "dataset": (f"{ENV_ID} (gymnasium {_gym_version()}), simulated; "
                    f"evaluation seeds {EVAL_SEEDS[0]}–{EVAL_SEEDS[-1]}"),
        "metric": {
            f"deterministic mean return, {n} held-out episodes": round(float(np.mean(test)), 1),
            f"deterministic return std, {n} held-out episodes": round(float(np.std(test)), 1),
            f"random-policy mean return, same {n} episodes": round(float(np.mean(baseline)), 1),
            f"random-policy return std, same {n} episodes": round(float(np.std(baseline)), 1),
            "validation mean return of the kept checkpoint": round(best_score, 1),
        },
        "returns": {"trained": _stats(test), "random": _stats(baseline)},
        "episode_returns": {"seeds": list(EVAL_SEEDS), "trained": [round(x, 3) for x in test],
                            "random": [round(x, 3) for x in baseline]},
        "env_steps": total_steps,
        "checkpoint_step": best_step,
        "validation_curve": checks,
        "training_episodes": len(returns),
        "seconds": round(seconds, 1),
        "config": CONFIG,
        "seed": seed,
        "hyperparameters": {
            "buffer_size": buffer_size, "batch_size": batch_size, "actor_lr": actor_lr, "critic_lr": critic_lr,
            "gamma": gamma, "tau": tau, "policy_delay": policy_delay, "start_steps": start_steps,
            "explore_noise": explore_noise * MAX_TORQUE, "target_noise": target_noise * MAX_TORQUE,
            "noise_clip": noise_clip * MAX_TORQUE, "optimizer": "Adam", "validation_seeds": list(check_seeds),
        },
    }
    if save:
        save_shipped(model, "td3_pendulum.safetensors", result)
    return result


def _gym_version() -> str:
    import gymnasium

    return gymnasium.__version__
