"""CartPole: train PPO live in the page, watch agents play (animated GIFs), compare their returns.

The PPO agent is trained inside this user's script run and kept in their session only; the shipped
DQN and the random agent are the same for everybody, so their episodes are cached for all.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from zoo import weights
from zoo.demos import BadInput
from zoo.demos import cartpole as cp
from zoo.train.rl import SOLVED, WINDOW, train_ppo
from zoo.weights import WeightsUnavailable

from ..heavy import heavy_job
from ..safe import report_error

UPDATES = 120  # PPO's budget; it usually solves CartPole in ~50 updates
COMPARE_EPISODES = 10
_RUN = "cartpole_ppo_run"  # session state: {"model", "history", "seed"} of this user's PPO


def render(demo, key: str, t) -> None:
    sections = [_train_ppo, _watch_dqn] if key == "ppo" else [_watch_dqn, _train_ppo]
    for section in sections:
        section(t)
    _compare(t)


# ----------------------------------------------------------------------------- PPO, trained live


def _curve(returns: list[float], t) -> pd.DataFrame:
    r = pd.Series(returns, dtype=float)
    return pd.DataFrame(
        {
            t("demo.cartpole.col_return"): r,
            t("demo.cartpole.col_mean", window=WINDOW): r.rolling(WINDOW, min_periods=1).mean(),
            t("demo.cartpole.col_goal", solved=int(SOLVED)): SOLVED,
        },
        index=pd.RangeIndex(1, len(r) + 1, name=t("demo.cartpole.x_episode")),
    )


def _line(place, returns: list[float], t) -> None:
    place.line_chart(_curve(returns, t), x_label=t("demo.cartpole.x_episode"), y_label=t("demo.cartpole.y_return"))


def _train_ppo(t) -> None:
    st.markdown(f"#### {t('demo.cartpole.train_heading')}")
    st.caption(t("demo.cartpole.train_help", window=WINDOW, solved=int(SOLVED), updates=UPDATES))
    c1, c2 = st.columns([1, 3], vertical_alignment="bottom")
    seed = int(c1.number_input(t("demo.cartpole.train_seed"), 0, 10_000, 0, key="cartpole_train_seed"))
    clicked = c2.button(t("demo.cartpole.train"), key="cartpole_train", type="primary")
    bar, chart, message = st.empty(), st.empty(), st.empty()

    if clicked:

        def progress(update: int, returns: list[float], mean100: float) -> None:
            text = t("demo.cartpole.training", update=update, total=UPDATES, episodes=len(returns),
                     mean=f"{mean100:.0f}")
            bar.progress(update / UPDATES, text=text)
            _line(chart, returns, t)

        with heavy_job(t):  # the CPU is shared: a training waits for a free core, and says so
            model, history = train_ppo(updates=UPDATES, seed=seed, progress=progress)
        st.session_state[_RUN] = {"model": model, "history": history, "seed": seed}
        for stale in ("cartpole_ppo_last", "cartpole_compare_result"):  # they showed the previous agent
            st.session_state.pop(stale, None)
        bar.empty()

    run = st.session_state.get(_RUN)
    if run is None:
        return
    h = run["history"]
    _line(chart, h.returns, t)
    args = {"seconds": f"{h.seconds:.1f}", "mean": f"{h.mean100[-1]:.0f}", "episodes": len(h.returns),
            "steps": f"{h.env_steps:,}", "updates": h.updates, "seed": run["seed"]}
    if h.solved:
        message.success(t("demo.cartpole.solved", **args))
    else:
        message.warning(t("demo.cartpole.not_solved", **args))
    st.markdown(f"##### {t('demo.cartpole.play_ppo')}")
    _player("ppo", t, run["model"])


# ----------------------------------------------------------------------------- playing episodes


@st.cache_data(show_spinner=False, max_entries=64)
def _shared_episode(agent: str, seed: int) -> tuple[bytes, float, int]:
    """GIF, return and length of an episode of an agent that is the same for every user."""
    return _gif(cp.play(agent, seed))


def _gif(ep: cp.Episode) -> tuple[bytes, float, int]:
    return cp.to_gif(ep.frames, ep.fps), ep.total_return, ep.steps


def _player(agent: str, t, ppo_model=None) -> None:
    """Seed picker + play button; the last episode played stays on screen across reruns."""
    c1, c2 = st.columns([1, 2])
    seed = int(c1.number_input(t("demo.cartpole.seed"), 0, cp.MAX_SEED, 0, key=f"cartpole_{agent}_seed",
                               help=t("demo.cartpole.seed_help")))
    last = f"cartpole_{agent}_last"
    if c1.button(t("demo.cartpole.play"), key=f"cartpole_{agent}_play"):
        try:
            with st.spinner(t("demo.cartpole.playing")):
                gif = _gif(cp.play(agent, seed, ppo_model=ppo_model)) if agent == "ppo" else _shared_episode(agent, seed)
            st.session_state[last] = (*gif, seed)
        except (BadInput, WeightsUnavailable) as e:
            st.error(report_error(t, e))
    if last in st.session_state:
        data, ret, steps, played_seed = st.session_state[last]
        c2.image(data, caption=t("demo.cartpole.episode_caption", agent=t(f"demo.cartpole.agent_{agent}"),
                                 seed=played_seed, ret=f"{ret:.0f}", steps=steps, max=cp.MAX_STEPS))


# ----------------------------------------------------------------------------- the shipped DQN


def _watch_dqn(t) -> None:
    st.markdown(f"#### {t('demo.cartpole.dqn_heading')}")
    w = weights.get("dqn")
    info = weights.manifest().get(w.file, {})
    score = next(iter(w.metrics.values()), float("nan"))
    st.caption(t("demo.cartpole.dqn_help", recipe=w.recipe, seconds=info.get("seconds", "?"), score=f"{score:.0f}"))
    _player("dqn", t)


# ----------------------------------------------------------------------------- comparison


@st.cache_data(show_spinner=False)
def _shared_mean(agent: str, episodes: int) -> float:
    return cp.mean_return(agent, episodes)


def _compare(t) -> None:
    st.markdown(f"#### {t('demo.cartpole.compare_heading')}")
    run = st.session_state.get(_RUN)
    st.caption(t("demo.cartpole.compare_help", episodes=COMPARE_EPISODES, last=COMPARE_EPISODES - 1))
    if run is None:
        st.caption(t("demo.cartpole.compare_no_ppo"))
    if st.button(t("demo.cartpole.compare"), key="cartpole_compare"):
        try:
            with st.spinner(t("demo.cartpole.playing")):
                means = {}
                if run is not None:
                    means["ppo"] = cp.mean_return("ppo", COMPARE_EPISODES, ppo_model=run["model"])
                for agent in ("dqn", "random"):
                    means[agent] = _shared_mean(agent, COMPARE_EPISODES)
            st.session_state["cartpole_compare_result"] = means
        except (BadInput, WeightsUnavailable) as e:
            st.error(report_error(t, e))
    means = st.session_state.get("cartpole_compare_result")
    if means:
        for col, (agent, mean) in zip(st.columns(len(means)), means.items()):
            col.metric(t(f"demo.cartpole.agent_{agent}"), f"{mean:.0f}",
                       help=t("demo.cartpole.metric_help", max=cp.MAX_STEPS))
