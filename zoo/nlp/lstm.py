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

`char_lstm` is a character-level language model after Graves, "Generating Sequences With Recurrent
Neural Networks" (2013, https://arxiv.org/abs/1308.0850) and Karpathy's char-rnn: byte embedding
(256 × 64) → 2 LSTM layers of 128 → linear onto the 256 possible next bytes, 279,808 parameters.
`generate` samples from it while carrying (h, c), so each new byte costs one step.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from types import SimpleNamespace
from typing import Iterator

import torch
import torch.nn as nn

from ..card import Figure, Metric, ModelCard, Paper
from ..registry import register_model
from ..weights import Weights, register_weights

State = tuple[torch.Tensor, torch.Tensor]  # (h, c) of one layer, each (B, hidden)


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

    def forward(
        self, x: torch.Tensor, keep: torch.Tensor | None = None, state: State | None = None
    ) -> tuple[torch.Tensor, State]:
        """x (B, T, input_size); keep (B, T) bool, False on padding; state (h, c) to start from (zeros if None)
        → hidden states (B, T, hidden) and the final (h, c), so a language model can continue where it stopped."""
        B, T, _ = x.shape
        wx = self.w(x)  # (B, T, 4H): the input part of every step, computed at once
        h, c = state if state is not None else (x.new_zeros(B, self.hidden_size), x.new_zeros(B, self.hidden_size))
        out = []
        for t in range(T):
            i, f, g, o = (wx[:, t] + self.u(h)).chunk(4, dim=-1)  # each (B, H)
            # additive cell update: the error carousel that lets gradients cross many steps
            c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h_new = torch.sigmoid(o) * torch.tanh(c_new)
            if keep is None:
                c, h = c_new, h_new
            else:
                k = keep[:, t, None]  # padding steps carry the state through untouched
                c, h = torch.where(k, c_new, c), torch.where(k, h_new, h)
            out.append(h)
        return torch.stack(out, dim=1), (h, c)  # (B, T, H), final state


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
            x = layer(self.dropout(x) if n else x, keep)[0]  # (B, T, hidden)
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


# --------------------------------------------------------------------------- char-level language model


@dataclass(frozen=True)
class CharLSTMConfig:
    vocab_size: int = 256  # raw UTF-8 bytes: any text, nothing to download, no unknown symbols
    embed_dim: int = 64
    hidden_size: int = 128  # char-rnn's defaults: 2 layers of 128
    num_layers: int = 2
    dropout: float = 0.0  # between layers and before the output layer


