"""Generative models trained by likelihood, reconstruction or denoising, on scikit-learn's handwritten digits.

Every objective here is the model's own, computed by its dataset's `loss`; the data are the digits of
`zoo.train.generative.digits` (the 1,797 8×8 digits of `load_digits`, a fixed shuffle: the first 1,500 train,
the other 297 are held out, for every run and every seed), in the form each model reads:

| dataset               | model       | objective (training loss)                          | held-out metric       |
|-----------------------|-------------|----------------------------------------------------|-----------------------|
| digits_elbo           | vae         | negative ELBO (Kingma & Welling 2014, Eq. 10)      | nELBO, nats per image |
| digits_reconstruction | autoencoder | reconstruction cross-entropy (Hinton & S. 2006)    | squared error / image |
| digits_denoising      | ddpm_unet   | L_simple (Ho et al. 2020, Eq. 14)                  | L_simple, fixed t, ε  |
| digits_autoregressive | pixelcnn    | Σ −log p(x_i ∣ x_<i) (van den Oord 2016, Eq. 1)    | bits per dimension    |
| digits_flow           | realnvp     | −log p(x), change of variables (Dinh et al., Eq. 3) | bits per dimension   |

- VAE and autoencoder read the digits as MNIST lays them out (a 20×20 digit in a 28×28 frame, grey levels in
  [0, 1], `zoo.train.generative.vae_digits`), so both train at their published size. As in the zoo's VAE
  recipe and most MNIST code, grey levels are Bernoulli targets: the nELBO is then the bound's value, a bound
  on log p(x) only for binary images. The autoencoder is trained end to end, without the paper's layer-wise
  RBM pretraining (its card says so too), from Glorot-initialised weights (`autoencoder_glorot`: from
  PyTorch's default ones it stays on the average digit for hundreds of steps, the failure the paper describes);
  the VAE's decoder starts at the average digit, as the zoo's VAE recipe does (`vae_from_mean`).
- DDPM trains the U-Net of the shipped `ddpm_digits` weights (`zoo.train.diffusion.CONFIG`: the digits' own
  8×8, ch 32, three resolutions, one residual block each) with the paper's T = 1000 linear schedule, ink in
  [-1, 1]; no moving average of the weights (the engine trains one set), and fewer, smaller batches than the
  recipe (600 × 64 against 1,500 × 128) to fit the Train tab's time. The held-out figure is L_simple itself,
  each held-out digit noised to one of 8 fixed timesteps in turn (the middles of 8 equal strata of 1 … 1000)
  with fixed noise: deterministic, one forward pass per digit (it runs after every epoch), and 1.0 for the
  untrained U-Net, whose zero-initialised output predicts ε = 0. Samples: DDIM (η = 0) in 16 steps.
- PixelCNN and RealNVP model the digits exactly as `load_digits` stores them: 8×8 pixels of 17 grey levels
  (ink 0 … 16). PixelCNN's output becomes a 17-way softmax per pixel (published: binarised MNIST, a
  Bernoulli); RealNVP reads the levels dequantised with uniform noise, u = (k + noise) / 17, in the paper's
  logit space (`zoo.generative.realnvp.logit_transform`, Sec. 4.1), so its bits per dimension are an upper
  bound on the discrete ones, −log₂ P(k) ≤ −log₂ p(u) + log₂ 17 per pixel. Both are on one scale, bits per
  pixel of the same 17-level images: a uniform guess costs log₂ 17 ≈ 4.09. Both train on bits per dimension
  (the negative log-likelihood in nats per image / (64 ln 2)), which is the metric's own unit.
"""

from __future__ import annotations

import functools
import math
import threading

import numpy as np
import torch
import torch.nn.functional as F

from ..datasets import DatasetInfo, TrainData
from ..plans import Reduction, TrainPlan
from ...rng import torch_generator

