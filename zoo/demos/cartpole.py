"""CartPole: watch reinforcement-learning agents balance a pole — PPO trained live, the shipped DQN,
and a random agent as the baseline.

Frames are drawn here from the simulator's state with PIL, with the geometry of gymnasium's own
renderer (which needs pygame, a dependency DeepZoo does not take): the observation of CartPole is
its full physical state (cart position x, cart velocity, pole angle θ, pole angular velocity).
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass, field

import numpy as np

from zoo.train.rl import Policy, evaluate, greedy, random_policy, rollout

from . import BadInput, Demo, register_demo
from .inputs import check_seed

WIDTH, HEIGHT = 300, 200  # frame size in pixels
MAX_STEPS = 500  # CartPole-v1 ends every episode there: 500 is a perfect return
MAX_SEED = 1_000_000
MAX_EPISODES = 50  # for comparisons
FPS = 50  # the simulator advances 0.02 s per step
AGENTS = ("ppo", "dqn", "random")

# gymnasium's renderer draws a 600×400 window; everything below scales from it.
_X_THRESHOLD = 2.4  # the cart fails beyond ±2.4 (world units)
_POLE_HALF_LENGTH = 0.5
_COLOURS = {"background": (255, 255, 255), "cart": (0, 0, 0), "pole": (202, 152, 101), "axle": (129, 132, 203)}


@dataclass
class Episode:
    agent: str
    seed: int
    total_return: float
    steps: int
    frames: list[np.ndarray] = field(repr=False)  # (HEIGHT, WIDTH, 3) uint8 each
    fps: int = FPS  # playback speed that shows the episode in real time


def render_frame(obs: np.ndarray, width: int = WIDTH, height: int = HEIGHT) -> np.ndarray:
    """Draw the cart and pole of CartPole state `obs` = (x, ẋ, θ, θ̇) as an RGB array (height, width, 3)."""
    from PIL import Image, ImageDraw

    x, _, theta, _ = (float(v) for v in obs)
    k = width / 600  # gymnasium's window is 600 wide
    scale = width / (2 * _X_THRESHOLD)  # pixels per world unit
    cart_w, cart_h, pole_w = 50 * k, 30 * k, 10 * k
    pole_len = scale * 2 * _POLE_HALF_LENGTH
    track_y = height - 100 * height / 400  # image rows grow downwards
    cart_x = width / 2 + x * scale
    axle = (cart_x, track_y - cart_h / 4)

    # The frame spans exactly x ∈ [−2.4, 2.4]: the cart fails when it reaches an edge.
    img = Image.new("RGB", (width, height), _COLOURS["background"])
    draw = ImageDraw.Draw(img)
    draw.line([(0, track_y), (width, track_y)], fill=_COLOURS["cart"])
    draw.rectangle([cart_x - cart_w / 2, track_y - cart_h / 2, cart_x + cart_w / 2, track_y + cart_h / 2],
                   fill=_COLOURS["cart"])
    # The pole: a rectangle from the axle, rotated by θ (θ > 0 leans right).
    along = np.array([np.sin(theta), -np.cos(theta)])  # unit vector up the pole, in image coordinates
    across = np.array([np.cos(theta), np.sin(theta)]) * pole_w / 2
    base = np.array(axle) - along * pole_w / 2
    tip = np.array(axle) + along * (pole_len - pole_w / 2)
    corners = [base - across, base + across, tip + across, tip - across]
    draw.polygon([tuple(c) for c in corners], fill=_COLOURS["pole"])
    r = pole_w / 2
    draw.ellipse([axle[0] - r, axle[1] - r, axle[0] + r, axle[1] + r], fill=_COLOURS["axle"])
    return np.asarray(img)


def run_episode(policy: Policy, seed: int, max_steps: int = MAX_STEPS, frame_every: int = 2, agent: str = "") -> Episode:
    """Play one episode with `policy` and draw it: every `frame_every`-th state, and the last one."""
    total, states = rollout(policy, seed, max_steps)
    shown = states[::frame_every]
    if (len(states) - 1) % frame_every:
        shown.append(states[-1])
    return Episode(agent, seed, total, len(states) - 1, [render_frame(s) for s in shown], fps=FPS // frame_every)


def to_gif(frames: list[np.ndarray], fps: int = FPS // 2) -> bytes:
    """An animated GIF that loops. Frames are drawn in four flat colours (no anti-aliasing), so one
    fixed palette maps them exactly — 10× faster than an adaptive palette per frame, and tiny files."""
    from PIL import Image

    palette = Image.new("P", (1, 1))
    palette.putpalette([c for rgb in _COLOURS.values() for c in rgb])
    images = [Image.fromarray(f).quantize(palette=palette, dither=Image.Dither.NONE) for f in frames]
    buf = io.BytesIO()
    images[0].save(buf, format="GIF", save_all=True, append_images=images[1:], duration=round(1000 / fps), loop=0)
    return buf.getvalue()


@functools.lru_cache(maxsize=1)
def shipped_dqn():
    """The DQN trained by the `dqn_cartpole` recipe (assets/weights/dqn_cartpole.safetensors)."""
    import zoo

    return zoo.create_model("dqn", weights="default")


def policy_for(agent: str, seed: int = 0, ppo_model=None) -> Policy:
    """The greedy policy of an agent: "ppo" (pass the model trained in this session), "dqn" or "random"."""
    if agent == "dqn":
        return greedy(shipped_dqn())
    if agent == "random":
        return random_policy(seed)
    if agent == "ppo":
        if ppo_model is None:
            raise BadInput("ppo_untrained")
        return greedy(ppo_model)
    raise BadInput("unknown_agent", value=repr(agent), choices=", ".join(AGENTS))


def _check(seed: int, max_steps: int) -> None:
    check_seed(seed, MAX_SEED)
    if not 1 <= int(max_steps) <= MAX_STEPS:
        raise BadInput("episode_steps", max=MAX_STEPS)


def play(agent: str = "dqn", seed: int = 0, max_steps: int = MAX_STEPS, ppo_model=None) -> Episode:
    """Play and draw one episode of `agent` from the start state fixed by `seed`."""
    _check(seed, max_steps)
    return run_episode(policy_for(agent, seed, ppo_model), int(seed), int(max_steps), agent=agent)


def mean_return(agent: str, episodes: int = 10, first_seed: int = 0, ppo_model=None) -> float:
    """Mean return of `agent` over `episodes` episodes with seeds first_seed, first_seed + 1, …"""
    _check(first_seed, MAX_STEPS)
    if not 1 <= int(episodes) <= MAX_EPISODES:
        raise BadInput("compare_episodes", max=MAX_EPISODES)
    seeds = range(int(first_seed), int(first_seed) + int(episodes))
    return float(np.mean(evaluate(policy_for(agent, int(first_seed), ppo_model), seeds)))


register_demo(
    Demo(
        name="cartpole",
        title="Balance a pole: PPO trained live vs the shipped DQN",
        models=("ppo", "dqn"),
        input_kind="environment",
        description=(
            "CartPole-v1: push a cart left or right to keep the pole on it upright; +1 for every step, "
            "500 at most. Train a PPO agent right here in seconds, watch it and DQN (trained by DeepZoo) "
            "play, and compare both with random pushes."
        ),
        run=play,
        i18n={
            "zh": {
                "title": "平衡杆：现场训练的 PPO 与预训练的 DQN",
                "description": "CartPole-v1：左右推动小车，让车上的杆保持直立；每坚持一步得 1 分，最多 500 分。"
                "在这里几秒钟就能训练一个 PPO 智能体，观看它和 DeepZoo 训练好的 DQN 的表现，并与随机推动比较。",
            }
        },
    )
)
