"""TextCNN — Yoon Kim, "Convolutional Neural Networks for Sentence Classification" (EMNLP 2014).
https://arxiv.org/abs/1408.5882

A sentence is a matrix: one pre-trained word2vec vector (300-d) per word. Filters as wide as a word
vector slide over h consecutive words (h = 3, 4, 5: n-gram detectors), and each filter's feature map
is reduced to its single largest value — *max-over-time pooling* (§2):

    c_i = f(w · x_{i:i+h-1} + b)         one feature per window, i = 1 … n−h+1   (Eq. 2)
    ĉ   = max{c_1, …, c_{n−h+1}}        the filter's one number for the sentence (Eq. 3 → §2)

so a filter answers "does this n-gram pattern occur anywhere in the sentence?", whatever its position
and the sentence's length. The 300 pooled features go through dropout (p = 0.5) to a softmax layer.

DeepZoo builds CNN-static, the paper's variant with frozen word2vec vectors: the model takes embedded
tokens (B, T, 300) (the embeddings are looked up outside it and not counted), 100 filters for each of
the widths 3, 4, 5 with ReLU, and 2 classes (e.g. MR positive/negative): 360,902 parameters. Kim also
rescales each weight vector to an l2 norm of at most 3 after every update; that is a training-time
constraint and not part of the model.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn as nn

from ..card import Figure, Metric, ModelCard, Paper
from ..registry import register_model


@dataclass(frozen=True)
class TextCNNConfig:
    embed_dim: int = 300  # word2vec (Mikolov et al. 2013) vectors
    widths: tuple[int, ...] = (3, 4, 5)  # filter window sizes h (§3.1)
    maps: int = 100  # feature maps per width
    num_classes: int = 2
    dropout: float = 0.5


class TextCNN(nn.Module):
    def __init__(self, cfg: TextCNNConfig = TextCNNConfig()):
        super().__init__()
        self.cfg = cfg
        # a filter spans h whole word vectors: a 1-d convolution over time with embed_dim input channels
        self.convs = nn.ModuleList(nn.Conv1d(cfg.embed_dim, cfg.maps, h) for h in cfg.widths)
        self.dropout = nn.Dropout(cfg.dropout)
        self.fc = nn.Linear(cfg.maps * len(cfg.widths), cfg.num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Embedded sentence (B, T, embed_dim), T ≥ the widest filter → pooled features (B, maps × widths)."""
        x = x.transpose(1, 2)  # (B, embed_dim, T): channels are the vector's coordinates
        # Eq. 2: c = ReLU(w · x_{i:i+h-1} + b) for every window (no padding: "narrow" convolution), (B, maps, T-h+1)
        # then max-over-time pooling keeps each map's largest value, (B, maps)
        return torch.cat([torch.relu(conv(x)).amax(dim=-1) for conv in self.convs], dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, embed_dim) → class logits (B, num_classes)."""
        return self.fc(self.dropout(self.features(x)))


@register_model(
    card=ModelCard(
        key="textcnn",
        name="TextCNN (Kim CNN)",
        family="TextCNN",
        domain="nlp",
        task="text classification",
        year=2014,
        paper=Paper("Convolutional Neural Networks for Sentence Classification", "https://arxiv.org/abs/1408.5882",
                    authors="Y. Kim", venue="EMNLP 2014"),
        level="basic",
        summary=(
            "Treats a sentence as a matrix of word vectors and slides 300 filters over it, each spanning 3, 4 or 5 "
            "consecutive words, so each filter learns to detect a short phrase pattern. Max-over-time pooling keeps "
            "only each filter's strongest match anywhere in the sentence, and a linear layer classifies those 300 "
            "numbers. One layer of convolutions on top of word2vec was enough to beat far more complex models."
        ),
        scenarios=("sentiment analysis of short texts", "question and topic classification",
                   "fast baselines for any sentence classification task"),
        strengths=("small (0.36M parameters) and much faster than a recurrent network",
                   "works on any sentence length; position of a phrase does not matter",
                   "a strong, simple baseline that is easy to interpret (which n-grams fire)"),
        weaknesses=("sees only n-grams up to 5 words: no word order beyond the filter width",
                    "relies on good pretrained word vectors (here counted apart)",
                    "outperformed by pretrained Transformers"),
        params=Figure(360_902, "DeepZoo's count of Kim 2014's CNN-static (filters 3/4/5 × 100 on 300-d word2vec, "
                      "2 classes), embeddings excluded"),
        input="embedded tokens (B, T, 300), T ≥ 5 — static word2vec vectors looked up outside the model, not "
        "counted; the example is 32 words",
        output="class logits (B, 2)",
        metric=Metric("accuracy", 81.0, "%", "MR (movie-review sentences), 10-fold CV",
                      "Kim 2014, Table 2 (CNN-static)"),
        config_note=(
            "CNN-static: 300-d word2vec inputs (frozen, counted apart), 100 filters each of widths 3, 4 and 5 with "
            "ReLU and no padding, max-over-time pooling, dropout 0.5, linear 300→2 = 360,902 parameters. Kim's l2 "
            "max-norm constraint (s = 3) is applied during training, not in the model."
        ),
        tags=("cnn", "convolution", "text classification", "sentiment", "max pooling", "word2vec", "classic"),
        i18n={"zh": {
            "name": "TextCNN（Kim CNN）",
            "task": "文本分类",
            "summary": "把一句话看成由词向量组成的矩阵，用 300 个滤波器在上面滑动，每个滤波器覆盖连续的 3、4 或 5 个词，学会检测一种短语模式。"
            "时间维最大池化只保留每个滤波器在整句中的最强匹配，线性层再对这 300 个数分类。仅在 word2vec 之上加一层卷积，就胜过了复杂得多的模型。",
            "scenarios": ["短文本情感分析", "问题与主题分类", "任何句子分类任务的快速基线"],
            "strengths": ["很小（36 万参数），比循环网络快得多", "适用于任意句长，短语出现的位置不影响结果", "强而简单的基线，易于解释（看哪些 n-gram 被激活）"],
            "weaknesses": ["只看到最多 5 个词的 n-gram，超出滤波器宽度的词序被忽略", "依赖好的预训练词向量（这里不计入参数）", "不如预训练 Transformer"],
            "input": "已嵌入的词元 (B, T, 300)，T ≥ 5——在模型外查得的静态 word2vec 向量，不计入参数；示例为 32 个词",
            "output": "类别 logits (B, 2)",
            "config_note": "CNN-static：300 维 word2vec 输入（冻结，不计入），宽度 3、4、5 的滤波器各 100 个，ReLU，无填充，时间维最大池化，"
            "dropout 0.5，线性层 300→2，共 360,902 个参数。Kim 的 l2 最大范数约束（s = 3）在训练时施加，不属于模型本身。",
        }},
    ),
    example_input=lambda: torch.randn(1, 32, 300),
)
def textcnn(**overrides) -> TextCNN:
    return TextCNN(replace(TextCNNConfig(), **overrides))