SIDE = 8  # the digits' native grid, for DDPM, PixelCNN and RealNVP
LEVELS = 17  # load_digits stores ink as integers 0 … 16
EVAL_SEED = 1234  # held-out noise (ELBO's ε, DDPM's ε, RealNVP's dequantisation): the same for every run
SAMPLE_SEED = 0  # what `samples` draws from
EVAL_BATCH = 300


# ------------------------------------------------------------------------------------------------------ the data


@functools.lru_cache(maxsize=1)
def _mnist_layout() -> tuple[torch.Tensor, torch.Tensor]:
    """(train, held-out) digits as 20×20 in a 28×28 frame, grey levels in [0, 1]: the VAE recipe's data."""
    from zoo.train.generative import vae_digits

    return vae_digits("train")[0], vae_digits("test")[0]


@functools.lru_cache(maxsize=1)
def _levels() -> tuple[torch.Tensor, torch.Tensor]:
    """(train, held-out) native 8×8 digits as integer grey levels 0 … 16, stored as float (N, 1, 8, 8)."""
    from zoo.train.generative import digits

    return tuple((digits(SIDE, split=split)[0] * (LEVELS - 1)).round() for split in ("train", "test"))


class _Images(TrainData):
    """Unlabelled images: a training tensor the sampler cuts into batches, and a held-out one."""

    def __init__(self, x_train: torch.Tensor, x_val: torch.Tensor):
        self.x_train, self.x_val = x_train, x_val

    def __len__(self) -> int:
        return len(self.x_train)

    def batch(self, indices, device="cpu"):
        return self.x_train[indices].to(device)

    def _held_out(self, model: torch.nn.Module, cancel: threading.Event | None):
        """The held-out images in batches on the model's device, with the model in eval mode; a batch is None
        once `cancel` is set, so that evaluation stops within one batch."""
        model.eval()
        device = next(model.parameters()).device
        for i in range(0, len(self.x_val), EVAL_BATCH):
            yield (None if cancel is not None and cancel.is_set() else self.x_val[i : i + EVAL_BATCH].to(device))


def _grid(images: torch.Tensor, columns: int, scale: int = 1, gap: int = 2) -> np.ndarray:
    """(N, 1, H, W) in [0, 1] → one (H', W', 3) uint8 picture: dark ink on white, cells `scale`× enlarged
    (nearest neighbour, so 8×8 pixels stay crisp) with `gap` white pixels between them."""
    images = images.detach().float().cpu().clamp(0, 1)
    if scale > 1:
        images = F.interpolate(images, scale_factor=scale, mode="nearest")
    n, _, h, w = images.shape
    rows = math.ceil(n / columns)
    out = torch.ones(rows * (h + gap) + gap, columns * (w + gap) + gap)
    for i, image in enumerate(images):
        r, c = divmod(i, columns)
        top, left = gap + r * (h + gap), gap + c * (w + gap)
        out[top : top + h, left : left + w] = 1 - image[0]
    return (out * 255).round().to(torch.uint8)[..., None].repeat(1, 1, 3).numpy()


# ------------------------------------------------------------------------------------------------------------ VAE

ELBO_INFO = DatasetInfo("digits_elbo", "image_generation",
                        "scikit-learn load_digits as 20×20 digits in a 28×28 frame (MNIST's layout), grey levels in "
                        "[0, 1]; 297 of 1,797 held out", "nelbo", False)


class VariationalBound(_Images):
    """The VAE's negative evidence lower bound (Kingma & Welling 2014, Eq. 10, one reparameterised sample per
    image): Bernoulli reconstruction cross-entropy summed over the 784 pixels plus KL(q(z|x) ‖ N(0, I)), in nats
    per image. Held out: the same bound with ε drawn from a fixed seed (`zoo.train.generative.heldout_nelbo`)."""

    info = ELBO_INFO

    def __init__(self):
        super().__init__(*_mnist_layout())

    def loss(self, model, batch):
        from zoo.generative.vae import elbo_loss

        recon_logits, mu, logvar = model(batch)  # ε from the run's generator (the engine routes it)
        return elbo_loss(recon_logits.float(), batch, mu.float(), logvar.float())

    def evaluate(self, model, cancel=None):
        from zoo.train.generative import heldout_nelbo

        if cancel is not None and cancel.is_set():
            return None
        device = next(model.parameters()).device
        return {"nelbo": heldout_nelbo(model, self.x_val.to(device), seed=EVAL_SEED)}  # 297 digits: one pass

    @torch.no_grad()
    def samples(self, model):
        """8 × 8 new digits: decoded z ~ N(0, I), each pixel's Bernoulli mean (as the paper's figures show)."""
        model.eval()
        return _grid(model.sample(64, generator=torch_generator(SAMPLE_SEED)), columns=8)


