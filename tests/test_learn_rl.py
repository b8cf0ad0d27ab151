"""zoo.learn.tasks.rl: the seven agents train through `zoo.learn.fit` with the environment as the dataset.

Short real runs (a few seconds each on one thread) show that learning happens: PPO and DQN beat their untrained
greedy policies on the held-out CartPole episodes, the Pendulum agents swing better than their untrained actors.
Every run with the same seed gives the same losses; the actor's term of the actor-critics reaches the actor only."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from zoo import learn
from zoo.learn.tasks import rl
from zoo.runtime import single_threaded


def _setup(key: str, seed: int = 0, **options):
    plan = learn.plans_for(key)[0]
    data = learn.load_dataset(plan.dataset, **{**plan.data_options, **options})
    return plan, data, learn.build(plan, seed=seed)


def _fit(plan, data, model, steps: int, seed: int = 0, **config):
    with single_threaded():
        return learn.fit(model, data, learn.FitConfig(**{**plan.defaults, "max_steps": steps, "seed": seed, **config}))


def test_plans_cover_the_seven_agents_with_their_reductions():
    pendulum = {"rl_pendulum", "rl_hidden", "rl_one_optimizer", "rl_reward_scale", "rl_gamma", "rl_tau"}
    expected = {
        "dqn": {"rl_cartpole_vector", "rl_actions", "rl_hidden"},
        "dueling_dqn": {"rl_cartpole_planes", "rl_actions", "rl_hidden", "rl_uniform_replay"},
        "a2c": {"rl_cartpole_planes", "rl_actions", "rl_hidden"},
        "ppo": set(),
        "ddpg": {*pendulum, "rl_gaussian_noise"},
        "td3": pendulum,
        "sac": {*pendulum, "rl_fixed_alpha"},
    }
    for key, codes in expected.items():
        plans = learn.plans_for(key)
        assert [p.dataset for p in plans] == [rl.MODELS[key]], key
        plan = plans[0]
        assert {r.code for r in plan.reductions} == codes, key
        d = plan.defaults
        assert d["batch_size"] == 1 and d["epochs"] == 10_000 and 50 <= d["max_steps"] <= 2000 and d["max_steps"] % 50 == 0
        assert not learn.dataset_info(plan.dataset).batched
        plan.note()  # every placeholder filled
    assert learn.plans_for("dueling_dqn")[0].data_options["double"] is True  # the paper trains it with Double DQN
    assert learn.plans_for("dqn")[0].data_options["double"] is False  # the Nature target
    assert rl.plans("resnet18", type("Card", (), {"domain": "vision"})(), lambda: None) == []


def test_ppo_learns_cartpole():
    plan, data, model = _setup("ppo", steps_per_eval=64)
    before = data.evaluate(model)["mean_return"]
    result = _fit(plan, data, model, 64)
    assert result.final_metrics["mean_return"] > before + 50, (before, result.final_metrics)  # 9.4 → 83.8


def test_dqn_learns_cartpole():
    plan, data, model = _setup("dqn", steps_per_eval=150, learning_starts=500, eps_steps=1000, target_every=50)
    before = data.evaluate(model)["mean_return"]  # 95.6: this untrained net happens to balance for a while
    result = _fit(plan, data, model, 600)
    assert result.best_metric > before + 50, (before, result.evals)  # measured: 9 → 77 → 128 → 163


@pytest.mark.parametrize("key, steps", [("ddpg", 700), ("td3", 500), ("sac", 500)])
def test_pendulum_agents_learn_to_swing(key, steps):
    plan, data, model = _setup(key, steps_per_eval=steps)
    before = data.evaluate(model)["mean_return"]  # ≈ −1,400: the untrained actor pushes one way
    result = _fit(plan, data, model, steps, schedule="constant")  # measured for DDPG: −1,423 → −231
    assert result.final_metrics["mean_return"] > before + 200, (before, result.final_metrics)


@pytest.mark.parametrize("key", ["dqn", "dueling_dqn", "a2c", "ppo", "ddpg", "td3", "sac"])
def test_same_seed_same_losses(key):
    plan, data, _ = _setup(key)
    runs = [_fit(plan, data, learn.build(plan, seed=3), 12, seed=3).losses for _ in range(2)]
    assert runs[0] == runs[1]
    other = _fit(plan, data, learn.build(plan, seed=4), 12, seed=4).losses
    assert other != runs[0]


def test_loss_works_without_begin_as_seed_zero():
    plan, data, model = _setup("td3")
    first = data.loss(model, data.batch(torch.arange(1)))
    fresh = learn.load_dataset(plan.dataset, **plan.data_options)
    fresh.begin(0)
    assert torch.equal(first.detach(), fresh.loss(learn.build(plan, seed=0), None).detach())


@pytest.mark.parametrize("key", ["td3", "ddpg", "sac"])
def test_actor_term_reaches_only_the_actor(key):
    """The summed loss gives the critic exactly the gradient of its own TD loss."""
    plan, data, model = _setup(key)
    data.begin(0)
    data.loss(model, None)  # warm-up, targets made
    s = data.state
    batch = s.replay.sample(np.random.default_rng(2), 64)
    s.updates = 0  # TD3: an actor step
    draws = s.draws.get_state()
    model.zero_grad()
    data._update(model, s, *batch).backward()
    full = {n: p.grad.clone() for n, p in model.critic.named_parameters()}
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.actor.parameters())
    critic_only = _critic_loss(key, data, model, s, batch, draws)
    critic_only.backward()
    for n, p in model.critic.named_parameters():
        assert torch.allclose(full[n], p.grad, atol=1e-6), n


def _critic_loss(key, data, model, s, batch, draws):
    """The critic's TD loss alone, with the targets drawn as `_update` drew them."""
    import torch.nn.functional as F

    obs, action, reward, next_obs, terminal = batch
    s.draws.set_state(draws)
    model.zero_grad()
    with torch.no_grad():
        if key == "td3":
            from zoo.rl.td3 import td3_target

            y = td3_target(s.target, reward, next_obs, terminal, data.gamma, data.target_noise * rl.MAX_TORQUE,
                           data.noise_clip * rl.MAX_TORQUE, generator=s.draws)
        elif key == "ddpg":
            y = reward + data.gamma * (1 - terminal) * s.target.critic(next_obs, s.target.act(next_obs))
        else:
            a2, logp2 = model.sample(next_obs, generator=s.draws)
            q1, q2 = s.target.critic(next_obs, a2)
            y = reward + data.gamma * (1 - terminal) * (torch.minimum(q1, q2) - data.alpha * logp2)
    q = model.critic(obs, action)
    return sum(F.mse_loss(x, y) for x in q) if isinstance(q, tuple) else F.mse_loss(q, y)


@pytest.mark.parametrize("key", ["ppo", "td3"])
def test_samples_and_cancelled_evaluation(key):
    _, data, model = _setup(key)
    picture = data.samples(model)
    assert picture.dtype == np.uint8 and picture.ndim == 3 and picture.shape[2] == 3
    cancel = threading.Event()
    cancel.set()
    assert data.evaluate(model, cancel=cancel) is None
