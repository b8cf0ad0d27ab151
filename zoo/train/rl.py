"""Reinforcement learning on CartPole-v1 (gymnasium, pure Python, nothing to download).

- `train_ppo`: PPO (Schulman et al. 2017) with a progress callback; the CartPole demo runs it live
  in the page, so it stops as soon as the task counts as solved.
- `dqn_cartpole`: the recipe behind `assets/weights/dqn_cartpole.safetensors` — Double DQN
  (van Hasselt et al. 2016) with experience replay and a target network (Mnih et al. 2015).
- `rollout` / `evaluate` / `greedy` / `random_policy`: play whole episodes with any policy, for the
  recipe's evaluation and for the demo.

"Solved" is the classic CartPole criterion: an average return of at least 195 over 100 consecutive
episodes. CartPole-v1 gives +1 per step and ends an episode at 500 steps, so 500 is a perfect score.
"""

from __future__ import annotations

import copy
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from ..rng import build, torch_generator
from ..runtime import single_threaded
from . import recipe

ENV_ID = "CartPole-v1"
SOLVED = 195.0  # mean return over 100 consecutive episodes
WINDOW = 100
EVAL_SEEDS = tuple(range(1000, 1020))  # held-out episodes for the shipped weights' evaluation

Policy = Callable[[np.ndarray], int]  # observation (4,) → action (0 = push left, 1 = push right)


def make_env():
    import gymnasium as gym  # imported lazily: only RL code needs it

    return gym.make(ENV_ID)


# ----------------------------------------------------------------------------- playing episodes


@single_threaded()
def rollout(policy: Policy, seed: int, max_steps: int = 500) -> tuple[float, list[np.ndarray]]:
    """Play one episode from the start state fixed by `seed`.

    Returns (total return, observations): the first observation and one after every step. For
    CartPole the observation is the full physical state, so the demo draws frames from it."""
    with make_env() as env:
        obs, _ = env.reset(seed=seed)
        observations, total = [obs], 0.0
        for _ in range(max_steps):
            obs, reward, terminated, truncated, _ = env.step(policy(obs))
            observations.append(obs)
            total += float(reward)
            if terminated or truncated:
                break
        return total, observations


def evaluate(policy: Policy, seeds=EVAL_SEEDS, max_steps: int = 500) -> list[float]:
    """Return of one episode per seed."""
    return [rollout(policy, s, max_steps)[0] for s in seeds]


def greedy(model: torch.nn.Module) -> Policy:
    """Act on the highest-scoring action: PPO's most likely action (its logits), DQN's highest Q."""

    def policy(obs: np.ndarray) -> int:
        with torch.no_grad():
            out = model(torch.as_tensor(obs, dtype=torch.float32).unsqueeze(0))
        scores = out[0] if isinstance(out, tuple) else out  # PPO returns (logits, value)
        return int(scores.argmax(dim=-1))

    return policy


def random_policy(seed: int = 0) -> Policy:
    """Uniformly random pushes: the baseline (it keeps the pole up for ~20 steps)."""
    rng = np.random.default_rng(seed)
    return lambda obs: int(rng.integers(2))


# ----------------------------------------------------------------------------- PPO, live


@dataclass
class PPOHistory:
    returns: list[float] = field(default_factory=list)  # every finished episode's return, in order
    mean100: list[float] = field(default_factory=list)  # after each update: mean of the last 100 returns
    env_steps: int = 0
    seconds: float = 0.0
    solved: bool = False

    @property
    def updates(self) -> int:
        return len(self.mean100)


Progress = Callable[[int, list[float], float], None]  # (update, episode returns so far, mean of last 100)


