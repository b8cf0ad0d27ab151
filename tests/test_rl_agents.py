"""The property that defines each agent network in zoo/rl beyond DQN and PPO: dueling aggregation, the A2C
loss, DDPG's critic wiring, TD3's clipped double-Q target, SAC's squashed-Gaussian likelihood. (Exact
parameter counts, forward and backward passes are in tests/test_models.py.)"""

from __future__ import annotations

import math

import pytest
import torch
from torch.distributions import Normal, TanhTransform, TransformedDistribution

import zoo
from zoo.rl.a2c import a2c_loss
from zoo.rl.td3 import td3_target


def test_dueling_q_is_value_plus_mean_centred_advantage():
    torch.manual_seed(0)
    model = zoo.create_model("dueling_dqn", image_size=36, num_actions=5, hidden=32)
    obs = torch.rand(3, 4, 36, 36)
    v, a = model.streams(obs)
    q = model(obs)
    torch.testing.assert_close(q, v + a - a.mean(-1, keepdim=True))
    torch.testing.assert_close(q.mean(-1, keepdim=True), v)  # Eq. 9: V is the mean of the Q-values
    assert torch.equal(q.argmax(-1), a.argmax(-1))  # acting greedily needs only the advantage stream
    with torch.no_grad():  # a constant moved into every advantage changes no Q-value: the split is identifiable
        model.advantage.bias += 3.0
    torch.testing.assert_close(model(obs), q)


def test_a2c_loss_is_the_advantage_policy_gradient_with_value_and_entropy_terms():
    logits = torch.zeros(2, 4, requires_grad=True)  # uniform policy: entropy log 4
    values = torch.tensor([1.0, 0.0])
    actions = torch.tensor([2, 0])
    returns = torch.tensor([3.0, -1.0])  # advantages +2 and −1
    loss, parts = a2c_loss(logits, values, actions, returns, value_coef=0.5, entropy_coef=0.0)
    assert parts["entropy"].item() == pytest.approx(math.log(4))
    assert parts["value"].item() == pytest.approx((4 + 1) / 2)
    loss.backward()
    # ∂(−A log π(a))/∂logits = −A (onehot(a) − π) / B: the taken action is pushed up by its advantage
    expected = torch.zeros(2, 4)
    expected[0] = -2.0 * (torch.nn.functional.one_hot(torch.tensor(2), 4) - 0.25) / 2
    expected[1] = 1.0 * (torch.nn.functional.one_hot(torch.tensor(0), 4) - 0.25) / 2
    torch.testing.assert_close(logits.grad, expected)


def test_ddpg_critic_sees_the_action_only_at_its_second_layer_and_actions_are_bounded():
    model = zoo.create_model("ddpg", max_action=2.0)
    assert model.critic.fc1.in_features == 17 and model.critic.fc2.in_features == 400 + 6
    action, q = model(1e3 * torch.randn(5, 17))
    assert action.shape == (5, 6) and q.shape == (5,)
    assert action.abs().max() <= 2.0
    # the deterministic policy gradient: the actor's gradient is ∇_a Q · ∇_θ μ (Eq. 6), i.e. autograd through Q(s, μ(s))
    obs = torch.randn(4, 17)
    a = model.act(obs)
    a_leaf = a.detach().requires_grad_()
    dq_da = torch.autograd.grad(model.critic(obs, a_leaf).sum(), a_leaf)[0]
    chained = torch.autograd.grad(a, model.actor[0].weight, grad_outputs=dq_da)[0]
    direct = torch.autograd.grad(model(obs)[1].sum(), model.actor[0].weight)[0]
    torch.testing.assert_close(direct, chained)


def test_td3_target_takes_the_smaller_critic_and_ends_at_terminal_states():
    torch.manual_seed(0)
    target = zoo.create_model("td3", obs_dim=3, action_dim=2, hidden=(16, 16))
    with torch.no_grad():
        target.critic.q2[-1].bias += 10.0  # critic 2 now always says more
    next_obs = torch.randn(4, 3)
    reward = torch.tensor([1.0, 2.0, 3.0, 4.0])
    done = torch.tensor([0.0, 0.0, 1.0, 0.0])
    y = td3_target(target, reward, next_obs, done, gamma=0.9, noise_std=0.0)
    q1, q2 = target.critic(next_obs, target.act(next_obs))
    assert (q2 > q1).all()
    torch.testing.assert_close(y, reward + 0.9 * (1 - done) * q1.detach())
    assert y[2].item() == 3.0  # terminal: no bootstrap
    # target policy smoothing: noisy actions stay within the bounds and the clip
    g = torch.Generator().manual_seed(1)
    y_noisy = td3_target(target, reward, next_obs, done, noise_std=5.0, noise_clip=0.5, generator=g)
    assert torch.isfinite(y_noisy).all() and not torch.allclose(y_noisy, y)


def test_sac_log_prob_is_the_tanh_squashed_gaussian_density():
    torch.manual_seed(0)
    model = zoo.create_model("sac", obs_dim=3, action_dim=2, hidden=(16, 16))
    obs = torch.randn(6, 3)
    g = torch.Generator().manual_seed(0)
    action, log_prob = model.sample(obs, generator=g)
    mean, log_std = model.actor(obs)
    reference = TransformedDistribution(Normal(mean, log_std.exp()), [TanhTransform(cache_size=0)])
    torch.testing.assert_close(log_prob, reference.log_prob(action.clamp(-1 + 1e-6, 1 - 1e-6)).sum(-1), rtol=1e-4, atol=1e-3)
    assert action.abs().max() < 1.0
    # the sample is reparameterised: gradients reach the actor's mean and log σ heads through the action
    (model.critic(obs, model.sample(obs, generator=g)[0])[0].sum()).backward()
    assert model.actor.mean.weight.grad.abs().sum() > 0 and model.actor.log_std.weight.grad.abs().sum() > 0
    # same generator seed, same action: the draw is the caller's, not the process's
    a1, _ = model.sample(obs, generator=torch.Generator().manual_seed(5))
    a2, _ = model.sample(obs, generator=torch.Generator().manual_seed(5))
    assert torch.equal(a1, a2)