def vae_from_mean(plan: TrainPlan, generator: torch.Generator, **overrides) -> torch.nn.Module:
    """The registry VAE with its decoder starting at the average training digit, as the zoo's VAE recipe does
    (`zoo.train.generative.train_vae`): output bias = logit of each pixel's mean. Otherwise a short training
    spends itself learning that the frame around the digit is always empty, and samples sit on grey."""
    import zoo

    model = zoo.create_model(plan.key, **{**plan.overrides, **overrides})
    p = _mnist_layout()[0].mean(0).flatten().clamp(1e-3, 1 - 1e-3)
    with torch.no_grad():
        model.dec_out.bias.copy_(torch.log(p) - torch.log1p(-p))
    return model


# ---------------------------------------------------------------------------------------------------- autoencoder

RECONSTRUCTION_INFO = DatasetInfo("digits_reconstruction", "dimensionality_reduction",
                                  "scikit-learn load_digits as 20×20 digits in a 28×28 frame (MNIST's layout), grey "
                                  "levels in [0, 1]; 297 of 1,797 held out", "squared_error", False)


def autoencoder_glorot(plan: TrainPlan, generator: torch.Generator, **overrides) -> torch.nn.Module:
    """The registry autoencoder with Glorot-uniform weights and zero biases (Glorot & Bengio 2010, the
    initialisation derived for deep logistic and tanh networks) in place of the paper's RBM pretraining. From
    PyTorch's default initialisation, Adam sits on the paper's "poor local minimum" — every reconstruction the
    average digit (held-out squared error ≈ 19, the mean digit's 18.8) — through 1,000 steps of 32 measured
    here; from Glorot's it leaves it after ~300–400 steps."""
    import zoo

    model = zoo.create_model(plan.key, **{**plan.overrides, **overrides})
    for layer in model.modules():
        if isinstance(layer, torch.nn.Linear):
            torch.nn.init.xavier_uniform_(layer.weight)  # drawn from `generator`: build routes the draws there
            torch.nn.init.zeros_(layer.bias)
    return model


