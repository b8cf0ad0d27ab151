"""LSTM — Hochreiter & Schmidhuber, "Long Short-Term Memory" (Neural Computation, 1997).
https://doi.org/10.1162/neco.1997.9.8.1735

A recurrent network whose hidden state is protected by gates. Each step keeps a memory cell c_t
that is updated additively (the "constant error carousel"), so gradients survive across hundreds
of steps where a plain RNN's vanish. The cell here is the form everyone uses today: the 1997 input
and output gates plus the forget gate added by Gers, Schmidhuber & Cummins (2000):

    i, f, g, o = σ(W_i x + U_i h + b_i), σ(W_f ...), tanh(W_g ...), σ(W_o ...)
    c_t = f ⊙ c_{t-1} + i ⊙ g          h_t = o ⊙ tanh(c_t)

`lstm_classifier` is DeepZoo's small sentiment model: embedding (20,000 × 128) → 2-layer LSTM
(256 hidden) → dropout → linear (2 classes), reading the top layer's last hidden state. Each gate
has one bias (the Keras convention; PyTorch's nn.LSTM keeps two), giving 3,480,066 parameters.
The recurrence is written out step by step so the gates are visible and FLOPs are counted.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn as nn

from ..card import Figure, ModelCard, Paper
from ..registry import register_model


@dataclass(frozen=True)
class LSTMConfig:
    vocab_size: int = 20_000
    embed_dim: int = 128
    hidden_size: int = 256
    num_layers: int = 2
    num_classes: int = 2  # negative / positive
    dropout: float = 0.5  # before the classifier, and between stacked LSTM layers
    pad_id: int = 0  # padding tokens leave the state unchanged


class LSTMLayer(nn.Module):
    """One LSTM layer over a whole sequence; the four gates share one matrix multiply."""

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        self.hidden_size = hidden_size
        self.w = nn.Linear(input_size, 4 * hidden_size)  # W x + b for gates i, f, g, o
        self.u = nn.Linear(hidden_size, 4 * hidden_size, bias=False)  # U h_{t-1}
        with torch.no_grad():  # forget gate starts open (bias 1) so early gradients flow (Gers et al. 2000)
            self.w.bias.zero_()
            self.w.bias[hidden_size : 2 * hidden_size] = 1.0

    def forward(self, x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        """x (B, T, input_size), keep (B, T) bool: False on padding → hidden states (B, T, hidden)."""
        B, T, _ = x.shape
        wx = self.w(x)  # (B, T, 4H): the input part of every step, computed at once
        h = x.new_zeros(B, self.hidden_size)
        c = x.new_zeros(B, self.hidden_size)
        out = []
        for t in range(T):
            i, f, g, o = (wx[:, t] + self.u(h)).chunk(4, dim=-1)  # each (B, H)
            # additive cell update: the error carousel that lets gradients cross many steps
            c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h_new = torch.sigmoid(o) * torch.tanh(c_new)
            k = keep[:, t, None]  # padding steps carry the state through untouched
            c, h = torch.where(k, c_new, c), torch.where(k, h_new, h)
            out.append(h)
        return torch.stack(out, dim=1)  # (B, T, H)


class LSTMClassifier(nn.Module):
    def __init__(self, cfg: LSTMConfig = LSTMConfig()):
        super().__init__()
        self.cfg = cfg
        self.embedding = nn.Embedding(cfg.vocab_size, cfg.embed_dim, padding_idx=cfg.pad_id)
        sizes = [cfg.embed_dim] + [cfg.hidden_size] * cfg.num_layers
        self.lstm = nn.ModuleList(LSTMLayer(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.dropout = nn.Dropout(cfg.dropout)
        self.head = nn.Linear(cfg.hidden_size, cfg.num_classes)

    def forward(self, token_ids: torch.Tensor) -> torch.Tensor:
        keep = token_ids != self.cfg.pad_id  # (B, T)
        x = self.embedding(token_ids)  # (B, T, embed_dim)
        for n, layer in enumerate(self.lstm):
            x = layer(self.dropout(x) if n else x, keep)  # (B, T, hidden)
        # the last step's state summarises the sentence (padding steps left it unchanged)
        return self.head(self.dropout(x[:, -1]))  # (B, num_classes) logits


@register_model(
    card=ModelCard(
        key="lstm_classifier",
        name="LSTM text classifier",
        family="LSTM",
        domain="nlp",
        task="text classification",
        year=1997,
        paper=Paper(
            "Long Short-Term Memory",
            "https://doi.org/10.1162/neco.1997.9.8.1735",
            authors="S. Hochreiter, J. Schmidhuber",
            venue="Neural Computation 9(8)",
        ),
        level="basic",
        summary=(
            "Reads a sentence one token at a time, carrying a memory cell that gates decide to keep, overwrite "
            "or expose. Because the cell is updated by addition, useful information and its gradient survive "
            "long stretches of text. Here two stacked LSTM layers read word embeddings and the final state "
            "is classified, e.g. as positive or negative sentiment."
        ),
        scenarios=(
            "sentiment analysis of reviews",
            "short-text and intent classification",
            "learning how recurrent networks work",
        ),
        strengths=(
            "small (3.5M parameters) and trains quickly on a CPU",
            "handles any sentence length with constant memory per step",
            "gates make long-range memory learnable, unlike a plain RNN",
        ),
        weaknesses=(
            "steps run one after another, so long texts are slow to process",
            "a single final state must summarise the whole text",
            "outperformed by pretrained Transformers (e.g. BERT) when data is scarce",
        ),
        params=Figure(3_480_066, "DeepZoo's stated configuration (20K vocab, 128-d embedding, 2×256 LSTM, 2 classes)"),
        input="token ids (B, T), 0 = padding, from a 20,000-word vocabulary",
        output="2 class logits (negative / positive), (B, 2)",
        config_note=(
            "Embedding 20,000×128 → LSTM 128→256 → LSTM 256→256 → dropout 0.5 → linear 256→2, one bias per gate, "
            "forget-gate bias initialised to 1. No published count: this is DeepZoo's own sentiment configuration."
        ),
        tags=("rnn", "lstm", "recurrent", "sentiment", "text classification", "classic"),
        i18n={
            "zh": {
                "task": "文本分类",
                "summary": "逐词读入句子，并维护一个记忆单元，由门控决定保留、改写或输出其中的信息。记忆单元以加法更新，"
                "有用的信息及其梯度能跨越很长的文本保留下来。这里两层堆叠的 LSTM 读取词向量，最后的状态用于分类，例如判断情感正负。",
                "scenarios": ["评论情感分析", "短文本与意图分类", "学习循环神经网络的原理"],
                "strengths": ["小巧（350 万参数），CPU 上训练很快", "任意长度的句子每步占用的内存不变", "门控让长程记忆可以学习，普通 RNN 做不到"],
                "weaknesses": ["各步只能依次计算，长文本处理慢", "整段文本只能由最后一个状态概括", "数据少时不如预训练 Transformer（如 BERT）"],
                "input": "词元 id (B, T)，0 为填充，词表 20,000 词",
                "output": "2 个类别（负面 / 正面）的 logits，(B, 2)",
            }
        },
    ),
    example_input=lambda: torch.randint(1, 20_000, (1, 64)),
)
def lstm_classifier(**overrides) -> LSTMClassifier:
    return LSTMClassifier(replace(LSTMConfig(), **overrides))
