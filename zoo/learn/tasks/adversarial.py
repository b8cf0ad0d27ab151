"""Adversarial training: GANs on scikit-learn's handwritten digits, unconditional and image-to-image.

Four games, each a dataset whose `loss` is the game's objective and whose plans build every player into one
module (`builder`), so that the saved state holds them all:

| dataset               | models                                          | game                                      |
|-----------------------|-------------------------------------------------|-------------------------------------------|
| gan_digits            | dcgan_generator, dcgan_discriminator            | DCGAN (Radford et al. 2016)               |
| gan_digits (wgan)     | wgan_critic (+ a DCGAN generator)               | WGAN, weight clipping (Arjovsky et al. 2017) |
| occluded_digits       | pix2pix_generator, patchgan_discriminator       | pix2pix: cGAN + λ·L1, λ = 100 (Isola et al. 2017) |
| digit_styles          | cyclegan_generator (+ F and two PatchGANs)      | CycleGAN: LSGAN + λ·cycle, λ = 10 (Zhu et al. 2017) |

The digits are `zoo.train.generative.digits`: the 1,797 8×8 digits upsampled bilinearly, a fixed shuffle whose
first 1,500 train and whose other 297 are held out — the split the shipped DCGAN and DDPM were trained on.

One optimizer for every player. `fit` makes ONE optimizer over the module's parameters and takes one step per
batch, whereas the papers alternate: a discriminator step, then a generator step, each with its own optimizer.
Here each objective is a sum in which every player's gradient reaches only its own parameters — the
discriminator's term is computed on `fake.detach()`, the generator's term through the discriminator called
with its parameters detached (`torch.func.functional_call`, `_frozen`) — so one step updates all players at
once from the same batch: simultaneous gradient descent with one learning rate and one set of Adam moments
per parameter (the engine's Adam has β₁ = 0.9; the papers use β₁ = 0.5, and WGAN RMSProp). The plans say so
(reduction `adversarial_one_optimizer`). Each pair's `forward(batch)` returns its objective, so that under
DistributedDataParallel the whole game is one forward pass.

- DCGAN (Sec. 3–4): D minimises −log D(x) − log(1 − D(G(z))), G the non-saturating −log D(G(z))
  (`zoo.generative.dcgan.gan_losses`); z ~ N(0, I). The shipped recipe's size (`DCGAN_CONFIG`: 16×16, z of 32,
  widths 32) and its 2 G updates per D update become 1 simultaneous update.
- WGAN (Algorithm 1): the critic minimises E f(G(z)) − E f(x), the generator −E f(G(z)); every critic weight
  is clipped to [−0.01, 0.01] after each update — here at the start of the next `loss` call (the same order of
  updates: step, clip, next forward), and before evaluation so that the saved critic obeys the constraint. The
  critic is updated once per generator update (the paper: n_critic = 5). The loss shown is the critic's,
  −Ŵ, the Wasserstein estimate the paper plots (Fig. 3–4): the generator's term enters as g − g.detach(),
  gradient without value.
- pix2pix (Eq. 4, Sec. 3.3): G* = arg min_G max_D L_cGAN(G, D) + 100·L1(G); D sees (condition, image) and its
  objective is halved, "which slows down the rate at which D learns relative to G". The paired task: a digit
  with a 14×14 square of its 32×32 image hidden (painted mid-grey) → the whole digit. Hidden squares are drawn
  afresh for every training batch (from the run's own generator) and fixed for the held-out digits.
- CycleGAN (Eq. 1–3, Sec. 4 "Training details"): G: A → B and F: B → A, a PatchGAN D_A, D_B per domain, least-
  squares adversarial losses (D: (D(y) − 1)² + D(G(x))², halved; G: (D(G(x)) − 1)²), and λ = 10 times the cycle
  loss ‖F(G(x)) − x‖₁ + ‖G(F(y)) − y‖₁ (`zoo.generative.cyclegan.cycle_loss`). The two domains: A = thin dark
  ink on light paper (the digit inverted), B = thick light ink on dark (the digit dilated by a 3×3 maximum).
  The training digits are split in two halves, one drawn in each style, and every batch pairs A digits with
  B digits drawn at random: no digit is ever seen in both styles. The image pool of 50 past fakes is left out.

Sizes, for a default run of 1–2 minutes on one CPU thread (the plans' reductions): DCGAN and WGAN at 16×16,
z of 32, widths 32 (×0.5); pix2pix at 32×32 with a U-Net of 5 levels — the fewest the registry's U-Net builds,
and then it has none of its dropout levels — ngf = ndf = 16 and a 1-layer PatchGAN (16×16 patches); CycleGAN
at 16×16, ngf 16, 3 residual blocks, PatchGANs of width 32 and 16×16 patches. The GANs' learning rate is
5e-4 (published 2e-4): of 2e-4, 5e-4 and 1e-3 (DCGAN) and 5e-4, 1e-3 and 2e-3 (WGAN), the best in 2,000 steps.

Evaluation (deterministic: fixed latents, fixed hidden squares, the fixed held-out digits):
- unconditional GANs: 500 samples from the latents of seed 1234, averaged to the digits' native 8×8 and read
  by the shipped LeNet-5 (`zoo.train.diffusion.digit_quality`). `judge_score` = the share of samples LeNet-5
  is ≥ 90 % sure about × the effective number of digits among its readings (exp of the entropy of the
  histogram of predicted digits) / 10: 1 for confident samples spread evenly over the ten digits; a collapsed
  generator that draws one clear digit scores 0.1 at most. Measured: real held-out digits 0.91, uniform noise
  0.03, the untrained generator 0.00 (one grey blur); the plans' default runs (seed 0, 2,000 steps) DCGAN 0.34
  and WGAN 0.16 — the shipped `dcgan_digits` generator (60 epochs of alternating updates, β₁ = 0.5) scores 0.35.
- translation: `translation_l1`, the mean absolute difference (ink scale 0–1) between the translated held-out
  digit and its true counterpart (for CycleGAN this pairing is known only to the evaluation), beside the same
  distance for the untranslated input; pix2pix also reports `accuracy`, the share of restored held-out digits
  that the kNN digit judge (`zoo.train.generative.digit_judge`, trained on the 1,500 training digits) reads as
  the right digit, and the L1 inside the hidden squares. Measured with the default run (seed 0, 600 steps):
  L1 0.035 (untrained 0.32; the occluded input itself 0.051), judge accuracy 96.3 % (occluded input 93.3 %).
  CycleGAN's default run (seed 0, 600 steps): L1 0.145 in both directions (untrained 0.33, the untranslated
  input 0.61).
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ...train.generative import DCGAN_CONFIG, digits
from ..datasets import DatasetInfo, TrainData
from ..plans import Reduction, TrainPlan

EVAL_SEED = 1234  # the latents of the evaluation (as the shipped DCGAN's and DDPM's reports)
EVAL_SAMPLES = 500
HOLE_SEED = 0  # the hidden squares of the held-out digits
NATIVE = 8  # the digits' own grid, which LeNet-5 and the kNN judge read

# -------------------------------------------------------------------------------------------------- the pairs


def _frozen(module: nn.Module, *args: torch.Tensor) -> torch.Tensor:
    """`module(*args)` with its parameters detached: the gradient flows through the module to its inputs (the
    generator's images) but never into its own weights. Buffers (BatchNorm statistics) are the module's own."""
    params = {name: p.detach() for name, p in module.named_parameters()}
    return torch.func.functional_call(module, params, args)


class GANPair(nn.Module):
    """A generator and the discriminator (or critic) it plays against; `forward(real)` is one step's objective
    (see the module docstring): "dcgan" or "wgan"."""

    def __init__(self, generator: nn.Module, discriminator: nn.Module, game: str = "dcgan"):
        super().__init__()
        if game not in ("dcgan", "wgan"):
            raise ValueError(f"game must be 'dcgan' or 'wgan', not {game!r}")
        self.generator, self.discriminator, self.game = generator, discriminator, game

    @property
    def nz(self) -> int:
        return self.generator.cfg.nz

    def clip(self) -> None:
        """WGAN's Lipschitz constraint (Algorithm 1, line 7); nothing for DCGAN."""
        if self.game == "wgan":
            from ...generative.wgan import clip_weights

            clip_weights(self.discriminator)

    def forward(self, real: torch.Tensor) -> torch.Tensor:
        self.clip()  # after the previous optimizer step, before this forward pass: Algorithm 1's order
        z = torch.randn(real.shape[0], self.nz, device=real.device)  # drawn from the run's generator (fit)
        fake = self.generator(z)
        real_scores = self.discriminator(real).float()
        fake_scores = self.discriminator(fake.detach()).float()  # D's term: no gradient into G
        fooled = _frozen(self.discriminator, fake).float()  # G's term: no gradient into D
        if self.game == "dcgan":
            from ...generative.dcgan import gan_losses

            d_loss, _ = gan_losses(real_scores, fake_scores)
            _, g_loss = gan_losses(real_scores, fooled)
            return d_loss + g_loss
        from ...generative.wgan import critic_loss, generator_loss

        g_loss = generator_loss(fooled)
        return critic_loss(real_scores, fake_scores) + (g_loss - g_loss.detach())


def _bce(logits: torch.Tensor, real: bool) -> torch.Tensor:
    target = torch.ones_like(logits) if real else torch.zeros_like(logits)
    return F.binary_cross_entropy_with_logits(logits, target)


PIX2PIX_L1 = 100.0  # λ of Eq. 4


class Pix2PixPair(nn.Module):
    """The U-Net G and the PatchGAN D of pix2pix; `forward((condition, target))` is Eq. 4's objective."""

    def __init__(self, generator: nn.Module, discriminator: nn.Module):
        super().__init__()
        self.generator, self.discriminator = generator, discriminator

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, y = batch
        fake = self.generator(x)
        d_loss = 0.5 * (_bce(self.discriminator(x, y).float(), True)
                        + _bce(self.discriminator(x, fake.detach()).float(), False))
        g_gan = _bce(_frozen(self.discriminator, x, fake).float(), True)
        return d_loss + g_gan + PIX2PIX_L1 * (fake.float() - y).abs().mean()


CYCLE_WEIGHT = 10.0  # λ of Eq. 3


class CycleGANPair(nn.Module):
    """G: A → B, F: B → A and the PatchGANs D_A, D_B; `forward((a, b))` is Eq. 3's objective on unpaired
    batches, with least-squares adversarial terms (Sec. 4)."""

    def __init__(self, g: nn.Module, f: nn.Module, d_a: nn.Module, d_b: nn.Module):
        super().__init__()
        self.g, self.f, self.d_a, self.d_b = g, f, d_a, d_b

    @staticmethod
    def judge(d: nn.Module, image: torch.Tensor, frozen: bool = False) -> torch.Tensor:
        """CycleGAN's discriminator judges an image alone: the PatchGAN's condition is empty (0 channels)."""
        args = (image[:, :0], image)
        return (_frozen(d, *args) if frozen else d(*args)).float()

    def forward(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        from ...generative.cyclegan import cycle_loss

        a, b = batch
        fake_b, fake_a = self.g(a), self.f(b)
        cycle = cycle_loss(a, self.f(fake_b).float(), b, self.g(fake_a).float())
        g_gan = ((self.judge(self.d_b, fake_b, frozen=True) - 1) ** 2).mean() \
            + ((self.judge(self.d_a, fake_a, frozen=True) - 1) ** 2).mean()
        d_loss = 0.0
        for d, real, fake in ((self.d_a, a, fake_a), (self.d_b, b, fake_b)):
            d_loss = d_loss + 0.5 * (((self.judge(d, real) - 1) ** 2).mean() + (self.judge(d, fake.detach()) ** 2).mean())
        return d_loss + g_gan + CYCLE_WEIGHT * cycle


# --------------------------------------------------------------------------------------------------- builders


def build_gan(plan: TrainPlan, generator: torch.Generator, **overrides: Any) -> GANPair:
    """The DCGAN pair (plans of dcgan_generator and dcgan_discriminator) or the WGAN pair (wgan_critic and a
    DCGAN generator): both players share the config overrides (DCGANConfig)."""
    import zoo

    config = {**plan.overrides, **overrides}
    game = plan.data_options.get("game", "dcgan")
    critic_key = "wgan_critic" if game == "wgan" else "dcgan_discriminator"
    return GANPair(zoo.create_model("dcgan_generator", **config), zoo.create_model(critic_key, **config), game)


def build_pix2pix(plan: TrainPlan, generator: torch.Generator, **overrides: Any) -> Pix2PixPair:
    """The U-Net and the PatchGAN, both from the shared Pix2PixConfig overrides."""
    import zoo

    config = {**plan.overrides, **overrides}
    return Pix2PixPair(zoo.create_model("pix2pix_generator", **config), zoo.create_model("patchgan_discriminator", **config))


CYCLE_D = {"ndf": 32, "n_layers": 1}  # the PatchGANs: width ×0.5, 16×16 receptive field at 16×16 images


def build_cyclegan(plan: TrainPlan, generator: torch.Generator, **overrides: Any) -> CycleGANPair:
    """G and F (the registry model twice) and two PatchGANs that judge single grey images."""
    import zoo

    config = {**plan.overrides, **overrides}
    channels = config.get("out_channels", 1)
    d = lambda: zoo.create_model("patchgan_discriminator", in_channels=0, out_channels=channels, **CYCLE_D)
    g = zoo.create_model("cyclegan_generator", **config)
    f = zoo.create_model("cyclegan_generator", **config)
    return CycleGANPair(g, f, d(), d())


# ------------------------------------------------------------------------------------------------------- data


def _ink(images: torch.Tensor) -> torch.Tensor:
    """[-1, 1] (tanh) → ink in [0, 1]."""
    return ((images.float() + 1) / 2).clamp(0, 1)


def _native(ink: torch.Tensor) -> torch.Tensor:
    """(N, 1, S, S) ink → (N, 1, 8, 8) by averaging S/8 × S/8 blocks: the grid LeNet-5 and the judge read."""
    return F.avg_pool2d(ink, ink.shape[-1] // NATIVE) if ink.shape[-1] > NATIVE else ink


def judge_score(ink: torch.Tensor) -> dict[str, float]:
    """`judge_score` of the module docstring and the figures it is made of, for images (N, 1, S, S) in [0, 1]."""
    from ...train.diffusion import digit_quality

    q = digit_quality(_native(ink))
    counts = np.asarray(q["histogram"], dtype=np.float64)
    p = counts[counts > 0] / counts.sum()
    effective = float(np.exp(-(p * np.log(p)).sum()))
    return {"judge_score": q["confident %"] / 100 * effective / 10, "confident %": q["confident %"],
            "effective digits": effective, "classes covered": float(q["classes covered"]),
            "knn confidence %": q["knn confidence %"], "nearest real distance": q["nearest real distance"]}


Rows = list[list[torch.Tensor]]


def mosaic(rows: Rows, scale: int | None = None, gap: int = 2, colour: tuple[int, int, int] = (64, 96, 128)) -> np.ndarray:
    """Rows of (S, S) ink images in [0, 1] as one (H, W, 3) uint8 picture: white ink on black, each pixel
    repeated `scale` times (default: ≥ 48 pixels a digit), `gap` pixels of `colour` between images (a colour,
    so that paper-white and ink-black images both stand apart)."""
    scale = scale or max(2, -(-48 // rows[0][0].shape[-1]))
    side = rows[0][0].shape[-1] * scale
    cols = max(len(r) for r in rows)
    out = np.empty((len(rows) * (side + gap) + gap, cols * (side + gap) + gap, 3), dtype=np.uint8)
    out[:] = colour
    for i, row in enumerate(rows):
        for j, img in enumerate(row):
            big = img.reshape(img.shape[-2:]).repeat_interleave(scale, 0).repeat_interleave(scale, 1)
            top, left = gap + i * (side + gap), gap + j * (side + gap)
            out[top : top + side, left : left + side] = (255 * big.clamp(0, 1)).round().byte().numpy()[..., None]
    return out


def _cancelled(cancel: threading.Event | None) -> bool:
    return cancel is not None and cancel.is_set()


GAN_INFO = DatasetInfo(
    "gan_digits", "image_generation",
    "scikit-learn load_digits upsampled to 16×16: 1,500 digits to imitate; 500 samples from fixed noise judged by "
    "LeNet-5", "judge_score", True, percent=True)


class GANDigits(TrainData):
    """Real digits in [-1, 1] for a generator to imitate; the pair draws its own noise (the run's generator)."""

    info = GAN_INFO

    def __init__(self, image_size: int = DCGAN_CONFIG["image_size"], game: str = "dcgan"):
        self.image_size, self.game = int(image_size), game
        self.x_train = digits(self.image_size, split="train")[0] * 2 - 1

    def __len__(self) -> int:
        return len(self.x_train)

    def batch(self, indices, device="cpu"):
        return self.x_train[indices].to(device)

    def loss(self, model, batch):
        return model(batch)

    @torch.no_grad()
    def _samples(self, model: GANPair, n: int) -> torch.Tensor:
        model.eval()
        model.clip()  # the saved critic obeys WGAN's constraint (clipping is idempotent: training is unchanged)
        device = next(model.parameters()).device
        z = torch.randn(n, model.nz, generator=torch.Generator().manual_seed(EVAL_SEED)).to(device)
        return _ink(model.generator(z)).cpu()

    def evaluate(self, model, cancel=None):
        if _cancelled(cancel):
            return None
        return judge_score(self._samples(model, EVAL_SAMPLES))

    def samples(self, model):
        ink = self._samples(model, 64)
        return mosaic([list(ink[i : i + 8]) for i in range(0, 64, 8)])


def _hide(x: torch.Tensor, corners: np.ndarray, hole: int) -> torch.Tensor:
    """x (N, 1, S, S) in [-1, 1] with a hole×hole square at each (row, col) corner painted mid-grey (0)."""
    out = x.clone()
    for i, (r, c) in enumerate(corners):
        out[i, :, r : r + hole, c : c + hole] = 0.0
    return out


OCCLUDED_INFO = DatasetInfo(
    "occluded_digits", "image_translation",
    "scikit-learn load_digits upsampled to 32×32, a 14×14 square of each hidden: 1,500 pairs (digit with a hole → "
    "whole digit), holes drawn afresh every batch; 297 held out with fixed holes", "translation_l1", False)


class OccludedDigits(TrainData):
    """Paired translation: (digit with a hidden square, whole digit), both in [-1, 1]."""

    info = OCCLUDED_INFO

    def __init__(self, image_size: int = 32, hole: int = 14):
        self.side, self.hole = int(image_size), int(hole)
        self.y_train = digits(self.side, split="train")[0] * 2 - 1
        self.y_val, self.labels_val = digits(self.side, split="test")
        self.y_val = self.y_val * 2 - 1
        corners = self._corners(np.random.default_rng(HOLE_SEED), len(self.y_val))
        self.x_val = _hide(self.y_val, corners, self.hole)
        self.hole_val = _hide(torch.ones_like(self.y_val), corners, self.hole) == 0  # True inside the square
        self.begin(0)

    def _corners(self, rng: np.random.Generator, n: int) -> np.ndarray:
        # the square stays within the middle of the frame, where the digit is: it always hides some ink
        margin = self.side // 8
        return rng.integers(margin, self.side - margin - self.hole + 1, size=(n, 2))

    def begin(self, seed: int, rank: int = 0) -> None:
        from ...rng import numpy_generator

        self.rng = numpy_generator(seed * 1_000_003 + rank)

    def __len__(self) -> int:
        return len(self.y_train)

    def batch(self, indices, device="cpu"):
        y = self.y_train[indices]
        return _hide(y, self._corners(self.rng, len(y)), self.hole).to(device), y.to(device)

    def loss(self, model, batch):
        return model(batch)

    @torch.no_grad()
    def _restore(self, model: Pix2PixPair, x: torch.Tensor) -> torch.Tensor:
        model.eval()
        device = next(model.parameters()).device
        return model.generator(x.to(device)).float().cpu()

    def evaluate(self, model, cancel=None, batch_size: int = 100):
        from ...train.generative import digit_judge

        restored = []
        for i in range(0, len(self.x_val), batch_size):
            if _cancelled(cancel):
                return None
            restored.append(self._restore(model, self.x_val[i : i + batch_size]))
        out, target, given = _ink(torch.cat(restored)), _ink(self.y_val), _ink(self.x_val)
        knn = digit_judge(NATIVE)[0]
        read = lambda ink: float((knn.predict(_native(ink).flatten(1).numpy()) == self.labels_val.numpy()).mean())
        hole = lambda ink: float((ink - target).abs()[self.hole_val].mean())
        return {"translation_l1": float((out - target).abs().mean()), "input l1": float((given - target).abs().mean()),
                "hidden square l1": hole(out), "hidden square l1 of the input": hole(given),
                "accuracy": read(out), "accuracy of the occluded input": read(given)}

    def samples(self, model):
        x, y = self.x_val[:8], self.y_val[:8]
        out = _ink(self._restore(model, x))
        x, y = _ink(x), _ink(y)
        return mosaic([[x[i], out[i], y[i], x[i + 4], out[i + 4], y[i + 4]] for i in range(4)])


def thin_dark(ink: torch.Tensor) -> torch.Tensor:
    """Domain A: dark ink on light paper (the digit inverted), in [-1, 1]."""
    return (1 - ink) * 2 - 1


def thick_light(ink: torch.Tensor) -> torch.Tensor:
    """Domain B: light ink on dark, thickened by a 3×3 maximum (dilation), in [-1, 1]."""
    return F.max_pool2d(ink, 3, stride=1, padding=1) * 2 - 1


STYLES_INFO = DatasetInfo(
    "digit_styles", "image_translation",
    "scikit-learn load_digits at 16×16 in two styles, unpaired: 750 digits as thin dark ink on light paper, 750 "
    "others as thick light ink on dark; the 297 held-out digits in both styles", "translation_l1", False)


class DigitStyles(TrainData):
    """Unpaired translation: batches of A digits with B digits drawn at random from the other half."""

    info = STYLES_INFO

    def __init__(self, image_size: int = 16):
        ink = digits(int(image_size), split="train")[0]
        half = len(ink) // 2
        self.a, self.b = thin_dark(ink[:half]), thick_light(ink[half:])  # different digits: nothing is paired
        held_out = digits(int(image_size), split="test")[0]
        self.a_val, self.b_val = thin_dark(held_out), thick_light(held_out)  # paired: for the evaluation only
        self.begin(0)

    def begin(self, seed: int, rank: int = 0) -> None:
        from ...rng import numpy_generator

        self.rng = numpy_generator(seed * 1_000_003 + rank)

    def __len__(self) -> int:
        return len(self.a)

    def batch(self, indices, device="cpu"):
        partners = torch.from_numpy(self.rng.integers(0, len(self.b), size=len(indices)))
        return self.a[indices].to(device), self.b[partners].to(device)

    def loss(self, model, batch):
        return model(batch)

    @torch.no_grad()
    def _translate(self, model: CycleGANPair, net: nn.Module, x: torch.Tensor) -> torch.Tensor:
        model.eval()
        device = next(model.parameters()).device
        return net(x.to(device)).float().cpu()

    def evaluate(self, model, cancel=None):
        if _cancelled(cancel):
            return None
        a, b = _ink(self.a_val), _ink(self.b_val)
        to_b = _ink(self._translate(model, model.g, self.a_val))
        if _cancelled(cancel):
            return None
        to_a = _ink(self._translate(model, model.f, self.b_val))
        l1_b, l1_a = float((to_b - b).abs().mean()), float((to_a - a).abs().mean())
        return {"translation_l1": (l1_a + l1_b) / 2, "A → B l1": l1_b, "B → A l1": l1_a,
                "input l1": float((a - b).abs().mean())}

    def samples(self, model):
        a, b = self.a_val[:4], self.b_val[:4]
        to_b, to_a = (_ink(self._translate(model, net, x)) for net, x in ((model.g, a), (model.f, b)))
        a, b = _ink(a), _ink(b)
        return mosaic([[a[i], to_b[i], b[i], b[i], to_a[i], a[i]] for i in range(4)])


DATASETS = {
    "gan_digits": (GAN_INFO, GANDigits),
    "occluded_digits": (OCCLUDED_INFO, OccludedDigits),
    "digit_styles": (STYLES_INFO, DigitStyles),
}

# ------------------------------------------------------------------------------------------------------ plans

REDUCTIONS = {
    "adversarial_one_optimizer": "all players updated together by one optimizer with one learning rate "
                                 "(published: alternating updates, an optimizer per player)",
    "adversarial_n_critic": "the critic updated once per generator update (published {published})",
    "adversarial_latent": "noise z of {nz} numbers (published {published})",
    "adversarial_levels": "U-Net of {levels} levels (published {published})",
    "adversarial_patch": "PatchGAN of {patch}×{patch} patches (published {published}×{published})",
    "adversarial_no_dropout": "no dropout in the U-Net (published: 0.5 in three decoder levels)",
    "adversarial_blocks": "{blocks} residual blocks (published {published})",
    "adversarial_d_width": "discriminators' width ×{factor}",
    "adversarial_no_pool": "discriminators judge the latest fakes only (published: a pool of {pool} past fakes)",
}


def _r(code: str, **values: Any) -> Reduction:
    return Reduction(code, tuple(values.items()))


GAN_DEFAULTS = {"epochs": 10_000, "max_steps": 2000, "batch_size": 64, "optimizer": "adam", "lr": 5e-4}
PIX2PIX = {"in_channels": 1, "out_channels": 1, "ngf": 16, "ndf": 16, "num_downs": 5, "n_layers": 1}
PIX2PIX_DEFAULTS = {"epochs": 10_000, "max_steps": 600, "batch_size": 32, "optimizer": "adam", "lr": 2e-4}
CYCLEGAN = {"in_channels": 1, "out_channels": 1, "ngf": 16, "n_blocks": 3}
CYCLEGAN_DEFAULTS = {"epochs": 10_000, "max_steps": 600, "batch_size": 16, "optimizer": "adam", "lr": 2e-4}


def _patch(n_layers: int) -> int:
    from ...generative.pix2pix import patchgan_layers, receptive_field

    return receptive_field(patchgan_layers(n_layers))


def plans(key: str, card, config) -> list[TrainPlan]:
    if key in ("dcgan_generator", "dcgan_discriminator", "wgan_critic"):
        cfg = config()
        side = DCGAN_CONFIG["image_size"]
        wgan = key == "wgan_critic"
        red = [_r("input_size", side=side, published=f"{cfg.image_size}×{cfg.image_size}"),
               _r("channels", channels=1), _r("width", factor=DCGAN_CONFIG["ngf"] / cfg.ngf),
               _r("adversarial_latent", nz=DCGAN_CONFIG["nz"], published=cfg.nz), _r("adversarial_one_optimizer")]
        if wgan:
            from ...generative.wgan import N_CRITIC

            red.append(_r("adversarial_n_critic", published=N_CRITIC))
        return [TrainPlan(key, "gan_digits", {"image_size": side, "game": "wgan" if wgan else "dcgan"},
                          dict(DCGAN_CONFIG), tuple(red), dict(GAN_DEFAULTS), builder=f"{__name__}:build_gan")]
    if key in ("pix2pix_generator", "patchgan_discriminator"):
        cfg = config()
        red = [_r("input_size", side=32, published="256×256"), _r("channels", channels=1),
               _r("width", factor=PIX2PIX["ngf"] / cfg.ngf),
               _r("adversarial_levels", levels=PIX2PIX["num_downs"], published=cfg.num_downs),
               _r("adversarial_patch", patch=_patch(PIX2PIX["n_layers"]), published=_patch(cfg.n_layers)),
               _r("adversarial_no_dropout"), _r("adversarial_one_optimizer")]
        return [TrainPlan(key, "occluded_digits", {"image_size": 32}, dict(PIX2PIX), tuple(red),
                          dict(PIX2PIX_DEFAULTS), builder=f"{__name__}:build_pix2pix")]
    if key == "cyclegan_generator":
        cfg = config()
        red = [_r("input_size", side=16, published="256×256"), _r("channels", channels=1),
               _r("width", factor=CYCLEGAN["ngf"] / cfg.ngf), _r("adversarial_d_width", factor=CYCLE_D["ndf"] / 64),
               _r("adversarial_blocks", blocks=CYCLEGAN["n_blocks"], published=cfg.n_blocks),
               _r("adversarial_patch", patch=_patch(CYCLE_D["n_layers"]), published=70),
               _r("adversarial_no_pool", pool=50), _r("adversarial_one_optimizer")]
        return [TrainPlan(key, "digit_styles", {"image_size": 16}, dict(CYCLEGAN), tuple(red),
                          dict(CYCLEGAN_DEFAULTS), builder=f"{__name__}:build_cyclegan")]
    return []
