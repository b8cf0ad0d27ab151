"""Pendulum demo on the real simulator: the shipped TD3 against random torques, frames, bad input, the page."""

from __future__ import annotations

import io

import numpy as np
import pytest
from apptest_utils import open_page, texts
from PIL import Image

import zoo
from zoo import weights
from zoo.demos import BadInput, get
from zoo.demos import pendulum as pend
from zoo.train import pendulum as recipe

N_CHECK = 4  # held-out episodes replayed here (the recipe measured 20)


@pytest.fixture(scope="module")
def manifest() -> dict:
    return weights.manifest()[weights.get("td3").file]


@pytest.fixture(scope="module")
def held_out() -> dict[str, list[float]]:
    seeds = recipe.EVAL_SEEDS[:N_CHECK]
    return {p: [pend.run(s, p, frames=False).total_return for s in seeds] for p in pend.POLICIES}


# ----------------------------------------------------------------------------- the shipped weights


def test_shipped_td3_is_the_small_pendulum_network(manifest):
    model = zoo.create_model("td3", weights="default")
    assert (model.cfg.obs_dim, model.cfg.action_dim, model.cfg.hidden, model.cfg.max_action) == (3, 1, (64, 64), 2.0)
    assert not model.training
    w = weights.get("td3")
    assert w.name == "pendulum" and w.recipe == "td3_pendulum" == manifest["recipe"] and manifest["model"] == "td3"
    assert manifest["config"] == {**w.config, "hidden": list(w.config["hidden"])}  # JSON keeps tuples as lists
    assert w.path.stat().st_size < 200_000
    # the registered metrics are the ones the recipe measured
    for name, value in w.metrics.items():
        assert manifest["metric"][name] == value, name


def test_trained_policy_beats_random_by_far_and_matches_the_manifest(manifest, held_out):
    trained, rand = np.mean(held_out["trained"]), np.mean(held_out["random"])
    assert trained >= -300 and rand <= -700 and trained - rand > 400, held_out
    # the same seeds replay the recipe's held-out episodes exactly (deterministic policy, seeded randomness)
    recorded = manifest["episode_returns"]
    assert recorded["seeds"][:N_CHECK] == list(recipe.EVAL_SEEDS[:N_CHECK])
    np.testing.assert_allclose(held_out["trained"], recorded["trained"][:N_CHECK], atol=0.05)
    np.testing.assert_allclose(held_out["random"], recorded["random"][:N_CHECK], atol=0.05)
    summary = manifest["returns"]
    assert summary["trained"]["mean"] >= -250 and summary["random"]["mean"] < -900
    assert summary["trained"]["mean"] == pytest.approx(np.mean(recorded["trained"]), abs=0.1)


def test_seeded_episodes_are_reproducible():
    a, b = pend.run(7, "random", steps=40), pend.run(7, "random", steps=40)
    assert a.total_return == b.total_return and np.array_equal(a.torques, b.torques)
    assert all(np.array_equal(x, y) for x, y in zip(a.frames, b.frames))
    c = pend.run(8, "random", steps=40)
    assert c.angles[0] != a.angles[0] and not np.array_equal(c.torques, a.torques)
    t1, t2 = pend.run(7, "trained", steps=40, frames=False), pend.run(7, "trained", steps=40, frames=False)
    assert np.array_equal(t1.torques, t2.torques) and t1.angles[0] == a.angles[0]  # same start state


def test_trained_policy_swings_up_and_holds():
    ep = pend.run(1003, "trained", frames=False)
    assert ep.steps == 200 and len(ep.angles) == 201 and len(ep.rewards) == 200
    assert np.all(np.abs(ep.torques) <= recipe.MAX_TORQUE) and np.all(ep.rewards <= 0)
    assert ep.total_return == pytest.approx(ep.rewards.sum())
    assert np.all(np.abs(ep.angles[-50:]) < 0.2)  # upright (within ~11°) for the last 2.5 s


# ----------------------------------------------------------------------------- frames