class CharLSTM(nn.Module):
    """Graves (2013) §2 / Karpathy's char-rnn: stacked LSTMs read one byte per step and predict the next.

    `step(idx, state)` continues from a saved state, so sampling costs one LSTM step per new byte
    instead of re-reading the whole text (a GPT without a KV cache re-reads its context every step).
    """

    def __init__(self, cfg: CharLSTMConfig = CharLSTMConfig()):
        super().__init__()
        self.cfg = cfg
        self.embedding = nn.Embedding(cfg.vocab_size, cfg.embed_dim)  # = one-hot input × a weight matrix
        sizes = [cfg.embed_dim] + [cfg.hidden_size] * cfg.num_layers
        self.lstm = nn.ModuleList(LSTMLayer(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.dropout = nn.Dropout(cfg.dropout)
        self.head = nn.Linear(cfg.hidden_size, cfg.vocab_size)  # softmax output layer over the next byte

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        """(B, T) byte ids → (B, T, vocab_size) next-byte logits, starting from a zero state."""
        return self.step(idx)[0]

    def step(self, idx: torch.Tensor, state: list[State] | None = None) -> tuple[torch.Tensor, list[State]]:
        """Continue from `state` (one (h, c) per layer; None = start of text): logits (B, T, vocab) and the new state."""
        x = self.embedding(idx)  # (B, T, embed_dim)
        new_state = []
        for n, layer in enumerate(self.lstm):
            x, s = layer(self.dropout(x) if n else x, state=state[n] if state else None)  # (B, T, hidden)
            new_state.append(s)
        return self.head(self.dropout(x)), new_state


class _Continuing:
    """Shows a CharLSTM to `gpt.generate` as if it were a GPT. `generate` hands over the whole text at
    every step; this feeds the LSTM only the bytes it has not read yet and keeps (h, c) in between."""

    def __init__(self, model: CharLSTM):
        self.model, self.read, self.state = model, 0, None
        # generate crops the text to cfg.block_size; an LSTM has no window (its memory is (h, c)), so the
        # crop must never bite: a limit no text reaches
        self.cfg = SimpleNamespace(block_size=2**62)

    def __call__(self, idx: torch.Tensor) -> torch.Tensor:
        logits, self.state = self.model.step(idx[:, self.read :], self.state)
        self.read = idx.shape[1]
        return logits


def generate(
    model: CharLSTM,
    idx: torch.Tensor,
    max_new_tokens: int,
    temperature: float = 1.0,
    top_k: int | None = None,
    generator: torch.Generator | None = None,
) -> Iterator[torch.Tensor]:
    """Sample like `zoo.nlp.gpt.generate` (same temperature / top-k / generator rules, yields each new byte
    (B, 1)), but statefully: the prompt is read once, then every new byte costs a single LSTM step."""
    from .gpt import generate as sample  # one sampling loop for both language models

    yield from sample(_Continuing(model), idx, max_new_tokens, temperature, top_k, generator)


@register_model(
    card=ModelCard(
        key="char_lstm",
        name="Char-LSTM language model",
        family="LSTM",
        domain="nlp",
        task="language modelling",
        year=2013,
        paper=Paper(
            "Generating Sequences With Recurrent Neural Networks",
            "https://arxiv.org/abs/1308.0850",
            authors="A. Graves",
            venue="arXiv:1308.0850",
        ),
        level="basic",
        summary=(
            "Stacked LSTMs read text one character (here: one byte) at a time and output a probability for "
            "every possible next byte. Sampling a byte, feeding it back in and repeating writes new text; the "
            "memory cells carry what was said so far, so each new byte costs one small step. Graves (2013) "
            "showed such networks learn spelling, words and long-range structure such as matching brackets; "
            "Karpathy's char-rnn made it the classic first text generator."
        ),
        scenarios=(
            "learning how language models and sampling work",
            "generating text in the style of a small corpus",
            "autocomplete on devices with little memory",
        ),
        strengths=(
            "tiny (0.28M parameters) and trains in minutes on a CPU",
            "byte-level: any text in any script, no tokenizer",
            "constant memory and time per generated byte, however long the text",
        ),
        weaknesses=(
            "steps run one after another, so training cannot use the parallelism Transformers enjoy",
            "forgets beyond a few hundred steps in practice; incoherent over long passages",
            "predicting bytes one at a time is slower than predicting word pieces",
        ),
        params=Figure(
            279_808,
            "DeepZoo's stated configuration (256-byte vocabulary, 64-d embedding, 2×128 LSTM, linear 128→256)",
        ),
        input="byte ids (B, T), 0–255 (UTF-8 bytes of the text)",
        output="next-byte logits, (B, T, 256)",
        metric=Metric(
            "bits per character (static evaluation)",
            1.67,
            "BPC",
            "Hutter Prize Wikipedia, validation",
            "Graves 2013, Table 2 (7-layer LSTM of 700 cells, 21.3M weights)",
        ),
        config_note=(
            "Embedding 256×64 → LSTM 64→128 → LSTM 128→128 → linear 128→256, one bias per gate, forget-gate "
            "bias 1 (char-rnn's defaults: 2 layers of 128, no dropout). Graves's Wikipedia network was far larger; "
            "the shipped weights are trained by DeepZoo on Python's own documentation."
        ),
        tags=("rnn", "lstm", "recurrent", "char-rnn", "language model", "generation", "autoregressive", "bytes"),
        i18n={
            "zh": {
                "name": "字符级 LSTM 语言模型",
                "task": "语言建模",
                "summary": "堆叠的 LSTM 每次读入一个字符（这里是一个字节），输出下一个字节的概率分布。采样一个字节、再把它喂回网络、"
                "如此重复，就能写出新的文本；记忆单元保存了已写内容，所以每个新字节只需一小步计算。Graves（2013）表明这类网络能学会"
                "拼写、单词以及括号配对等长程结构；Karpathy 的 char-rnn 让它成为经典的入门文本生成器。",
                "scenarios": ["学习语言模型与采样的原理", "生成与小型语料风格相近的文本", "内存很小的设备上的自动补全"],
                "strengths": ["极小（28 万参数），CPU 上几分钟即可训练", "按字节建模：任何文字都能处理，无需分词器", "无论文本多长，每生成一个字节的时间与内存都不变"],
                "weaknesses": ["各步只能依次计算，训练无法像 Transformer 那样并行", "实际上几百步之外的内容就会遗忘，长段落不连贯", "逐字节预测比按子词预测更慢"],
                "input": "字节 id (B, T)，取值 0–255（文本的 UTF-8 字节）",
                "output": "下一个字节的 logits，(B, T, 256)",
                "config_note": "嵌入 256×64 → LSTM 64→128 → LSTM 128→128 → 线性 128→256，每个门一个偏置，遗忘门偏置初始化为 1"
                "（char-rnn 的默认设置：2 层、每层 128，无 dropout）。Graves 的维基百科模型大得多；随附权重由 DeepZoo 在 Python 自带文档上训练。",
            }
        },
    ),
    example_input=lambda: torch.randint(0, 256, (1, 64)),
)
def char_lstm(**overrides) -> CharLSTM:
    return CharLSTM(replace(CharLSTMConfig(), **overrides))


register_weights(
    Weights(
        model="char_lstm",
        name="pydoc-bytes",
        description="Trained by DeepZoo for under 2 minutes on the help texts bundled with Python (pydoc_data)",
        dataset="pydoc_data.topics (Python's bundled help texts), last 10% held out",
        source="shipped",
        file="char_lstm_bytes.safetensors",
        recipe="char_lstm_bytes",
        config={},  # the default configuration above
        metrics={"held-out bits/byte": 2.168, "held-out bits/byte with 128 bytes of context": 2.186},  # uniform: 8
        preprocessing="UTF-8 bytes of the text, one id (0–255) per byte",
    )
)
