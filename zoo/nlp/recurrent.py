"""The three classic recurrent cells, one layer each, written gate by gate.

- Elman RNN — J. L. Elman, "Finding Structure in Time" (Cognitive Science, 1990),
  https://doi.org/10.1207/s15516709cog1402_1. A hidden layer that also reads its own previous value
  (Elman's "context units"), so the state summarises everything seen so far:
      h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)
- LSTM — S. Hochreiter & J. Schmidhuber, "Long Short-Term Memory" (Neural Computation, 1997),
  https://doi.org/10.1162/neco.1997.9.8.1735, with the forget gate of F. Gers, J. Schmidhuber &
  F. Cummins, "Learning to Forget" (2000). A memory cell c_t updated by *addition*, guarded by gates:
      i = σ(W_ii x + b_ii + W_hi h + b_hi)     input gate     (1997)
      f = σ(W_if x + b_if + W_hf h + b_hf)     forget gate    (Gers 2000)
      g = tanh(W_ig x + b_ig + W_hg h + b_hg)  candidate cell input
      o = σ(W_io x + b_io + W_ho h + b_ho)     output gate    (1997)
      c_t = f ⊙ c_{t-1} + i ⊙ g                the "constant error carousel" when f = 1
      h_t = o ⊙ tanh(c_t)
- GRU — K. Cho et al., "Learning Phrase Representations using RNN Encoder–Decoder for Statistical
  Machine Translation" (EMNLP 2014), https://arxiv.org/abs/1406.1078. Two gates, no separate cell:
      r = σ(W_ir x + b_ir + W_hr h + b_hr)     reset gate
      z = σ(W_iz x + b_iz + W_hz h + b_hz)     update gate
      n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
      h_t = (1 − z) ⊙ n + z ⊙ h_{t-1}
  Cho et al. write the candidate as tanh(W x + U (r ⊙ h)): the reset gate *before* the product. cuDNN
  and PyTorch apply it *after* (r ⊙ (U h + b)), which lets U h be computed for all gates at once; the
  two are different functions with the same parameters. This file follows PyTorch so that it can be
  checked against nn.GRU; `zoo/nlp/seq2seq.py` writes Cho's original form.

Every cell keeps PyTorch's parameter layout — `ih` holds weight_ih (G·H, I) and bias_ih, `hh` holds
weight_hh (G·H, H) and bias_hh, with the gates stacked in PyTorch's order (LSTM i, f, g, o; GRU r, z, n)
— so nn.RNN / nn.LSTM / nn.GRU weights copy across one to one (`from_torch`). The two bias
vectors are redundant (only their sum matters, except for the GRU's b_hn, which sits inside r ⊙ (…));
cuDNN keeps both, and so every published count of these layers includes both.

The registered keys are one layer with input and hidden size 512, batch-first: 525,312 (RNN),
2,101,248 (LSTM), 1,575,936 (GRU) parameters, i.e. G·(H·I + H·H + 2H) with G = 1, 4, 3 gates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
import torch.nn as nn

from ..card import Figure, ModelCard, Paper
from ..registry import register_model


@dataclass(frozen=True)
class RecurrentConfig:
    input_size: int = 512
    hidden_size: int = 512


class _Recurrent(nn.Module):
    """One layer over a batch-first sequence: weights as in PyTorch, the time loop written out."""

    gates = 1

    def __init__(self, cfg: RecurrentConfig = RecurrentConfig()):
        super().__init__()
        self.cfg = cfg
        G, H, I = self.gates, cfg.hidden_size, cfg.input_size
        self.ih = nn.Linear(I, G * H)  # weight_ih (G·H, I) and bias_ih: the input's part of every gate
        self.hh = nn.Linear(H, G * H)  # weight_hh (G·H, H) and bias_hh: the previous state's part
        bound = 1 / math.sqrt(H)  # PyTorch's initialisation: every weight ~ U(-1/√H, 1/√H)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    @classmethod
    def from_torch(cls, layer: nn.RNNBase) -> "_Recurrent":
        """The same layer as a one-layer, unidirectional nn.RNN / nn.LSTM / nn.GRU (its weights copied)."""
        model = cls(RecurrentConfig(layer.input_size, layer.hidden_size))
        with torch.no_grad():
            for part in ("ih", "hh"):
                getattr(model, part).weight.copy_(getattr(layer, f"weight_{part}_l0"))
                getattr(model, part).bias.copy_(getattr(layer, f"bias_{part}_l0"))
        return model

    def input_part(self, x: torch.Tensor) -> torch.Tensor:
        """W_ih x_t + b_ih for every step at once: it does not depend on the state. (B, T, G·H)"""
        return self.ih(x)

    def hidden_part(self, h: torch.Tensor) -> torch.Tensor:
        """W_hh h_{t-1} + b_hh: the only product that has to wait for the previous step. (B, G·H)"""
        return self.hh(h)

    def zeros(self, x: torch.Tensor) -> torch.Tensor:
        return x.new_zeros(x.shape[0], self.cfg.hidden_size)


class ElmanRNN(_Recurrent):
    gates = 1

    def forward(self, x: torch.Tensor, h: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B, T, I), h_0 (B, H) or None (zeros) → all states (B, T, H) and h_T (B, H), like nn.RNN."""
        wx = self.input_part(x)
        h = self.zeros(x) if h is None else h
        out = []
        for t in range(x.shape[1]):
            h = torch.tanh(wx[:, t] + self.hidden_part(h))  # Elman (1990): context units = h_{t-1}
            out.append(h)
        return torch.stack(out, 1), h