@single_threaded()
def train_ppo(
    updates: int = 120,
    seed: int = 0,
    progress: Progress | None = None,
    num_envs: int = 8,
    rollout_steps: int = 64,
    epochs: int = 4,
    minibatches: int = 4,
    lr: float = 2.5e-3,
    gamma: float = 0.99,
    lam: float = 0.95,
    clip_eps: float = 0.2,
    ent_coef: float = 0.0,
    vf_coef: float = 0.5,
    max_grad_norm: float = 0.5,
):
    """Train zoo's PPO actor-critic on CartPole-v1 until the last 100 episodes average ≥ 195
    or `updates` updates are spent. Returns (model in eval mode, PPOHistory).

    Each update collects `rollout_steps` steps from each of `num_envs` environments, computes GAE
    advantages, then takes `epochs` passes of `minibatches` clipped-surrogate steps (Algorithm 1).
    `progress(update, returns, mean100)` is called after every update (the demo's live chart)."""
    from zoo.rl.ppo import gae, ppo_loss

    rng = torch_generator(seed)  # initial weights, sampled actions, minibatches; environments are seeded apart
    start = time.perf_counter()
    model = build("ppo", rng)
    opt = torch.optim.Adam(model.parameters(), lr=lr, eps=1e-5)
    envs = [make_env() for _ in range(num_envs)]
    obs = np.stack([env.reset(seed=seed * 1000 + i)[0] for i, env in enumerate(envs)])
    running = np.zeros(num_envs)  # return so far of each environment's current episode
    history = PPOHistory()
    last100: deque[float] = deque(maxlen=WINDOW)
    batch = num_envs * rollout_steps

    for update in range(1, updates + 1):
        # Anneal the learning rate linearly to 0 over the budget (as in the paper's Atari setup).
        for g in opt.param_groups:
            g["lr"] = lr * (1.0 - (update - 1) / updates)

        # 1. Collect a rollout with the current policy π_θold.
        model.eval()
        b_obs = torch.zeros(rollout_steps, num_envs, 4)
        b_act = torch.zeros(rollout_steps, num_envs, dtype=torch.long)
        b_logp, b_val, b_rew, b_done = (torch.zeros(rollout_steps, num_envs) for _ in range(4))
        for t in range(rollout_steps):
            o = torch.as_tensor(obs, dtype=torch.float32)
            with torch.no_grad():
                action, logp, value = model.act(o, generator=rng)
            b_obs[t], b_act[t], b_logp[t], b_val[t] = o, action, logp, value
            for i, env in enumerate(envs):
                obs[i], reward, terminated, truncated, _ = env.step(int(action[i]))
                running[i] += reward
                b_rew[t, i] = reward
                # A time-limit truncation is treated like a failure (no bootstrap): a small bias
                # that never matters before the task is solved at 195.
                if terminated or truncated:
                    b_done[t, i] = 1.0
                    history.returns.append(float(running[i]))
                    last100.append(float(running[i]))
                    running[i] = 0.0
                    obs[i] = env.reset()[0]
        with torch.no_grad():
            last_value = model(torch.as_tensor(obs, dtype=torch.float32))[1]
        advantages, returns = gae(b_rew, b_val, b_done, last_value, gamma, lam)

        # 2. Several epochs of minibatch steps on the clipped surrogate (Eq. 9: policy + value + entropy).
        model.train()
        flat = (b_obs.reshape(batch, 4), b_act.reshape(batch), b_logp.reshape(batch),
                advantages.reshape(batch), returns.reshape(batch))
        for _ in range(epochs):
            for idx in torch.randperm(batch, generator=rng).chunk(minibatches):
                mb_obs, mb_act, mb_logp, mb_adv, mb_ret = (x[idx] for x in flat)
                logits, values = model(mb_obs)
                dist = torch.distributions.Categorical(logits=logits)
                mb_adv = (mb_adv - mb_adv.mean()) / (mb_adv.std() + 1e-8)  # per-minibatch normalisation
                loss = ppo_loss(dist.log_prob(mb_act), mb_logp, mb_adv, clip_eps, values=values, returns=mb_ret,
                                entropy=dist.entropy(), vf_coef=vf_coef, ent_coef=ent_coef)
                opt.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
                opt.step()

        history.env_steps += batch
        mean100 = float(np.mean(last100)) if last100 else 0.0
        history.mean100.append(mean100)
        history.solved = len(last100) == WINDOW and mean100 >= SOLVED
        if progress is not None:
            progress(update, history.returns, mean100)
        if history.solved:
            break

    for env in envs:
        env.close()
    history.seconds = time.perf_counter() - start
    return model.eval(), history


# ----------------------------------------------------------------------------- DQN, shipped


