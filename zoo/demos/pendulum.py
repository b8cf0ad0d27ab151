"""Pendulum swing-up: the TD3 agent trained by DeepZoo against random torques, on the real simulator.

Frames are drawn here with PIL from the pendulum's angle, with the conventions of gymnasium's own renderer
(which needs pygame, a dependency DeepZoo does not take): a rod of length 1 from a pivot at the centre of a
square, θ = 0 pointing up and θ growing counter-clockwise; the square spans ±1.4 world units (gymnasium's
±2.2 leaves the pendulum small). A positive torque
turns the pendulum counter-clockwise; its arc here shows the direction and, by its length, the strength.
"""

from __future__ import annotations

import functools
import io
import math
from dataclasses import dataclass, field

import numpy as np

from zoo.train.pendulum import MAX_STEPS, MAX_TORQUE, Policy, deterministic, random_policy, rollout

from . import BadInput, Demo, register_demo
from .inputs import check_seed

SIZE = 240  # frames are SIZE × SIZE pixels
MAX_SEED = 1_000_000
FPS = 20  # the simulator advances 0.05 s per step: one frame per step plays in real time
POLICIES = ("trained", "random")

_BOUND = 1.4  # half the width of the square, in world units (gymnasium's renderer shows ±2.2: mostly margin)
_COLOURS = {
    "background": (255, 255, 255),
    "rod": (204, 77, 77),  # gymnasium's rod colour
    "ink": (0, 0, 0),  # pivot, text
    "torque": (52, 101, 164),
    "target": (200, 200, 200),  # the upright goal, dashed
}


@dataclass
class Episode:
    policy: str
    seed: int
    total_return: float
    steps: int
    angles: np.ndarray = field(repr=False)  # (steps + 1,) θ in (−π, π], 0 = upright
    torques: np.ndarray = field(repr=False)  # (steps,) applied torque in [−2, 2] N·m
    rewards: np.ndarray = field(repr=False)  # (steps,) each ≤ 0
    frames: list[np.ndarray] = field(repr=False)  # (SIZE, SIZE, 3) uint8, one per state
    fps: int = FPS


def _to_pixels(x: float, y: float, size: int) -> tuple[float, float]:
    """World (x right, y up) → image (column, row) with the pivot at the centre."""
    scale = size / (2 * _BOUND)
    return size / 2 + x * scale, size / 2 - y * scale


@functools.lru_cache(maxsize=512)
def _label(text: str, size: int):
    """`text` drawn once as a 1-bit mask (no grey edges), kept: a frame pastes its step counter in ~10 µs
    instead of rasterising it again (~1 ms)."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default(size=size)  # Pillow's bundled FreeType font: no font files needed
    left, top, right, bottom = font.getbbox(text)
    mask = Image.new("1", (right, bottom), 0)
    draw = ImageDraw.Draw(mask)
    draw.fontmode = "1"
    draw.text((0, 0), text, fill=1, font=font)
    return mask


def render_frame(theta: float, torque: float = 0.0, step: int | None = None, size: int = SIZE) -> np.ndarray:
    """Draw the pendulum at angle `theta` with the torque arc of `torque` as an RGB array (size, size, 3).

    Flat colours only (no anti-aliasing, also for the text), so a fixed palette encodes the GIF exactly."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (size, size), _COLOURS["background"])
    draw = ImageDraw.Draw(img)
    k = size / 500  # gymnasium's window is 500 wide
    cx, cy = _to_pixels(0.0, 0.0, size)

    # The goal, straight up: a dashed grey line.
    top = _to_pixels(0.0, 1.0, size)[1]
    for y in np.arange(cy, top, -8 * k * 2):
        draw.line([(cx, y), (cx, max(top, y - 8 * k))], fill=_COLOURS["target"], width=max(1, round(2 * k)))

    # The rod: length 1, from the pivot towards (−sin θ, cos θ) — θ = 0 is up, θ > 0 counter-clockwise.
    tip = _to_pixels(-math.sin(theta), math.cos(theta), size)
    draw.line([(cx, cy), tip], fill=_COLOURS["rod"], width=max(2, round(40 * k)))
    r_end = 20 * k
    draw.ellipse([tip[0] - r_end, tip[1] - r_end, tip[0] + r_end, tip[1] + r_end], fill=_COLOURS["rod"])

    # The torque, over the rod: an arc around the pivot, up to 150° at the full 2 N·m, with an arrowhead.
    u = float(np.clip(torque, -MAX_TORQUE, MAX_TORQUE))
    if abs(u) > 0.02:
        radius = 0.55 * size / (2 * _BOUND)
        span = 150.0 * abs(u) / MAX_TORQUE
        # PIL angles run clockwise from 3 o'clock; start at 6 o'clock (90°) so the arc sits below the pivot.
        start, end = (90.0 - span, 90.0) if u > 0 else (90.0, 90.0 + span)
        box = [cx - radius, cy - radius, cx + radius, cy + radius]
        draw.arc(box, start, end, fill=_COLOURS["torque"], width=max(2, round(10 * k)))
        head = math.radians(start if u > 0 else end)  # counter-clockwise torque: the head at the arc's start
        hx, hy = cx + radius * math.cos(head), cy + radius * math.sin(head)
        tangent = -1.0 if u > 0 else 1.0  # direction of travel along the arc, in PIL's clockwise angle
        dx, dy = -math.sin(head) * tangent, math.cos(head) * tangent  # unit tangent at the head
        nx, ny = math.cos(head), math.sin(head)  # unit normal (outwards)
        a = 22 * k
        draw.polygon([(hx + dx * a, hy + dy * a), (hx + nx * a * 0.6, hy + ny * a * 0.6),
                      (hx - nx * a * 0.6, hy - ny * a * 0.6)], fill=_COLOURS["torque"])
    r_axle = 10 * k
    draw.ellipse([cx - r_axle, cy - r_axle, cx + r_axle, cy + r_axle], fill=_COLOURS["ink"])

    if step is not None:
        label = _label(f"step {step}", max(10, round(size / 18)))
        img.paste(_COLOURS["ink"], (6, 4), label)
    return np.asarray(img)


