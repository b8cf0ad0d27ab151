"""WGAN — Arjovsky, Chintala & Bottou, "Wasserstein Generative Adversarial Networks" (ICML 2017).
https://arxiv.org/abs/1701.07875

A GAN's discriminator estimates (a bound on) the Jensen–Shannon divergence between real and generated
images; when the two distributions barely overlap — the usual case early in training — that divergence
is flat and its gradient tells the generator nothing. WGAN trains G to minimise the Earth-Mover
(Wasserstein-1) distance instead, which stays smooth however far apart the distributions are. By the
Kantorovich–Rubinstein duality (Eq. 2)

    W(P_r, P_g) = sup_{‖f‖_L ≤ 1}  E_{x~P_r}[f(x)] − E_{x~P_g}[f(x)],

so a network f — the *critic*, no longer a classifier — is trained to maximise the gap between its mean
score on real and on generated images, over functions that are K-Lipschitz. The paper enforces that
crudely by clipping every weight of the critic to [−c, c] after each update (c = 0.01, Algorithm 1); the
critic takes n_critic = 5 RMSProp steps (lr 5e-5) per generator step.

The architecture is the DCGAN discriminator with its final sigmoid removed: the output is an unbounded
real score, not a probability. DeepZoo's DCGAN discriminator already returns the pre-sigmoid logit, so
the critic *is* that network (imported from `dcgan.py`); what WGAN changes is the loss and the clipping.
The generator is DCGAN's (`dcgan_generator`), unchanged.
"""

from __future__ import annotations

from dataclasses import replace

import torch
import torch.nn as nn

from ..card import Figure, ModelCard, Paper
from ..registry import register_model
from .dcgan import DCGANConfig, Discriminator

CLIP = 0.01  # c in Algorithm 1
N_CRITIC = 5  # critic updates per generator update
LR = 5e-5  # RMSProp


class Critic(Discriminator):
    """f_w: image (B, 3, 64, 64) → score (B,). The DCGAN discriminator's layers and forward pass, read as a
    critic: its output never goes through a sigmoid, so it is any real number (higher = "more like the data")."""


@torch.no_grad()
def clip_weights(critic: nn.Module, c: float = CLIP) -> None:
    """Algorithm 1, line 7: w ← clip(w, −c, c) for every parameter, after each critic update. Clipping
    bounds every layer's weights, hence the critic's Lipschitz constant (for some K depending on c)."""
    for p in critic.parameters():
        p.clamp_(-c, c)


def critic_loss(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """To *minimise* for the critic: −(E[f(x)] − E[f(G(z))]), the negated estimate of W (Algorithm 1,
    line 5). Pass scores of G(z).detach()."""
    return fake_scores.mean() - real_scores.mean()


def generator_loss(fake_scores: torch.Tensor) -> torch.Tensor:
    """To minimise for the generator: −E[f(G(z))] (Algorithm 1, line 10)."""
    return -fake_scores.mean()


@register_model(
    card=ModelCard(
        key="wgan_critic",
        name="WGAN critic",
        family="WGAN",
        domain="generative",
        task="Wasserstein distance estimation (GAN critic)",
        year=2017,
        paper=Paper(
            "Wasserstein Generative Adversarial Networks",
            "https://arxiv.org/abs/1701.07875",
            authors="M. Arjovsky, S. Chintala, L. Bottou",
            venue="ICML",
        ),
        level="advanced",
        summary=(
            "The judge of a Wasserstein GAN. Where a GAN discriminator outputs the probability that an image is "
            "real, the critic gives an unbounded score, trained so that the gap between its average score on real "
            "images and on generated ones estimates how far apart the two distributions are (the Earth-Mover "
            "distance). That estimate keeps giving the generator useful gradients and tracks sample quality "
            "during training. The network is the DCGAN discriminator without its sigmoid."
        ),
        scenarios=(
            "the adversary when training a GAN that must not collapse",
            "monitoring GAN training: the critic's loss falls as samples improve",
            "teaching optimal transport and Lipschitz constraints",
        ),
        strengths=(
            "meaningful loss curve that correlates with sample quality",
            "much less mode collapse; the critic can be trained to optimality without killing G's gradients",
            "works even with architectures where standard GANs fail (no batch norm, MLP generators)",
        ),
        weaknesses=(
            "weight clipping is a crude Lipschitz constraint: too small a c slows learning, too large explodes "
            "(fixed later by the gradient penalty of WGAN-GP)",
            "slower: five critic steps per generator step, small learning rate",
            "the score has no absolute meaning, only differences do",
        ),
        params=Figure(
            2_765_568,
            "DCGAN discriminator at 64×64 (ndf 64, bias-free convolutions + batch norm), which the WGAN reference "
            "code uses as its critic",
        ),
        input="images (B, 3, 64, 64) scaled to [-1, 1]",
        output="one unbounded real score per image, (B,)",
        config_note=(
            "3@64×64 → conv 64 → 128 → 256 → 512@4×4 (BN + LeakyReLU 0.2) → conv 4×4 → 1 score, no sigmoid. "
            "Training (Algorithm 1): RMSProp lr 5e-5, clip every weight to [−0.01, 0.01] after each critic step "
            "(`clip_weights`), 5 critic steps per generator step; `critic_loss`, `generator_loss`. "
            "Overrides: image_size, channels, ndf (as `dcgan_discriminator`)."
        ),
        tags=("gan", "wgan", "wasserstein", "critic", "earth mover distance", "lipschitz", "weight clipping"),
        i18n={
            "zh": {
                "task": "Wasserstein 距离估计（GAN 评论家）",
                "summary": "Wasserstein GAN 中的“评论家”。普通 GAN 判别器输出图像为真的概率，评论家则给出一个无界的分数，"
                "训练目标是让它在真实图像与生成图像上的平均分之差估计两个分布之间的距离（推土机距离）。这个估计能持续给"
                "生成器提供有用的梯度，并在训练中反映样本质量。网络就是去掉 sigmoid 的 DCGAN 判别器。",
                "scenarios": [
                    "训练不易坍缩的 GAN 时的对手",
                    "监控 GAN 训练：样本变好时评论家的损失随之下降",
                    "讲解最优传输与 Lipschitz 约束",
                ],
                "strengths": [
                    "损失曲线有意义，与样本质量相关",
                    "模式坍缩少得多；评论家可以训练到最优而不会让生成器梯度消失",
                    "在普通 GAN 失败的架构上也能训练（无批归一化、MLP 生成器）",
                ],
                "weaknesses": [
                    "权重裁剪是粗糙的 Lipschitz 约束：c 太小学得慢，太大会发散（后来 WGAN-GP 用梯度惩罚解决）",
                    "更慢：每步生成器更新对应五步评论家更新，学习率也小",
                    "分数本身没有绝对意义，只有差值有意义",
                ],
                "input": "图像 (B, 3, 64, 64)，缩放到 [-1, 1]",
                "output": "每张图像一个无界实数分数，(B,)",
                "config_note": "3@64×64 → 卷积 64 → 128 → 256 → 512@4×4（BN + LeakyReLU 0.2）→ 4×4 卷积 → 1 个分数，"
                "无 sigmoid。训练（算法 1）：RMSProp 学习率 5e-5，每次评论家更新后把所有权重裁剪到 [−0.01, 0.01]"
                "（`clip_weights`），每步生成器更新对应 5 步评论家更新。",
            }
        },
    ),
    example_input=lambda: torch.rand(2, 3, 64, 64) * 2 - 1,
)
def wgan_critic(**overrides) -> Critic:
    return Critic(replace(DCGANConfig(), **overrides))
