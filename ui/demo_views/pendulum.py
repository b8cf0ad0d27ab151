"""Pendulum: the shipped TD3 and random torques play the same start state side by side (animated GIFs),
with the return of each and the angle and torque over time.

Both policies are the same for everybody (the trained one is deterministic, the random one is seeded by the
episode's seed), so an episode is computed once per seed and cached for all visitors.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from zoo import weights
from zoo.demos import BadInput
from zoo.demos import pendulum as pend
from zoo.train.pendulum import EVAL_SEEDS
from zoo.weights import WeightsUnavailable

from ..safe import report_error

_LAST = "pendulum_last"  # session state: {"seed", "episodes": {policy: (gif, return, angles, torques)}}


@st.cache_data(show_spinner=False, max_entries=64)
def _episode(policy: str, seed: int) -> tuple[bytes, float, list[float], list[float]]:
    """GIF, return, angles and torques of one episode; the same for every user."""
    ep = pend.run(seed, policy)
    return pend.to_gif(ep.frames, ep.fps), ep.total_return, ep.angles.tolist(), ep.torques.tolist()


def render(demo, key: str, t) -> None:
    w = weights.get("td3")
    info = weights.manifest().get(w.file, {})
    stats = info.get("returns", {})
    trained, rand = stats.get("trained", {}), stats.get("random", {})
    nan = float("nan")
    st.caption(t("demo.pendulum.shipped_help", recipe=w.recipe, seconds=info.get("seconds", "?"),
                 steps=f"{info.get('env_steps', 0):,}", episodes=len(EVAL_SEEDS),
                 mean=f"{trained.get('mean', nan):.0f}", std=f"{trained.get('std', nan):.0f}",
                 random_mean=f"{rand.get('mean', nan):.0f}", random_std=f"{rand.get('std', nan):.0f}"))

    c1, c2 = st.columns([1, 2], vertical_alignment="bottom")
    seed = int(c1.number_input(t("demo.pendulum.seed"), 0, pend.MAX_SEED, 0, key="pendulum_seed",
                               help=t("demo.pendulum.seed_help")))
    if c2.button(t("demo.pendulum.run"), key="pendulum_run", type="primary"):
        try:
            with st.spinner(t("demo.pendulum.playing")):
                episodes = {policy: _episode(policy, seed) for policy in pend.POLICIES}
            st.session_state[_LAST] = {"seed": seed, "episodes": episodes}
        except (BadInput, WeightsUnavailable) as e:
            st.error(report_error(t, e))

    last = st.session_state.get(_LAST)
    if last is None:
        return
    cols = st.columns(len(last["episodes"]))
    for col, (policy, (gif, ret, _, _)) in zip(cols, last["episodes"].items()):
        name = t(f"demo.pendulum.policy_{policy}")
        col.metric(name, f"{ret:.0f}", help=t("demo.pendulum.return_help"))
        col.image(gif, caption=t("demo.pendulum.caption", policy=name, seed=last["seed"], ret=f"{ret:.0f}"))

    st.markdown(f"##### {t('demo.pendulum.over_time')}")
    names = {policy: t(f"demo.pendulum.policy_{policy}") for policy in last["episodes"]}
    angles = pd.DataFrame({names[p]: np.abs(np.degrees(e[2])) for p, e in last["episodes"].items()})
    angles.index.name = t("demo.pendulum.x_step")
    torques = pd.DataFrame({names[p]: e[3] for p, e in last["episodes"].items()})
    torques.index.name = t("demo.pendulum.x_step")
    a, b = st.columns(2)
    a.line_chart(angles, x_label=t("demo.pendulum.x_step"), y_label=t("demo.pendulum.y_angle"), height=240)
    b.line_chart(torques, x_label=t("demo.pendulum.x_step"), y_label=t("demo.pendulum.y_torque"), height=240)
    st.caption(t("demo.pendulum.plot_help"))