@recipe("dqn_cartpole")
@single_threaded()
def dqn_cartpole(
    total_steps: int = 50_000,
    seed: int = 0,
    hidden: int = 128,
    buffer_size: int = 50_000,
    batch_size: int = 128,
    lr: float = 1e-3,
    gamma: float = 0.99,
    learning_starts: int = 1_000,
    target_every: int = 500,
    eps_start: float = 1.0,
    eps_end: float = 0.05,
    eps_steps: int = 10_000,
    check_every: int = 2_000,
    check_seeds=tuple(range(2000, 2010)),
    save: bool = True,
) -> dict:
    """Double DQN on CartPole-v1 → dqn_cartpole.safetensors (greedy mean return, 20 held-out episodes)."""
    from zoo.weights import save_shipped

    torch_rng = torch_generator(seed)  # initial weights and ε-greedy draws; replay and environment are seeded apart
    start = time.perf_counter()
    config = {"obs_dim": 4, "num_actions": 2, "hidden": hidden}
    q = build("dqn", torch_rng, **config)
    target = copy.deepcopy(q)  # Q̂: the frozen copy that computes the targets
    opt = torch.optim.Adam(q.parameters(), lr=lr)

    # Experience replay: a ring buffer of transitions (s, a, r, s', terminal), sampled uniformly.
    s_buf = np.zeros((buffer_size, 4), np.float32)
    s2_buf = np.zeros((buffer_size, 4), np.float32)
    a_buf = np.zeros(buffer_size, np.int64)
    r_buf = np.zeros(buffer_size, np.float32)
    term_buf = np.zeros(buffer_size, np.float32)
    rng = np.random.default_rng(seed)

    env = make_env()
    obs, _ = env.reset(seed=seed)
    episode_return, returns = 0.0, []
    best_score, best_state, best_step = -1.0, copy.deepcopy(q.state_dict()), 0
    for step in range(total_steps):
        # ε-greedy behaviour policy, ε annealed linearly (Mnih et al.: from 1 to 0.1 over 1M frames).
        epsilon = max(eps_end, eps_start - (eps_start - eps_end) * step / eps_steps)
        action = int(q.act(torch.as_tensor(obs).unsqueeze(0), epsilon, generator=torch_rng)[0])
        next_obs, reward, terminated, truncated, _ = env.step(action)
        i = step % buffer_size
        s_buf[i], a_buf[i], r_buf[i], s2_buf[i], term_buf[i] = obs, action, reward, next_obs, terminated
        episode_return += reward
        obs = next_obs
        if terminated or truncated:  # only a real failure stops bootstrapping, not the 500-step limit
            returns.append(episode_return)
            episode_return = 0.0
            obs, _ = env.reset()

        if step >= learning_starts:
            idx = rng.integers(min(step + 1, buffer_size), size=batch_size)
            s, a, r, s2, term = (torch.as_tensor(b[idx]) for b in (s_buf, a_buf, r_buf, s2_buf, term_buf))
            with torch.no_grad():
                # Double DQN: the online network picks a', the target network values it — decoupling
                # selection from evaluation removes max's upward bias (van Hasselt et al. 2016, Eq. 4).
                a2 = q(s2).argmax(dim=1, keepdim=True)
                y = r + gamma * (1.0 - term) * target(s2).gather(1, a2).squeeze(1)
            q_sa = q(s).gather(1, a.unsqueeze(1)).squeeze(1)
            loss = F.smooth_l1_loss(q_sa, y)  # Huber: the paper's clipping of the error term to [-1, 1]
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(q.parameters(), 10.0)
            opt.step()
            if step % target_every == 0:
                target.load_state_dict(q.state_dict())

        # DQN's greedy policy can collapse after it peaks; keep the best checkpoint, chosen on
        # validation episodes whose seeds differ from the held-out evaluation's.
        if (step + 1) % check_every == 0 and step >= learning_starts:
            score = float(np.mean(evaluate(greedy(q), check_seeds)))
            if score >= best_score:
                best_score, best_state, best_step = score, copy.deepcopy(q.state_dict()), step + 1
            if score >= 500.0:  # perfect on every validation episode: nothing left to gain
                break
    env.close()

    q.load_state_dict(best_state)
    q.eval()
    test = evaluate(greedy(q), EVAL_SEEDS)
    seconds = time.perf_counter() - start
    result = {
        "model": "dqn",
        "recipe": "dqn_cartpole",
        "dataset": f"{ENV_ID} (gymnasium {_gym_version()}), simulated; evaluation seeds {EVAL_SEEDS[0]}–{EVAL_SEEDS[-1]}",
        "metric": {
            "greedy mean return, 20 held-out episodes": round(float(np.mean(test)), 1),
            "greedy min return, 20 held-out episodes": float(np.min(test)),
            "validation mean return of the kept checkpoint": round(best_score, 1),
        },
        "env_steps": step + 1,
        "checkpoint_step": best_step,
        "training_episodes": len(returns),
        "seconds": round(seconds, 1),
        "config": config,
        "seed": seed,
    }
    if save:
        save_shipped(q, "dqn_cartpole.safetensors", result)
    return result


def _gym_version() -> str:
    import gymnasium

    return gymnasium.__version__
