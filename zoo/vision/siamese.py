"""Siamese network — Koch, Zemel & Salakhutdinov, "Siamese Neural Networks for One-shot Image Recognition"
(ICML 2015 Deep Learning Workshop). https://www.cs.cmu.edu/~rsalakhu/papers/oneshot1.pdf

One-shot recognition: classify an image among classes seen only once (one example each) and never seen in
training. Instead of a classifier, the network learns a *similarity*: two copies ("twins") of one ConvNet
embed the two images with the same weights, and a small head turns the component-wise distance of the two
embeddings into the probability that the images show the same class (paper Eq. 1):

    p = σ( Σ_j α_j |h1_j − h2_j| + b )

α is learned, so each feature decides how much its difference counts (a weighted L1 distance). Because the
weights are shared and |·| is symmetric, p(x1, x2) = p(x2, x1), and two identical images get distance 0,
p = σ(b). Trained on same/different pairs of Omniglot characters (binary cross-entropy), the network solves
20-way one-shot tasks by picking the one example whose p is highest.

The twin (paper Figure 4, the best Omniglot architecture): 105 × 105 × 1 → conv 64@10×10 → max-pool → conv
128@7×7 → max-pool → conv 128@4×4 → max-pool → conv 256@4×4 → flatten (6 × 6 × 256 = 9,216) → fully connected
4096 with a sigmoid. Convolutions use ReLU, pools are 2 × 2 with stride 2. Initialisation follows §3.2.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn as nn

from ..card import Figure, Metric, ModelCard, Paper
from ..registry import register_model


@dataclass(frozen=True)
class SiameseConfig:
    in_channels: int = 1
    image_size: int = 105  # Omniglot characters as the paper uses them
    channels: tuple[int, int, int, int] = (64, 128, 128, 256)  # Figure 4
    kernels: tuple[int, int, int, int] = (10, 7, 4, 4)
    embedding: int = 4096  # the fully connected layer each twin ends in


class Twin(nn.Module):
    """The ConvNet both images go through (Figure 4 without the distance layer)."""

    def __init__(self, cfg: SiameseConfig):
        super().__init__()
        layers: list[nn.Module] = []
        c_in, side = cfg.in_channels, cfg.image_size
        for i, (c, k) in enumerate(zip(cfg.channels, cfg.kernels)):
            layers += [nn.Conv2d(c_in, c, kernel_size=k), nn.ReLU(inplace=True)]
            side = side - k + 1  # valid convolutions: 96, 42, 18, 6
            if i < len(cfg.channels) - 1:  # no pool after the last conv
                layers.append(nn.MaxPool2d(2))
                side //= 2  # 48, 21, 9
            c_in = c
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(c_in * side * side, cfg.embedding)  # 9,216 → 4,096

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)  # (B, 1, 105, 105) → (B, 256, 6, 6)
        return torch.sigmoid(self.fc(x.flatten(1)))  # (B, 4096) features h in (0, 1)


class SiameseNet(nn.Module):
    def __init__(self, cfg: SiameseConfig = SiameseConfig()):
        super().__init__()
        self.cfg = cfg
        self.twin = Twin(cfg)  # ONE module, called on both images: the twins share every weight by construction
        self.head = nn.Linear(cfg.embedding, 1)  # α_j and b of Eq. 1
        self._init_weights()

    @torch.no_grad()
    def _init_weights(self) -> None:
        """§3.2: conv weights N(0, 10⁻²), biases N(0.5, 10⁻²); fully connected weights N(0, (2·10⁻¹)²)."""
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.normal_(m.weight, 0.0, 1e-2)
                nn.init.normal_(m.bias, 0.5, 1e-2)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0.0, 2e-1)
                nn.init.normal_(m.bias, 0.5, 1e-2)

    def logit(self, x1: torch.Tensor, x2: torch.Tensor) -> torch.Tensor:
        """Σ_j α_j |h1_j − h2_j| + b, (B, 1): what binary cross-entropy with logits trains."""
        h1, h2 = self.twin(x1), self.twin(x2)  # (B, 4096) each, same weights
        return self.head((h1 - h2).abs())  # the weighted L1 distance

    def forward(self, x1: torch.Tensor, x2: torch.Tensor) -> torch.Tensor:
        """p(same class) for each pair, (B, 1) in (0, 1)."""
        return torch.sigmoid(self.logit(x1, x2))


@register_model(
    card=ModelCard(
        key="siamese",
        name="Siamese ConvNet (Koch et al.)",
        family="Siamese network",
        domain="vision",
        task="one-shot image verification",
        year=2015,
        paper=Paper(
            "Siamese Neural Networks for One-shot Image Recognition",
            "https://www.cs.cmu.edu/~rsalakhu/papers/oneshot1.pdf",
            authors="G. Koch, R. Zemel, R. Salakhutdinov",
            venue="ICML 2015 Deep Learning Workshop",
        ),
        level="basic",
        summary=(
            "Two copies of one ConvNet, sharing every weight, embed two images; a learned, weighted L1 distance "
            "between the embeddings gives the probability that both show the same class. Trained on pairs, it can "
            "then recognise characters of alphabets it never saw from a single example each: compare the new image "
            "with each example and pick the most similar."
        ),
        scenarios=(
            "one-shot and few-shot classification (handwritten characters, signatures, faces)",
            "verification: are these two images of the same person, signature or product?",
            "teaching metric learning and weight sharing",
        ),
        strengths=(
            "new classes need no retraining, only one stored example each",
            "symmetric by construction: the order of the two images does not matter",
            "simple to train with binary cross-entropy on same/different pairs",
        ),
        weaknesses=(
            "the 9,216 → 4,096 fully connected layer holds 97% of the 39M parameters",
            "comparing with every stored example costs one twin pass per example",
            "later metric-learning methods (prototypical, matching networks) reach higher one-shot accuracy",
        ),
        params=Figure(
            38_951_745,
            "computed from paper Figure 4: convs 6,464 + 401,536 + 262,272 + 524,544, FC 9,216 → 4,096 "
            "37,752,832, distance head 4,097 (the paper gives no total)",
        ),
        metric=Metric(
            "20-way one-shot accuracy",
            92.0,
            "%",
            "Omniglot (evaluation alphabets)",
            "Koch et al. 2015, Table 2 (convolutional Siamese net)",
        ),
        input="a pair of grayscale images, two tensors (B, 1, 105, 105)",
        output="probability that the two images show the same class, (B, 1)",
        config_note=(
            "Paper Figure 4: twin = conv 64@10×10, max-pool, conv 128@7×7, max-pool, conv 128@4×4, max-pool, conv "
            "256@4×4 (ReLU), FC 9,216 → 4,096 (sigmoid); head p = σ(Σ α_j |h1_j − h2_j| + b). Input 105 × 105 × 1 "
            "(Omniglot); initialisation of §3.2."
        ),
        tags=("siamese", "one-shot", "few-shot", "metric learning", "omniglot", "weight sharing", "verification"),
        i18n={
            "zh": {
                "task": "单样本图像验证",
                "summary": "同一个卷积网络的两份拷贝（共享全部权重）分别提取两张图像的特征，再用可学习的加权 L1 距离给出两张图属于同一类别的概率。"
                "在图像对上训练后，它能识别从未见过的字母表中的字符，每类只需一个样本：把新图像与每个样本比较，选出最相似的那个。",
                "scenarios": ["单样本和小样本分类（手写字符、签名、人脸）", "验证：这两张图是同一个人、同一个签名或同一件商品吗？", "讲解度量学习与权重共享"],
                "strengths": ["新类别无需重新训练，每类只需保存一个样本", "结构上对称：两张图的先后顺序不影响结果", "用“同类/不同类”图像对和二元交叉熵即可简单训练"],
                "weaknesses": ["9,216 → 4,096 的全连接层占了 3900 万参数中的 97%", "与每个已存样本比较，每个样本都要跑一次孪生网络", "后来的度量学习方法（原型网络、匹配网络）单样本准确率更高"],
                "input": "一对灰度图像，两个张量 (B, 1, 105, 105)",
                "output": "两张图像属于同一类别的概率，(B, 1)",
                "config_note": "论文图 4：孪生网络 = 卷积 64@10×10、最大池化、卷积 128@7×7、最大池化、卷积 128@4×4、最大池化、卷积 256@4×4（ReLU），"
                "全连接 9,216 → 4,096（sigmoid）；输出头 p = σ(Σ α_j |h1_j − h2_j| + b)。输入 105 × 105 × 1（Omniglot）；初始化按 §3.2。",
            }
        },
    ),
    example_input=lambda: (torch.rand(1, 1, 105, 105), torch.rand(1, 1, 105, 105)),
)
def siamese(**overrides) -> SiameseNet:
    return SiameseNet(replace(SiameseConfig(), **overrides))
