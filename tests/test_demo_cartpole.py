"""CartPole demo on the real simulator: PPO trained live, the shipped DQN, random pushes, frames, the page."""

from __future__ import annotations

import io

import numpy as np
import pytest
from apptest_utils import open_page, texts
from PIL import Image

import zoo
from zoo import weights
from zoo.demos import BadInput, get
from zoo.demos import cartpole as cp
from zoo.train import rl

# ----------------------------------------------------------------------------- agents


@pytest.fixture(scope="module")
def ppo_run():
    calls = []
    model, history = rl.train_ppo(updates=120, seed=0, progress=lambda u, r, m: calls.append((u, len(r), m)))
    return model, history, calls


def test_ppo_solves_cartpole_within_its_budget(ppo_run):
    model, h, calls = ppo_run
    assert h.solved and h.updates < 120
    assert len(h.returns) >= rl.WINDOW and np.mean(h.returns[-rl.WINDOW:]) >= rl.SOLVED
    assert h.mean100[-1] == pytest.approx(np.mean(h.returns[-rl.WINDOW:]))
    # the callback saw every update, with the episode list growing, and the same final mean
    assert [u for u, _, _ in calls] == list(range(1, h.updates + 1))
    assert [n for _, n, _ in calls] == sorted(n for _, n, _ in calls) and calls[-1][1] == len(h.returns)
    assert calls[-1][2] == h.mean100[-1]
    assert not model.training


def test_trained_ppo_plays_much_better_than_random(ppo_run):
    model = ppo_run[0]
    ppo = cp.mean_return("ppo", 10, ppo_model=model)
    random = cp.mean_return("random", 10)
    assert ppo >= rl.SOLVED and random < 50 and ppo > 5 * random


def test_shipped_dqn_is_the_cartpole_mlp_and_balances_for_good():
    q = zoo.create_model("dqn", weights="default")
    assert q.cfg.obs_dim == 4 and q.cfg.num_actions == 2 and not q.training
    returns = rl.evaluate(rl.greedy(q), seeds=range(20))  # 20 seeded games, other seeds than the recipe's
    assert np.mean(returns) >= rl.SOLVED, returns
    # the registered metric is what the recipe measured and wrote into the manifest
    w = weights.get("dqn")
    manifest = weights.manifest()[w.file]
    assert manifest["model"] == "dqn" and manifest["recipe"] == "dqn_cartpole" and manifest["config"] == dict(w.config)
    assert next(iter(w.metrics.values())) == manifest["metric"]["greedy mean return, 20 held-out episodes"] >= rl.SOLVED
    assert w.path.stat().st_size < 200_000


def test_random_agent_is_far_worse():
    returns = rl.evaluate(rl.random_policy(0), seeds=range(20))
    assert np.mean(returns) < 50 and max(returns) < rl.SOLVED


def test_dqn_recipe_still_trains():
    # a tiny run of the real recipe (not saved): it learns something and reports its metric
    result = rl.dqn_cartpole(total_steps=3_000, learning_starts=500, check_every=1_000, eps_steps=1_500, save=False)
    assert result["env_steps"] == 3_000 and result["config"] == {"obs_dim": 4, "num_actions": 2, "hidden": 128}
    assert result["metric"]["validation mean return of the kept checkpoint"] > 30  # random pushes: ~22


# ----------------------------------------------------------------------------- frames


def test_episode_frames_have_the_right_shape_and_follow_the_game():
    ep = cp.play("dqn", seed=3, max_steps=30)
    assert ep.steps == 30 and ep.total_return == 30.0  # the DQN does not drop the pole in 30 steps
    assert len(ep.frames) == 16  # every second state, from the start state to the last
    assert all(f.shape == (cp.HEIGHT, cp.WIDTH, 3) and f.dtype == np.uint8 for f in ep.frames)
    gif = Image.open(io.BytesIO(cp.to_gif(ep.frames, ep.fps)))
    assert gif.format == "GIF" and gif.size == (cp.WIDTH, cp.HEIGHT) and gif.is_animated


def test_random_episode_ends_when_the_pole_falls():
    ep = cp.play("random", seed=0)
    assert ep.steps == ep.total_return < 100 and len(ep.frames) == ep.steps // 2 + 1 + ep.steps % 2


def _dark_columns(frame: np.ndarray) -> np.ndarray:
    black = frame.sum(axis=2) == 0
    return np.nonzero(black.sum(axis=0) > 3)[0]  # columns of the (black) cart; the track is one row


def test_frame_draws_cart_and_pole_where_the_state_says():
    centre = _dark_columns(cp.render_frame(np.array([0.0, 0, 0, 0])))
    right = _dark_columns(cp.render_frame(np.array([1.2, 0, 0, 0])))  # x = 1.2 is a quarter width right
    assert right.mean() - centre.mean() == pytest.approx(cp.WIDTH / 4, abs=2)
    pole = np.array(cp._COLOURS["pole"])
    leaning = cp.render_frame(np.array([0.0, 0, 0.2, 0]))  # θ > 0: the pole leans right
    cols = np.nonzero((leaning == pole).all(axis=2).any(axis=0))[0]
    assert cols.mean() > cp.WIDTH / 2 + 3


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"agent": "dqn", "seed": -1}, "seed must be"),
        ({"agent": "dqn", "max_steps": 0}, "1 to 500"),
        ({"agent": "dqn", "max_steps": 501}, "1 to 500"),
        ({"agent": "ppo"}, "Train PPO first"),
        ({"agent": "sac"}, "Unknown agent"),
    ],
)
def test_bad_requests_are_explained(kwargs, message):
    with pytest.raises(BadInput, match=message):
        cp.play(**kwargs)
    with pytest.raises(BadInput, match="1 to 50"):
        cp.mean_return("random", episodes=0)


def test_demo_is_registered_for_both_models():
    demo = get("cartpole")
    assert demo.models == ("ppo", "dqn") and demo.run is cp.play and not demo.gradio
    assert demo.text("title", "zh") != demo.title


# ----------------------------------------------------------------------------- the Try-it tab


def test_page_trains_ppo_live_and_plays_it():
    at = open_page("pages/model.py", model="ppo", tab="try")
    at.button(key="cartpole_train").click().run(timeout=300)
    assert not at.exception
    assert "Solved in" in texts(at)
    assert any(getattr(e, "type", "") == "vega_lite_chart" for e in at.main)  # the return-per-episode chart
    at.button(key="cartpole_ppo_play").click().run()
    captions = [img.caption for e in at.get("image") for img in e.proto.imgs]
    assert any(c.startswith("PPO (trained here) · seed 0 · return") for c in captions), captions
    at.button(key="cartpole_compare").click().run()
    metrics = {m.label: float(m.value) for m in at.metric if m.label in ("PPO (trained here)", "DQN (shipped)", "Random pushes")}
    assert metrics["PPO (trained here)"] >= rl.SOLVED and metrics["DQN (shipped)"] >= rl.SOLVED
    assert metrics["Random pushes"] < 50


def test_page_plays_the_shipped_dqn():
    at = open_page("pages/model.py", model="dqn", tab="try")
    at.number_input(key="cartpole_dqn_seed").set_value(5)
    at.button(key="cartpole_dqn_play").click().run()
    assert not at.exception and not at.error
    imgs = [img for e in at.get("image") for img in e.proto.imgs]
    assert len(imgs) == 1 and imgs[0].url.endswith(".gif")
    assert imgs[0].caption == "DQN (shipped) · seed 5 · return 500 in 500 steps (500 is perfect)"