def to_gif(frames: list[np.ndarray], fps: int = FPS) -> bytes:
    """An animated GIF that loops, each frame mapped onto the demo's fixed palette of flat colours."""
    from PIL import Image

    palette = Image.new("P", (1, 1))
    palette.putpalette([c for rgb in _COLOURS.values() for c in rgb])
    images = [Image.fromarray(f).quantize(palette=palette, dither=Image.Dither.NONE) for f in frames]
    buf = io.BytesIO()
    # optimize=False: Pillow's palette optimisation per frame costs 20× the encoding and saves ~10% here
    images[0].save(buf, format="GIF", save_all=True, append_images=images[1:], duration=round(1000 / fps), loop=0,
                   optimize=False)
    return buf.getvalue()


@functools.lru_cache(maxsize=1)
def shipped_td3():
    """The TD3 trained by the `td3_pendulum` recipe (assets/weights/td3_pendulum.safetensors)."""
    import zoo

    return zoo.create_model("td3", weights="default")


def policy_for(policy: str, seed: int) -> Policy:
    """"trained": the shipped TD3's deterministic μ(s); "random": uniform torques seeded by `seed`."""
    if policy == "trained":
        return deterministic(shipped_td3())
    if policy == "random":
        return random_policy(seed)
    raise BadInput("unknown_agent", value=repr(policy), choices=", ".join(POLICIES))


def _check_steps(steps: object) -> int:
    """A whole number of steps in 1…200 (Pendulum-v1 always stops at 200), or BadInput."""
    try:
        value = float(steps) if isinstance(steps, float) else int(steps)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise BadInput("steps_range", low=1, high=MAX_STEPS, value=repr(steps)) from None
    if isinstance(steps, bool) or not (math.isfinite(value) and float(value).is_integer() and 1 <= value <= MAX_STEPS):
        raise BadInput("steps_range", low=1, high=MAX_STEPS, value=repr(steps))
    return int(value)


def run(seed: int = 0, policy: str = "trained", steps: int = MAX_STEPS, frames: bool = True) -> Episode:
    """Play one Pendulum-v1 episode from the start state fixed by `seed` with the trained TD3 or random
    torques, and draw it (one frame per state, the first one before any torque)."""
    seed = check_seed(seed, MAX_SEED)
    steps = _check_steps(steps)
    trace = rollout(policy_for(policy, seed), seed, int(steps))
    angles = trace.angles
    drawn = []
    if frames:
        shown_torque = np.append(trace.torques, trace.torques[-1:])  # the last state keeps the last torque
        drawn = [render_frame(float(a), float(u), i) for i, (a, u) in enumerate(zip(angles, shown_torque))]
    return Episode(policy, seed, trace.total, len(trace.torques), angles, trace.torques, trace.rewards, drawn)


register_demo(
    Demo(
        name="pendulum",
        title="Swing up a pendulum: TD3 trained by DeepZoo vs random torques",
        models=("td3",),
        input_kind="environment",
        description=(
            "Pendulum-v1: a weak motor must swing a hanging pendulum up and hold it upright. Every step costs "
            "the angle from upright, the speed and the torque used, so returns are negative: about −1,200 for "
            "random torques, about −150 for a good swing-up. Pick a start state (seed) and watch the shipped "
            "TD3 agent and a random policy side by side."
        ),
        run=run,
        i18n={
            "zh": {
                "title": "摆起倒立摆：DeepZoo 训练的 TD3 对比随机力矩",
                "description": "Pendulum-v1：一个力矩不足的电机要把下垂的摆甩起来并保持竖直。每一步都按偏离竖直的角度、速度和所用力矩扣分，"
                "因此回报为负：随机力矩约为 −1200，好的摆起约为 −150。选一个初始状态（随机种子），并排观看预训练的 TD3 智能体和随机策略。",
            }
        },
    )
)
