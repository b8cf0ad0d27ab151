"""CycleGAN — Zhu, Park, Isola & Efros, "Unpaired Image-to-Image Translation using Cycle-Consistent
Adversarial Networks" (ICCV 2017). https://arxiv.org/abs/1703.10593

pix2pix needs pairs (this photo, that map). CycleGAN learns to translate between two *unpaired*
collections — horses and zebras, summer and winter, photos and Monet paintings — with two generators
G: X → Y and F: Y → X, each fooled against a discriminator of its target domain, plus a cycle-consistency
loss that makes the round trip return the input (Eq. 2):

    L_cyc = E_x ‖F(G(x)) − x‖₁ + E_y ‖G(F(y)) − y‖₁,   weighted by λ = 10 against the GAN losses.

The generator (Sec. 4, Appendix 7.2) follows Johnson et al.'s style-transfer network: with the paper's
notation, for 256×256 images

    c7s1-64, d128, d256, R256 ×9, u128, u64, c7s1-3

c7s1-k: 7×7 conv, stride 1, k filters, InstanceNorm, ReLU; dk: 3×3 conv stride 2 (halves H, W);
Rk: residual block of two 3×3 convs; uk: 3×3 fractionally-strided conv stride ½ (doubles H, W).
Reflection padding avoids border artefacts; InstanceNorm (no learned scale/shift, as in the reference code)
normalises each image alone, which suits style. With biases in every conv (the reference code's choice
with InstanceNorm): 11,378,179 parameters. The discriminators are 70×70 PatchGANs (see `pix2pix.py`,
3 input channels here since CycleGAN judges single images).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn as nn

from ..card import Figure, Metric, ModelCard, Paper
from ..registry import register_model


@dataclass(frozen=True)
class CycleGANConfig:
    in_channels: int = 3
    out_channels: int = 3
    ngf: int = 64  # width of the first layer
    n_blocks: int = 9  # residual blocks: 9 for 256×256 training images, 6 for 128×128


def _norm(c: int) -> nn.InstanceNorm2d:
    return nn.InstanceNorm2d(c, affine=False)  # per-image, per-channel statistics; no parameters


class ResidualBlock(nn.Module):
    """R256: reflect-pad → 3×3 conv → IN → ReLU → reflect-pad → 3×3 conv → IN, plus the input."""

    def __init__(self, c: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3), _norm(c), nn.ReLU(),
            nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3), _norm(c),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class ResnetGenerator(nn.Module):
    def __init__(self, cfg: CycleGANConfig = CycleGANConfig()):
        super().__init__()
        self.cfg = cfg
        f = cfg.ngf
        # c7s1-64: a wide first filter sees a 7×7 neighbourhood of the image.
        self.stem = nn.Sequential(nn.ReflectionPad2d(3), nn.Conv2d(cfg.in_channels, f, 7), _norm(f), nn.ReLU())
        # d128, d256: two stride-2 convs; the residual blocks then work at a quarter of the resolution.
        self.down = nn.Sequential(
            nn.Conv2d(f, 2 * f, 3, stride=2, padding=1), _norm(2 * f), nn.ReLU(),
            nn.Conv2d(2 * f, 4 * f, 3, stride=2, padding=1), _norm(4 * f), nn.ReLU(),
        )
        self.blocks = nn.Sequential(*[ResidualBlock(4 * f) for _ in range(cfg.n_blocks)])  # R256 ×9
        # u128, u64: transposed convs back to full resolution (output_padding restores even sizes).
        self.up = nn.Sequential(
            nn.ConvTranspose2d(4 * f, 2 * f, 3, stride=2, padding=1, output_padding=1), _norm(2 * f), nn.ReLU(),
            nn.ConvTranspose2d(2 * f, f, 3, stride=2, padding=1, output_padding=1), _norm(f), nn.ReLU(),
        )
        # c7s1-3 without normalisation; tanh to the [-1, 1] image range.
        self.head = nn.Sequential(nn.ReflectionPad2d(3), nn.Conv2d(f, cfg.out_channels, 7), nn.Tanh())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.stem(x)  # (B, 3, 256, 256) → (B, 64, 256, 256)
        h = self.down(h)  # → (B, 256, 64, 64)
        h = self.blocks(h)  # same shape, 9 residual blocks
        h = self.up(h)  # → (B, 64, 256, 256)
        return self.head(h)  # → (B, 3, 256, 256) in [-1, 1]


def cycle_loss(x: torch.Tensor, x_back: torch.Tensor, y: torch.Tensor, y_back: torch.Tensor) -> torch.Tensor:
    """Eq. 2: L1 between each image and its round trip F(G(x)), G(F(y)) (to weight by λ = 10)."""
    return (x_back - x).abs().mean() + (y_back - y).abs().mean()


@register_model(
    card=ModelCard(
        key="cyclegan_generator",
        name="CycleGAN generator (ResNet, 9 blocks)",
        family="CycleGAN",
        domain="generative",
        task="unpaired image-to-image translation",
        year=2017,
        paper=Paper(
            "Unpaired Image-to-Image Translation using Cycle-Consistent Adversarial Networks",
            "https://arxiv.org/abs/1703.10593",
            authors="J.-Y. Zhu, T. Park, P. Isola, A. A. Efros",
            venue="ICCV",
        ),
        level="advanced",
        summary=(
            "Turns a photo from one domain into the other — horse into zebra, summer into winter, photo into a "
            "Monet — without ever seeing a matching pair. Two such generators are trained together: each must "
            "fool a discriminator of its target domain, and translating there and back must return the original "
            "image (cycle consistency). The network downsamples twice, transforms the image in nine residual "
            "blocks and upsamples back, so it changes textures and colours while keeping the layout."
        ),
        scenarios=(
            "style transfer between painting styles and photos",
            "season, weather or object transfiguration (horse ↔ zebra)",
            "domain adaptation: making synthetic images look real",
            "teaching unpaired translation and cycle-consistency losses",
        ),
        strengths=(
            "needs no paired training data, only two collections of images",
            "fully convolutional: runs on any image size",
            "keeps the input's structure thanks to the cycle loss",
        ),
        weaknesses=(
            "changes appearance, rarely geometry (a dog cannot become a cat's shape)",
            "can hide information in imperceptible patterns to satisfy the cycle loss",
            "trains four networks at once; results vary from run to run",
        ),
        params=Figure(
            11_378_179,
            "Zhu et al. 2017, Appendix 7.2 architecture (c7s1-64, d128, d256, 9×R256, u128, u64, c7s1-3) with "
            "biased convs and parameter-free InstanceNorm, as in the authors' reference code",
        ),
        metric=Metric(
            "FCN-score per-pixel accuracy (class IoU 0.11)",
            0.52,
            "",
            "Cityscapes labels → photo, trained unpaired",
            "Zhu et al. 2017, Table 2",
        ),
        input="images (B, 3, H, W) in [-1, 1], H and W multiples of 4 (256×256 in the paper; the example uses 32×32)",
        output="translated images (B, 3, H, W) in [-1, 1] (tanh)",
        config_note=(
            "resnet_9blocks: ngf 64, reflection padding, InstanceNorm without affine parameters, ReLU, tanh "
            "output, no dropout. The paper trains on 256×256 crops (9 blocks; 6 for 128×128); the example input is "
            "32×32 to stay cheap on a CPU (the network is fully convolutional). `cycle_loss` is Eq. 2. "
            "Overrides: in_channels, out_channels, ngf, n_blocks."
        ),
        tags=("gan", "cyclegan", "image-to-image", "unpaired translation", "style transfer", "instance norm", "resnet"),
        i18n={
            "zh": {
                "task": "非配对图像到图像翻译",
                "summary": "把一个领域的照片变成另一个领域——马变斑马、夏天变冬天、照片变莫奈画作——而从不需要成对的样本。"
                "两个这样的生成器一起训练：各自都要骗过目标领域的判别器，而且翻译过去再翻译回来必须还原原图（循环一致性）。"
                "网络先下采样两次，在九个残差块中变换图像，再上采样回来，因此改变纹理和色彩而保留布局。",
                "scenarios": [
                    "绘画风格与照片之间的风格迁移",
                    "季节、天气或物体变换（马 ↔ 斑马）",
                    "领域自适应：让合成图像看起来更真实",
                    "讲解非配对翻译与循环一致性损失",
                ],
                "strengths": [
                    "不需要配对训练数据，只需两组图像",
                    "全卷积：可处理任意尺寸的图像",
                    "得益于循环损失，能保留输入的结构",
                ],
                "weaknesses": [
                    "改变外观，很少改变几何形状（狗无法变成猫的体形）",
                    "可能把信息藏进难以察觉的图案来满足循环损失",
                    "同时训练四个网络；不同次训练结果差异较大",
                ],
                "input": "图像 (B, 3, H, W)，取值在 [-1, 1]，H、W 为 4 的倍数（论文为 256×256；示例用 32×32）",
                "output": "翻译后的图像 (B, 3, H, W)，取值在 [-1, 1]（tanh）",
                "config_note": "resnet_9blocks：ngf 64，反射填充，无仿射参数的 InstanceNorm，ReLU，tanh 输出，无 dropout。"
                "论文在 256×256 裁剪图上训练（9 个块；128×128 用 6 个）；示例输入为 32×32 以便在 CPU 上快速运行"
                "（网络是全卷积的）。`cycle_loss` 即公式 2。",
            }
        },
    ),
    example_input=lambda: torch.rand(1, 3, 32, 32) * 2 - 1,
)
def cyclegan_generator(**overrides) -> ResnetGenerator:
    return ResnetGenerator(replace(CycleGANConfig(), **overrides))