class LSTM(_Recurrent):
    gates = 4

    def forward(
        self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None = None
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """x (B, T, I), (h_0, c_0) or None → all h_t (B, T, H) and (h_T, c_T), like nn.LSTM."""
        wx = self.input_part(x)
        h, c = (self.zeros(x), self.zeros(x)) if state is None else state
        out = []
        for t in range(x.shape[1]):
            i, f, g, o = (wx[:, t] + self.hidden_part(h)).chunk(4, dim=-1)  # PyTorch's gate order
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)  # forget old, add new (additive update)
            h = torch.sigmoid(o) * torch.tanh(c)  # expose a gated view of the cell
            out.append(h)
        return torch.stack(out, 1), (h, c)


class GRU(_Recurrent):
    gates = 3

    def forward(self, x: torch.Tensor, h: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B, T, I), h_0 (B, H) or None → all states (B, T, H) and h_T (B, H), like nn.GRU."""
        wx = self.input_part(x)
        h = self.zeros(x) if h is None else h
        out = []
        for t in range(x.shape[1]):
            xr, xz, xn = wx[:, t].chunk(3, dim=-1)
            hr, hz, hn = self.hidden_part(h).chunk(3, dim=-1)
            r = torch.sigmoid(xr + hr)  # reset: how much of the old state the candidate sees
            z = torch.sigmoid(xz + hz)  # update: keep the old state (z → 1) or take the candidate
            n = torch.tanh(xn + r * hn)  # reset applied after the product (cuDNN/PyTorch variant)
            h = (1 - z) * n + z * h
            out.append(h)
        return torch.stack(out, 1), h


def _example() -> torch.Tensor:
    return torch.randn(1, 32, 512)


_SOURCE = "G·(H·I + H·H + 2H) at I = H = 512 with PyTorch's two bias vectors (nn.{}(512, 512) has the same count)"


@register_model(
    card=ModelCard(
        key="rnn",
        name="Elman RNN",
        family="Recurrent cells",
        domain="nlp",
        task="sequence modelling (recurrent layer)",
        year=1990,
        paper=Paper("Finding Structure in Time", "https://doi.org/10.1207/s15516709cog1402_1",
                    authors="J. L. Elman", venue="Cognitive Science 14(2)"),
        level="basic",
        summary=(
            "The simplest recurrent network: at every step the hidden layer reads the new input together with its "
            "own previous value, h_t = tanh(W x_t + U h_{t-1} + b). The state is a running summary of the sequence, "
            "which let Elman's network discover word boundaries and grammatical categories from raw sequences. "
            "Gradients through many tanh steps shrink or explode, which is why gated cells (LSTM, GRU) replaced it."
        ),
        scenarios=("learning how recurrence works", "short sequences: sensor readings, simple control",
                   "a baseline to compare gated cells against"),
        strengths=("one matrix product per step: the cheapest recurrent cell", "works on sequences of any length",
                   "easy to analyse as a dynamical system"),
        weaknesses=("vanishing and exploding gradients: forgets beyond ~10–20 steps in practice",
                    "steps run one after another", "no gate to decide what to keep"),
        params=Figure(525_312, _SOURCE.format("RNN")),
        input="a sequence of vectors (B, T, 512); the example is 32 steps",
        output="every hidden state (B, T, 512) and the final state (B, 512)",
        config_note="One layer, input and hidden size 512, tanh, batch-first, bias_ih and bias_hh as in PyTorch's layout.",
        tags=("rnn", "recurrent", "elman", "classic", "sequence"),
        i18n={"zh": {
            "name": "Elman 循环神经网络",
            "task": "序列建模（循环层）",
            "summary": "最简单的循环网络：每一步隐藏层同时读取新的输入和自己上一步的值，h_t = tanh(W x_t + U h_{t-1} + b)。"
            "状态是对序列的累积概括，Elman 的网络借此从原始序列中发现了词的边界和语法类别。梯度穿过许多 tanh 步会消失或爆炸，"
            "因此它被带门控的单元（LSTM、GRU）取代。",
            "scenarios": ["学习循环的原理", "短序列：传感器读数、简单控制", "作为门控单元的对比基线"],
            "strengths": ["每步只需一次矩阵乘法，最便宜的循环单元", "适用于任意长度的序列", "易于作为动力系统来分析"],
            "weaknesses": ["梯度消失与爆炸：实际上超过 10–20 步就会遗忘", "各步只能依次计算", "没有决定保留什么的门"],
            "input": "向量序列 (B, T, 512)；示例为 32 步",
            "output": "所有隐藏状态 (B, T, 512) 和最终状态 (B, 512)",
            "config_note": "一层，输入与隐藏维度均为 512，tanh，batch 维在前，按 PyTorch 的布局有 bias_ih 与 bias_hh 两个偏置。",
        }},
    ),
    example_input=_example,
)
def rnn(**overrides) -> ElmanRNN:
    return ElmanRNN(replace(RecurrentConfig(), **overrides))


@register_model(
    card=ModelCard(
        key="lstm",
        name="LSTM layer",
        family="Recurrent cells",
        domain="nlp",
        task="sequence modelling (recurrent layer)",
        year=1997,
        paper=Paper("Long Short-Term Memory", "https://doi.org/10.1162/neco.1997.9.8.1735",
                    authors="S. Hochreiter, J. Schmidhuber", venue="Neural Computation 9(8)"),
        level="basic",
        summary=(
            "A recurrent layer with a memory cell that is changed only by addition, guarded by three gates: the "
            "input gate decides what to write, the forget gate (added by Gers et al. in 2000) what to erase and the "
            "output gate what to show. While the forget gate stays open, information and its gradient pass through "
            "hundreds of steps unchanged — the fix for the plain RNN's vanishing gradient."
        ),
        scenarios=("language models and text classifiers before Transformers", "speech and handwriting recognition",
                   "time series forecasting"),
        strengths=("remembers over hundreds of steps", "robust and well understood; fast cuDNN kernels exist",
                   "constant memory per step when generating"),
        weaknesses=("4 gates: 4× the parameters and compute of a plain RNN", "steps run one after another",
                    "outperformed by Transformers on long texts with enough data"),
        params=Figure(2_101_248, _SOURCE.format("LSTM")),
        input="a sequence of vectors (B, T, 512); the example is 32 steps",
        output="every hidden state (B, T, 512) and the final (h, c), each (B, 512)",
        config_note="One layer, input and hidden size 512, gates in PyTorch's order (i, f, g, o), bias_ih and "
        "bias_hh, no peephole connections, batch-first.",
        tags=("rnn", "lstm", "recurrent", "gates", "classic", "sequence"),
        i18n={"zh": {
            "name": "LSTM 层",
            "task": "序列建模（循环层）",
            "summary": "带记忆单元的循环层，记忆单元只通过加法改变，由三个门守护：输入门决定写入什么，遗忘门（Gers 等人 2000 年加入）"
            "决定擦除什么，输出门决定展示什么。只要遗忘门保持打开，信息及其梯度就能原样穿过数百步——这正是对普通 RNN 梯度消失的修正。",
            "scenarios": ["Transformer 之前的语言模型与文本分类器", "语音与手写识别", "时间序列预测"],
            "strengths": ["能记住数百步之前的信息", "稳健、易理解，有快速的 cuDNN 实现", "生成时每步内存不变"],
            "weaknesses": ["4 个门：参数和计算量是普通 RNN 的 4 倍", "各步只能依次计算", "数据充足时在长文本上不如 Transformer"],
            "input": "向量序列 (B, T, 512)；示例为 32 步",
            "output": "所有隐藏状态 (B, T, 512) 与最终的 (h, c)，各为 (B, 512)",
            "config_note": "一层，输入与隐藏维度均为 512，门按 PyTorch 的顺序（i, f, g, o），有 bias_ih 与 bias_hh，无窥视孔连接，batch 维在前。",
        }},
    ),
    example_input=_example,
)
def lstm(**overrides) -> LSTM:
    return LSTM(replace(RecurrentConfig(), **overrides))


@register_model(
    card=ModelCard(
        key="gru",
        name="GRU layer",
        family="Recurrent cells",
        domain="nlp",
        task="sequence modelling (recurrent layer)",
        year=2014,
        paper=Paper("Learning Phrase Representations using RNN Encoder-Decoder for Statistical Machine Translation",
                    "https://arxiv.org/abs/1406.1078", authors="K. Cho, B. van Merriënboer, C. Gulcehre, D. Bahdanau, "
                    "F. Bougares, H. Schwenk, Y. Bengio", venue="EMNLP 2014"),
        level="basic",
        summary=(
            "A lighter gated recurrent layer introduced with the RNN encoder–decoder. A reset gate lets the "
            "candidate state ignore the past, and an update gate mixes old state and candidate, so the unit can "
            "copy its state across many steps like an LSTM — with two gates instead of three and no separate cell."
        ),
        scenarios=("encoders and decoders of sequence-to-sequence models", "speech and time series",
                   "a cheaper drop-in for an LSTM"),
        strengths=("3 gates' worth of weights instead of 4: 25% smaller than an LSTM of the same width",
                   "often matches an LSTM in accuracy", "keeps long-range memory through its update gate"),
        weaknesses=("steps run one after another", "no separate memory cell; slightly less expressive than an LSTM on "
                    "some counting tasks", "two incompatible variants exist (reset before or after the product)"),
        params=Figure(1_575_936, _SOURCE.format("GRU")),
        input="a sequence of vectors (B, T, 512); the example is 32 steps",
        output="every hidden state (B, T, 512) and the final state (B, 512)",
        config_note="One layer, input and hidden size 512, gates in PyTorch's order (r, z, n), reset applied after "
        "the hidden product as in cuDNN/PyTorch, bias_ih and bias_hh, batch-first.",
        tags=("rnn", "gru", "recurrent", "gates", "classic", "sequence"),
        i18n={"zh": {
            "name": "GRU 层",
            "task": "序列建模（循环层）",
            "summary": "随 RNN 编码器–解码器一起提出的更轻量的门控循环层。重置门让候选状态可以忽略过去，更新门混合旧状态与候选状态，"
            "因此它像 LSTM 一样能把状态复制过许多步——只用两个门而不是三个，也没有单独的记忆单元。",
            "scenarios": ["序列到序列模型的编码器与解码器", "语音与时间序列", "作为 LSTM 的更便宜替代"],
            "strengths": ["3 份门权重而不是 4 份：同宽度下比 LSTM 小 25%", "准确率常与 LSTM 相当", "通过更新门保持长程记忆"],
            "weaknesses": ["各步只能依次计算", "没有单独的记忆单元，在某些计数任务上表达力略逊于 LSTM", "存在两个不兼容的变体（重置门在乘积之前或之后）"],
            "input": "向量序列 (B, T, 512)；示例为 32 步",
            "output": "所有隐藏状态 (B, T, 512) 和最终状态 (B, 512)",
            "config_note": "一层，输入与隐藏维度均为 512，门按 PyTorch 的顺序（r, z, n），重置门按 cuDNN/PyTorch 作用在隐藏乘积之后，"
            "有 bias_ih 与 bias_hh，batch 维在前。",
        }},
    ),
    example_input=_example,
)
def gru(**overrides) -> GRU:
    return GRU(replace(RecurrentConfig(), **overrides))
