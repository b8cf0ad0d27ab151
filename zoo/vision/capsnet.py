"""CapsNet — Sabour, Frosst & Hinton, "Dynamic Routing Between Capsules" (NeurIPS 2017).
https://arxiv.org/abs/1710.09829

A capsule is a group of neurons whose activity vector stands for one entity: its length is the probability
that the entity is present, its orientation the entity's pose (position, size, stroke thickness, …). To keep
lengths below 1, a capsule's total input s is "squashed" (paper Eq. 1):

    v = |s|² / (1 + |s|²) · s / |s|

Each lower capsule i predicts every upper capsule j's output through its own matrix, û_{j|i} = W_ij u_i
(Eq. 2), and the upper capsule adds these predictions weighted by coupling coefficients c_ij, s_j = Σ_i c_ij
û_{j|i}. The couplings are not learned weights but are found for every input by *routing by agreement*
(Procedure 1): c_i = softmax_j(b_i) with logits b_ij starting at 0, and after each round b_ij grows by the
agreement û_{j|i} · v_j, so a lower capsule sends more of its output to the upper capsule whose output its
prediction already agrees with. Three rounds are used.

The MNIST network (paper §4, Figure 1): Conv1 (256 9×9 kernels, ReLU) → PrimaryCaps (a 9×9 stride-2
convolution with 32 × 8 channels, read as 32 maps of 6 × 6 eight-dimensional capsules = 1,152 capsules) →
DigitCaps (10 sixteen-dimensional capsules, one per digit, with a W_ij for each of the 1152 × 10 pairs).
The class is the longest digit capsule. A decoder (Figure 2, three fully connected layers 512-1024-784)
reconstructs the image from the 16-D vector of the true class (while training) or of the predicted class,
the other nine capsules masked to zero; its squared error, scaled by 0.0005, regularises the capsules
(§4.1). The classification loss is the margin loss of Eq. 4 (`margin_loss` below).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..card import Figure, Metric, ModelCard, Paper
from ..registry import register_model


@dataclass(frozen=True)
class CapsNetConfig:
    in_channels: int = 1
    image_size: int = 28  # MNIST
    conv_channels: int = 256  # Conv1
    primary_maps: int = 32  # PrimaryCaps: 32 maps of capsules ...
    primary_dim: int = 8  # ... each capsule 8-D
    num_classes: int = 10  # DigitCaps: one capsule per digit ...
    digit_dim: int = 16  # ... each 16-D
    routing_iterations: int = 3  # rounds of Procedure 1
    decoder_widths: tuple[int, int] = (512, 1024)  # Figure 2


def squash(s: torch.Tensor, dim: int = -1, eps: float = 1e-8) -> torch.Tensor:
    """Eq. 1: keep the direction of s, map its length |s| to |s|² / (1 + |s|²) ∈ [0, 1)."""
    sq = (s * s).sum(dim, keepdim=True)  # |s|²
    return sq / (1 + sq) * s / torch.sqrt(sq + eps)  # eps: a zero vector stays zero instead of 0/0


def route(u_hat: torch.Tensor, iterations: int = 3) -> tuple[torch.Tensor, torch.Tensor]:
    """Routing by agreement (Procedure 1). u_hat (B, I, J, D): lower capsule i's prediction of upper capsule
    j's output. Returns the upper capsules v (B, J, D) and the final couplings c (B, I, J), which sum to 1
    over j for every i."""
    b = u_hat.new_zeros(u_hat.shape[:3])  # (B, I, J) log priors b_ij = 0: every j equally likely at first
    for r in range(iterations):
        c = F.softmax(b, dim=2)  # (B, I, J) line 4: c_i = softmax(b_i) over the upper capsules
        s = torch.einsum("bij,bijd->bjd", c, u_hat)  # (B, J, D) line 5: s_j = Σ_i c_ij û_{j|i}
        v = squash(s)  # (B, J, D) line 6
        if r < iterations - 1:
            b = b + torch.einsum("bijd,bjd->bij", u_hat, v)  # line 7: b_ij += û_{j|i} · v_j (agreement)
    return v, c


class PrimaryCaps(nn.Module):
    """One convolution whose 256 output channels are read as 32 maps of 8-D capsules, then squashed."""

    def __init__(self, cfg: CapsNetConfig):
        super().__init__()
        self.maps, self.dim = cfg.primary_maps, cfg.primary_dim
        self.conv = nn.Conv2d(cfg.conv_channels, cfg.primary_maps * cfg.primary_dim, kernel_size=9, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)  # (B, 32·8, 6, 6)
        b, _, h, w = x.shape
        x = x.view(b, self.maps, self.dim, h, w).permute(0, 1, 3, 4, 2)  # (B, 32, 6, 6, 8): 8 channels = one capsule
        return squash(x.reshape(b, self.maps * h * w, self.dim))  # (B, 1152, 8)


class DigitCaps(nn.Module):
    """A 16 × 8 matrix W_ij for every (primary capsule i, digit capsule j) pair (Eq. 2), then routing.
    No bias: a capsule's output depends only on the predictions routed to it."""

    def __init__(self, num_primary: int, cfg: CapsNetConfig):
        super().__init__()
        self.iterations = cfg.routing_iterations
        self.W = nn.Parameter(0.01 * torch.randn(num_primary, cfg.num_classes, cfg.digit_dim, cfg.primary_dim))

    def forward(self, u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        u_hat = torch.einsum("ijdk,bik->bijd", self.W, u)  # (B, 1152, 10, 16): û_{j|i} = W_ij u_i
        return route(u_hat, self.iterations)  # v (B, 10, 16), c (B, 1152, 10)


class CapsNet(nn.Module):
    def __init__(self, cfg: CapsNetConfig = CapsNetConfig()):
        super().__init__()
        self.cfg = cfg
        self.conv1 = nn.Conv2d(cfg.in_channels, cfg.conv_channels, kernel_size=9)  # 28 → 20
        self.primary = PrimaryCaps(cfg)  # 20 → 6 (9×9, stride 2)
        side = ((cfg.image_size - 8) - 9) // 2 + 1
        self.digits = DigitCaps(cfg.primary_maps * side * side, cfg)
        pixels = cfg.in_channels * cfg.image_size**2
        w1, w2 = cfg.decoder_widths
        self.decoder = nn.Sequential(  # Figure 2
            nn.Linear(cfg.num_classes * cfg.digit_dim, w1),
            nn.ReLU(inplace=True),
            nn.Linear(w1, w2),
            nn.ReLU(inplace=True),
            nn.Linear(w2, pixels),
            nn.Sigmoid(),  # pixel intensities in [0, 1]
        )

    def capsules(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Digit capsules v (B, 10, 16) and the routing couplings c (B, 1152, 10)."""
        x = F.relu(self.conv1(x))  # (B, 256, 20, 20)
        return self.digits(self.primary(x))  # from (B, 1152, 8) primary capsules

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Class probabilities as capsule lengths (B, 10), and the reconstruction (B, C, H, W) from the capsule
        of class `y` (training: the true label) or, without `y`, of the longest capsule."""
        v, _ = self.capsules(x)  # (B, 10, 16)
        lengths = v.norm(dim=-1)  # (B, 10), each in [0, 1): "is digit k present?"
        chosen = lengths.argmax(1) if y is None else y
        mask = F.one_hot(chosen, self.cfg.num_classes).to(v.dtype)  # (B, 10): keep one capsule, zero the rest
        recon = self.decoder((v * mask[..., None]).flatten(1))  # (B, 160) → (B, 784)
        return lengths, recon.view(x.shape)


def margin_loss(
    lengths: torch.Tensor, y: torch.Tensor, m_plus: float = 0.9, m_minus: float = 0.1, lam: float = 0.5
) -> torch.Tensor:
    """Eq. 4, summed over the digit capsules, averaged over the batch:
    L_k = T_k max(0, m⁺ − |v_k|)² + λ (1 − T_k) max(0, |v_k| − m⁻)², T_k = 1 iff the image shows digit k.
    λ = 0.5 keeps absent digits from shrinking every capsule early in training."""
    t = F.one_hot(y, lengths.shape[1]).to(lengths.dtype)
    present = t * F.relu(m_plus - lengths) ** 2
    absent = lam * (1 - t) * F.relu(lengths - m_minus) ** 2
    return (present + absent).sum(1).mean()


def capsnet_loss(
    model: CapsNet, x: torch.Tensor, y: torch.Tensor, reconstruction_weight: float = 0.0005
) -> torch.Tensor:
    """The training objective of §4.1: margin loss + 0.0005 × the sum of squared pixel errors of the
    reconstruction from the true class's capsule (the small weight keeps it from dominating the margin loss)."""
    lengths, recon = model(x, y)
    squared_error = ((recon - x) ** 2).flatten(1).sum(1).mean()
    return margin_loss(lengths, y) + reconstruction_weight * squared_error


@register_model(
    card=ModelCard(
        key="capsnet",
        name="CapsNet (3 routing iterations)",
        family="CapsNet",
        domain="vision",
        task="image classification",
        year=2017,
        paper=Paper(
            "Dynamic Routing Between Capsules",
            "https://arxiv.org/abs/1710.09829",
            authors="S. Sabour, N. Frosst, G. E. Hinton",
            venue="NeurIPS 2017",
        ),
        level="advanced",
        summary=(
            "A network of capsules: groups of neurons whose output vector's length says whether an entity (here a "
            "digit) is present and whose direction encodes its pose. Lower capsules predict the outputs of higher "
            "ones, and an iterative routing-by-agreement step sends each one's output to the higher capsules that "
            "its prediction agrees with, in place of max-pooling. A decoder rebuilds the digit from its capsule."
        ),
        scenarios=(
            "digit and small-image classification where parts and their poses matter",
            "recognising overlapping digits (the paper's MultiMNIST) and affine-distorted inputs",
            "teaching part-whole models, vector neurons and routing by agreement",
        ),
        strengths=(
            "0.25% MNIST test error with a shallow 3-layer network",
            "capsule vectors carry pose: tweaking one dimension changes stroke width, skew or size in the reconstruction",
            "more robust than a comparable CNN to small affine changes (paper §5.2)",
        ),
        weaknesses=(
            "routing is iterative and memory-hungry (a 1152 × 10 × 16 prediction tensor per image)",
            "never scaled well beyond MNIST-like data; CIFAR-10 error stayed around 10%",
            "the 1152 × 10 transformation matrices tie the model to one input size",
        ),
        params=Figure(
            8_215_568,
            "Sabour et al. 2017, §5: \"8.2M parameters and 6.8M parameters without the reconstruction "
            "subnetwork\"; exact count from §4 and Figure 2: Conv1 20,992 + PrimaryCaps 5,308,672 + W_ij 1,474,560 + "
            "decoder 1,411,344",
        ),
        metric=Metric(
            "test error", 0.25, "%", "MNIST", "Sabour et al. 2017, Table 1 (3 routing iterations, with reconstruction)"
        ),
        input="grayscale digit (B, 1, 28, 28) in [0, 1]",
        output="(capsule lengths (B, 10) in [0, 1), reconstruction (B, 1, 28, 28))",
        config_note=(
            "Paper §4: Conv1 256 9×9 ReLU; PrimaryCaps 32 × 8-D from a 9×9 stride-2 conv (1,152 capsules); "
            "DigitCaps 10 × 16-D with W_ij (1152 × 10 × 16 × 8, no bias), 3 routing iterations; decoder 160 → 512 → "
            "1024 → 784 (sigmoid) masked to the true class in training, the longest capsule otherwise. Loss: margin "
            "loss (m⁺ 0.9, m⁻ 0.1, λ 0.5) + 0.0005 × summed squared reconstruction error (`capsnet_loss`)."
        ),
        tags=("capsules", "dynamic routing", "squash", "mnist", "reconstruction", "part-whole", "hinton"),
        i18n={
            "zh": {
                "task": "图像分类",
                "summary": "由胶囊构成的网络：胶囊是一组神经元，其输出向量的长度表示某个实体（这里是数字）是否存在，方向编码它的姿态。"
                "低层胶囊预测高层胶囊的输出，再用迭代的“按一致性路由”把每个低层胶囊的输出送往与其预测一致的高层胶囊，以此取代最大池化。"
                "一个解码器从胶囊向量重建出数字图像。",
                "scenarios": ["部件及其姿态很重要的数字与小图像分类", "识别重叠数字（论文中的 MultiMNIST）和经过仿射变形的输入", "讲解部件-整体模型、向量神经元与按一致性路由"],
                "strengths": [
                    "只有 3 层的浅网络在 MNIST 上测试错误率 0.25%",
                    "胶囊向量携带姿态：改变其中一维，重建图像的笔画粗细、倾斜或大小随之变化",
                    "对小幅仿射变化比同等规模的 CNN 更稳健（论文 §5.2）",
                ],
                "weaknesses": [
                    "路由是迭代计算，且占用内存大（每张图一个 1152 × 10 × 16 的预测张量）",
                    "始终未能很好地推广到 MNIST 以外的数据；CIFAR-10 错误率约 10%",
                    "1152 × 10 个变换矩阵把模型绑定在一种输入尺寸上",
                ],
                "input": "灰度数字图像 (B, 1, 28, 28)，取值 [0, 1]",
                "output": "（胶囊长度 (B, 10)，取值 [0, 1)；重建图像 (B, 1, 28, 28)）",
                "config_note": "论文 §4：Conv1 为 256 个 9×9 卷积核加 ReLU；PrimaryCaps 由 9×9、步长 2 的卷积得到 32 × 8 维胶囊（共 1,152 个）；"
                "DigitCaps 为 10 个 16 维胶囊，W_ij 形状 1152 × 10 × 16 × 8、无偏置，路由 3 次；解码器 160 → 512 → 1024 → 784（sigmoid），"
                "训练时只保留真实类别的胶囊，否则保留最长的胶囊。损失：间隔损失（m⁺ 0.9、m⁻ 0.1、λ 0.5）+ 0.0005 × 重建误差平方和（`capsnet_loss`）。",
            }
        },
    ),
    example_input=lambda: torch.rand(2, 1, 28, 28),
)
def capsnet(**overrides) -> CapsNet:
    return CapsNet(replace(CapsNetConfig(), **overrides))