def test_frames_have_the_expected_size_and_make_a_gif():
    ep = pend.run(3, "random", steps=20)
    assert ep.steps == 20 and len(ep.frames) == 21  # the start state and one frame per step
    assert all(f.shape == (pend.SIZE, pend.SIZE, 3) and f.dtype == np.uint8 for f in ep.frames)
    gif = Image.open(io.BytesIO(pend.to_gif(ep.frames, ep.fps)))
    assert gif.format == "GIF" and gif.size == (pend.SIZE, pend.SIZE) and gif.is_animated and gif.n_frames == 21


def _rod_columns(frame: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rows, cols = np.nonzero((frame == np.array(pend._COLOURS["rod"])).all(axis=2))
    return rows, cols


def test_frame_draws_the_rod_at_the_angle_and_the_torque_arc():
    c = pend.SIZE / 2
    up_rows, up_cols = _rod_columns(pend.render_frame(0.0))
    assert up_rows.max() <= c + 3 and abs(up_cols.mean() - c) < 2  # above the pivot, centred
    down_rows, _ = _rod_columns(pend.render_frame(np.pi))
    assert down_rows.min() >= c - 3  # hanging below
    _, left_cols = _rod_columns(pend.render_frame(np.pi / 2))  # θ > 0 is counter-clockwise: to the left
    assert left_cols.max() <= c + 3
    blue = np.array(pend._COLOURS["torque"])
    assert not (pend.render_frame(0.0, 0.0) == blue).all(axis=2).any()
    weak = (pend.render_frame(0.0, 0.5) == blue).all(axis=2).sum()
    strong = (pend.render_frame(0.0, 2.0) == blue).all(axis=2).sum()
    assert strong > 2 * weak > 0  # the arc grows with the torque


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"seed": -1}, "seed must be"),
        ({"seed": 1.5}, "seed must be"),
        ({"seed": "abc"}, "seed must be"),
        ({"seed": 10**7}, "seed must be"),
        ({"steps": 0}, "from 1 to 200"),
        ({"steps": 201}, "from 1 to 200"),
        ({"steps": "many"}, "from 1 to 200"),
        ({"policy": "sac"}, "Unknown agent"),
    ],
)
def test_bad_requests_are_explained(kwargs, message):
    with pytest.raises(BadInput, match=message):
        pend.run(**kwargs)


def test_demo_is_registered_for_td3():
    demo = get("pendulum")
    assert demo.models == ("td3",) and demo.run is pend.run and demo.input_kind == "environment"
    assert demo.text("title", "zh") != demo.title


# ----------------------------------------------------------------------------- the Try-it tab


def test_page_runs_both_policies_side_by_side():
    at = open_page("pages/model.py", model="td3", tab="try")
    assert "never saw in training" in texts(at)
    at.number_input(key="pendulum_seed").set_value(1001)
    at.button(key="pendulum_run").click().run()
    assert not at.exception and not at.error
    imgs = [img for e in at.get("image") for img in e.proto.imgs]
    assert len(imgs) == 2 and all(img.url.endswith(".gif") for img in imgs)
    metrics = {m.label: float(m.value) for m in at.metric}
    assert metrics["TD3 (shipped)"] > metrics["Random torques"] + 300
    assert sum(getattr(e, "type", "") == "vega_lite_chart" for e in at.main) >= 2  # angle and torque plots


def test_td3_recipe_still_runs_end_to_end():
    # a tiny run of the real recipe (not saved): replay, critic and delayed actor updates, evaluation, manifest
    result = recipe.td3_pendulum(total_steps=600, start_steps=300, check_every=300, log=None, save=False)
    assert result["env_steps"] == 600 and result["training_episodes"] == 3 and result["config"] == recipe.CONFIG
    assert [step for step, _ in result["validation_curve"]] == [600] and result["checkpoint_step"] == 600
    assert result["episode_returns"]["seeds"] == list(recipe.EVAL_SEEDS)
    shipped = weights.manifest()[weights.get("td3").file]
    assert result["episode_returns"]["random"] == shipped["episode_returns"]["random"]  # the same seeded baseline
    assert all(np.isfinite(result["episode_returns"]["trained"]))