class Reconstruction(_Images):
    """The deep autoencoder's objective for MNIST (Hinton & Salakhutdinov 2006): the cross-entropy between the
    image and its logistic reconstruction, summed over pixels. Held out: the paper's figure, the squared error
    per image (summed over the 784 pixels), and the cross-entropy."""

    info = RECONSTRUCTION_INFO

    def __init__(self):
        super().__init__(*_mnist_layout())

    @staticmethod
    def _cross_entropy(x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy(x_hat.float(), x, reduction="none").flatten(1).sum(1)  # (B,)

    def loss(self, model, batch):
        return self._cross_entropy(model(batch), batch).mean()

    @torch.no_grad()
    def evaluate(self, model, cancel=None):
        squared, entropy = 0.0, 0.0
        for x in self._held_out(model, cancel):
            if x is None:
                return None
            x_hat = model(x).float()
            squared += float((x_hat - x).pow(2).flatten(1).sum(1).sum())
            entropy += float(self._cross_entropy(x_hat, x).sum())
        n = len(self.x_val)
        return {"squared_error": squared / n, "cross_entropy": entropy / n}

    @torch.no_grad()
    def samples(self, model):
        """Held-out digits (odd rows) above their reconstructions from the 30-number codes (even rows)."""
        model.eval()
        x = self.x_val[:40]
        x_hat = model(x.to(next(model.parameters()).device)).float().cpu()
        rows = [t for i in range(0, 40, 10) for t in (x[i : i + 10], x_hat[i : i + 10])]
        return _grid(torch.cat(rows), columns=10)


# ------------------------------------------------------------------------------------------------------------ DDPM

DENOISING_INFO = DatasetInfo("digits_denoising", "image_generation",
                             "scikit-learn load_digits at their own 8×8, ink scaled to [-1, 1]; 297 of 1,797 held out",
                             "denoising_loss", False)
EVAL_TIMESTEPS = tuple(125 * k + 62 for k in range(8))  # 0-based: the middles of 8 equal strata of the T = 1000 steps
SAMPLE_STEPS = 16  # DDIM steps for `samples`: cheap, and enough for recognisable digits


class Denoising(_Images):
    """DDPM's L_simple (Ho et al. 2020, Eq. 14, Algorithm 1): x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε with t uniform
    in 1 … T and ε ~ N(0, I) (drawn from the run's generator), and the squared error of the U-Net's predicted
    noise. Held out: the same loss on the held-out digits, each at one of EVAL_TIMESTEPS (in turn) with noise
    from a fixed seed — a deterministic, stratified estimate of the expectation over t."""

    info = DENOISING_INFO

    def __init__(self):
        from zoo.generative.ddpm import GaussianDiffusion
        from zoo.train.diffusion import TRAINING

        super().__init__(*_ink())
        self.diffusion = GaussianDiffusion(TRAINING["timesteps"])
        # held-out digit i is noised to timestep EVAL_TIMESTEPS[i mod 8]: every stratum of t is measured on its
        # own ~37 digits, in one forward pass per digit (evaluation runs after every epoch of ~24 steps)
        self.eval_t = torch.tensor(EVAL_TIMESTEPS).repeat(len(self.x_val) // len(EVAL_TIMESTEPS) + 1)[: len(self.x_val)]

    def loss(self, model, batch):
        return self.diffusion.loss(model, batch).float()

    @torch.no_grad()
    def evaluate(self, model, cancel=None):
        noise = torch_generator(EVAL_SEED)
        total, done = 0.0, 0
        for x0 in self._held_out(model, cancel):
            if x0 is None:
                return None
            t = self.eval_t[done : done + len(x0)].to(x0.device)
            eps = torch.randn(x0.shape, generator=noise).to(x0.device)
            total += float(F.mse_loss(model(self.diffusion.q_sample(x0, t, eps), t).float(), eps, reduction="sum"))
            done += len(x0)
        return {"denoising_loss": total / self.x_val.numel()}

    def samples(self, model):
        """6 × 6 new digits by DDIM (η = 0) in SAMPLE_STEPS steps from x_T drawn from a fixed seed."""
        from zoo.train.diffusion import sample_digits

        return _grid(sample_digits(model, 36, SAMPLE_STEPS, SAMPLE_SEED), columns=6, scale=4)


@functools.lru_cache(maxsize=1)
def _ink() -> tuple[torch.Tensor, torch.Tensor]:
    """(train, held-out) native 8×8 digits with ink in [-1, 1], DDPM's data range (`zoo.train.diffusion`)."""
    from zoo.train.diffusion import train_images
    from zoo.train.generative import digits

    return train_images(), digits(SIDE, split="test")[0] * 2 - 1


# ------------------------------------------------------------------------------------- PixelCNN and RealNVP: bits

AUTOREGRESSIVE_INFO = DatasetInfo("digits_autoregressive", "density_estimation",
                                  "scikit-learn load_digits as stored: 8×8 pixels of 17 grey levels (ink 0–16); "
                                  "297 of 1,797 held out", "bits_per_dim", False)
FLOW_INFO = DatasetInfo("digits_flow", "density_estimation",
                        "scikit-learn load_digits as stored: 8×8 pixels of 17 grey levels (ink 0–16), dequantised "
                        "with uniform noise; 297 of 1,797 held out", "bits_per_dim", False)
DIMS = SIDE * SIDE


def _bits(nats_per_image: torch.Tensor) -> torch.Tensor:
    return nats_per_image / (DIMS * math.log(2))


class Autoregressive(_Images):
    """PixelCNN's exact negative log-likelihood (van den Oord et al. 2016, Eq. 1): the 17-way cross-entropy of
    every pixel given the pixels before it in raster order, summed over the 64 pixels (`PixelCNN.nll`), in bits
    per dimension."""

    info = AUTOREGRESSIVE_INFO

    def __init__(self):
        super().__init__(*_levels())

    def loss(self, model, batch):
        return _bits(model.nll(batch)).mean()

    @torch.no_grad()
    def evaluate(self, model, cancel=None):
        total = 0.0
        for x in self._held_out(model, cancel):
            if x is None:
                return None
            total += float(_bits(model.nll(x).float()).sum())
        return {"bits_per_dim": total / len(self.x_val)}

    @torch.no_grad()
    def samples(self, model):
        """6 × 6 new digits drawn pixel by pixel (64 forward passes), from a fixed seed."""
        model.eval()
        x = model.sample(36, generator=torch_generator(SAMPLE_SEED))
        return _grid(x / (model.cfg.levels - 1), columns=6, scale=4)


ALPHA = 0.05  # logit_transform's squeeze into [α, 1 − α] (Dinh et al. Sec. 4.1)


def _dequantised(x: torch.Tensor, noise: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """RealNVP's logit-space input y and log |dy/du| (B,) for 17-level pixels x with uniform noise ∈ [0, 1):
    `logit_transform` reads 8-bit pixels as u = (x + noise) / 256, so both are scaled by 256/17 to give
    u = (x + noise) / 17."""
    from zoo.generative.realnvp import logit_transform

    to_8bit = 256 / LEVELS
    return logit_transform(x * to_8bit, noise * to_8bit, ALPHA)


def _flow_bits(model, x: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    """Bits per dimension (B,) of 17-level images x: −(log p(y) + log |dy/du| − D log 17) / (D ln 2), where
    log p(y) is the flow's change of variables (Eq. 3)."""
    y, logdet = _dequantised(x, noise)
    log_p = model.log_prob(y).float() + logdet
    return _bits(-(log_p - DIMS * math.log(LEVELS)))


class Flow(_Images):
    """RealNVP's exact negative log-likelihood of dequantised pixels (Dinh et al. 2017, Eq. 3 and Sec. 4.1), in
    bits per dimension; the dequantisation noise comes from the run's generator in training and from a fixed
    seed on the held-out digits."""

    info = FLOW_INFO

    def __init__(self):
        super().__init__(*_levels())

    def loss(self, model, batch):
        return _flow_bits(model, batch, torch.rand(batch.shape, device=batch.device)).mean()

    @torch.no_grad()
    def evaluate(self, model, cancel=None):
        noise = torch_generator(EVAL_SEED)
        total = 0.0
        for x in self._held_out(model, cancel):
            if x is None:
                return None
            total += float(_flow_bits(model, x, torch.rand(x.shape, generator=noise).to(x.device)).sum())
        return {"bits_per_dim": total / len(self.x_val)}

    @torch.no_grad()
    def samples(self, model):
        """8 × 8 new digits: z ~ N(0, I) from a fixed seed through the inverse flow, back from logit space."""
        model.eval()
        y = model.sample(64, generator=torch_generator(SAMPLE_SEED))
        u = (torch.sigmoid(y) - ALPHA) / (1 - 2 * ALPHA)
        return _grid(u, columns=8, scale=4)


# ---------------------------------------------------------------------------------------------------- registries

DATASETS = {
    "digits_elbo": (ELBO_INFO, VariationalBound),
    "digits_reconstruction": (RECONSTRUCTION_INFO, Reconstruction),
    "digits_denoising": (DENOISING_INFO, Denoising),
    "digits_autoregressive": (AUTOREGRESSIVE_INFO, Autoregressive),
    "digits_flow": (FLOW_INFO, Flow),
}

REDUCTIONS = {
    "generative_no_pretraining": "trained end to end from Glorot-initialised weights (published: layer-wise RBM "
                                 "pretraining, then fine-tuning)",
    "generative_unet": "U-Net of ch {ch} (published {published}), {levels} resolutions, {blocks} residual block(s) per "
                       "resolution, attention at {attention}×{attention}, GroupNorm {groups}, no dropout",
    "generative_no_ema": "no moving average of the weights (published: EMA 0.9999)",
    "generative_levels": "{levels} grey levels per pixel, softmax (published: binary pixels)",
    "generative_coupling_nets": "s and t networks of {blocks} residual blocks × {features} maps (published "
                                "{published_blocks} × {published_features})",
    "generative_dequantised": "{levels} grey levels dequantised with uniform noise (published: 8-bit pixels)",
}

FLOW_NETS = {"n_blocks": 2, "features": 32}


def _r(code: str, **values) -> Reduction:
    return Reduction(code, tuple(values.items()))


def _side(side: int, published: int) -> Reduction:
    return _r("input_size", side=side, published=f"{published}×{published}")


def plans(key: str, card, config) -> list[TrainPlan]:
    if key == "vae":
        return [TrainPlan(key, "digits_elbo", {}, {}, (),
                          {"epochs": 10_000, "max_steps": 1500, "batch_size": 100, "optimizer": "adam", "lr": 1e-3,
                           "schedule": "constant"}, builder="zoo.learn.tasks.generative:vae_from_mean")]
    if key == "autoencoder":
        return [TrainPlan(key, "digits_reconstruction", {}, {}, (_r("generative_no_pretraining"),),
                          {"epochs": 10_000, "max_steps": 2000, "batch_size": 32, "optimizer": "adam", "lr": 1e-3,
                           "schedule": "constant"}, builder="zoo.learn.tasks.generative:autoencoder_glorot")]
    if key == "ddpm_unet":
        from zoo.train.diffusion import CONFIG

        cfg = config()
        unet = _r("generative_unet", ch=CONFIG["ch"], published=cfg.ch, levels=len(CONFIG["ch_mult"]),
                  blocks=CONFIG["num_res_blocks"], attention=CONFIG["attn_resolutions"][0], groups=CONFIG["groups"])
        return [TrainPlan(key, "digits_denoising", {}, dict(CONFIG),
                          (_side(SIDE, cfg.image_size), _r("channels", channels=1), unet, _r("generative_no_ema")),
                          {"epochs": 10_000, "max_steps": 600, "batch_size": 64, "optimizer": "adam", "lr": 2e-3,
                           "schedule": "cosine", "warmup_steps": 50, "clip_norm": 1.0})]
    if key == "pixelcnn":
        cfg = config()
        return [TrainPlan(key, "digits_autoregressive", {}, {"image_size": SIDE, "levels": LEVELS},
                          (_side(SIDE, cfg.image_size), _r("generative_levels", levels=LEVELS)),
                          {"epochs": 10_000, "max_steps": 800, "batch_size": 64, "optimizer": "adam", "lr": 2e-3,
                           "schedule": "cosine", "warmup_steps": 20})]
    if key == "realnvp":
        cfg = config()
        return [TrainPlan(key, "digits_flow", {}, {"in_channels": 1, "image_size": SIDE, **FLOW_NETS},
                          (_side(SIDE, cfg.image_size), _r("channels", channels=1),
                           _r("generative_coupling_nets", blocks=FLOW_NETS["n_blocks"], features=FLOW_NETS["features"],
                              published_blocks=cfg.n_blocks, published_features=cfg.features),
                           _r("generative_dequantised", levels=LEVELS)),
                          {"epochs": 10_000, "max_steps": 600, "batch_size": 64, "optimizer": "adam", "lr": 1e-3,
                           "schedule": "cosine", "warmup_steps": 20, "clip_norm": 1.0})]
    return []
