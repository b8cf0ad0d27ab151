"""RNNsearch — Bahdanau, Cho & Bengio, "Neural Machine Translation by Jointly Learning to Align and
Translate" (ICLR 2015). https://arxiv.org/abs/1409.0473

Before this paper an encoder–decoder squeezed the whole source sentence into one fixed vector, and
translations of long sentences fell apart. RNNsearch keeps one *annotation* per source word (the
states of a bidirectional GRU, so each annotation knows the words on both sides) and lets the decoder
look back at all of them at every step: a small network scores how well each annotation matches what
the decoder is about to write, a softmax turns the scores into weights α_ij that sum to 1, and the
weighted average c_i of the annotations (the *context*) feeds the next word. The weights are a soft
alignment that is learned without ever being supervised — the first "attention".

Every equation below is from the paper's Appendix A (bias terms, which the paper omits "to make the
equations less cluttered", are kept: one per gate on the input side, one per output layer):

    encoder (A.2.1), each direction:   z = σ(W_z E x_j + U_z h_{j-1})        update gate
                                       r = σ(W_r E x_j + U_r h_{j-1})        reset gate
                                       h̃ = tanh(W E x_j + U [r ∘ h_{j-1}])
                                       h_j = (1 − z) ∘ h_{j-1} + z ∘ h̃
                                       annotation h_j = [h→_j ; h←_j]   (2n)
    decoder start:                     s_0 = tanh(W_s h←_1)
    alignment model (A.1.2):           e_ij = v_aᵀ tanh(W_a s_{i-1} + U_a h_j)
                                       α_ij = softmax_j(e_ij),   c_i = Σ_j α_ij h_j
    decoder GRU (A.2.2):               the encoder's GRU with C_z c_i, C_r c_i, C c_i added to the gates
    deep output with maxout (A.2.2):   t̃_i = U_o s_{i-1} + V_o E y_{i-1} + C_o c_i       (2l)
                                       t_i = [max(t̃_{i,2j-1}, t̃_{i,2j})]_{j=1..l}       (l)
                                       p(y_i | …) = softmax(W_o t_i)

`seq2seq_attention` builds the paper's RNNsearch-50 size: 620-d word embeddings, 1000 GRU units per
encoder direction and in the decoder, a 1000-unit alignment model, 500 maxout units (pool 2) and
30,000-word source and target vocabularies; the source words' embedding matrix is shared by the two
encoder directions (as the paper says), the target words have their own. That is 80,443,000 parameters
(the paper gives no total). DeepZoo's dates demo trains the same class at a tiny character-level size.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn as nn

from ..card import Figure, Metric, ModelCard, Paper
from ..registry import register_model
from ..weights import Weights, register_weights


@dataclass(frozen=True)
class Seq2SeqConfig:
    src_vocab: int = 30_000  # K_x (Appendix A.1: 30,000 most frequent words + [UNK])
    tgt_vocab: int = 30_000  # K_y
    embed_dim: int = 620  # m
    enc_hidden: int = 1000  # n, per encoder direction
    dec_hidden: int = 1000  # n in the decoder
    align_dim: int = 1000  # n', hidden units of the alignment model
    maxout_units: int = 500  # l
    maxout_pool: int = 2  # each maxout unit takes the max of this many pieces
    pad_id: int = 0
    bos_id: int = 1  # y_0, the "previous word" before the first one
    eos_id: int = 2


class GRUCell(nn.Module):
    """The paper's gated recurrent unit (Cho et al. 2014), one step; `ctx_size` > 0 adds the decoder's
    context terms C_z c, C_r c, C c to the gates."""

    def __init__(self, input_size: int, hidden_size: int, ctx_size: int = 0):
        super().__init__()
        self.w = nn.Linear(input_size, 3 * hidden_size)  # [W_z; W_r; W] E x + biases
        self.u_zr = nn.Linear(hidden_size, 2 * hidden_size, bias=False)  # [U_z; U_r] h
        self.u = nn.Linear(hidden_size, hidden_size, bias=False)  # U (r ∘ h)
        self.c = nn.Linear(ctx_size, 3 * hidden_size, bias=False) if ctx_size else None  # [C_z; C_r; C] c

    def forward(self, wx: torch.Tensor, h: torch.Tensor, ctx: torch.Tensor | None = None) -> torch.Tensor:
        """wx = self.w(x) (B, 3n), precomputed for the whole sequence; h (B, n) → new h (B, n)."""
        if self.c is not None:
            wx = wx + self.c(ctx)
        wz, wr, wh = wx.chunk(3, dim=-1)
        uz, ur = self.u_zr(h).chunk(2, dim=-1)
        z = torch.sigmoid(wz + uz)  # update gate: how much of the state to replace
        r = torch.sigmoid(wr + ur)  # reset gate: how much of the old state the proposal may see
        h_tilde = torch.tanh(wh + self.u(r * h))
        return (1 - z) * h + z * h_tilde


class Encoder(nn.Module):
    """Bidirectional GRU over the source (A.2.1): annotations (B, T_x, 2n) and h←_1 for the decoder's s_0."""

    def __init__(self, cfg: Seq2SeqConfig):
        super().__init__()
        self.embedding = nn.Embedding(cfg.src_vocab, cfg.embed_dim, padding_idx=cfg.pad_id)  # E, shared by both
        self.forward_rnn = GRUCell(cfg.embed_dim, cfg.enc_hidden)
        self.backward_rnn = GRUCell(cfg.embed_dim, cfg.enc_hidden)
        self.hidden = cfg.enc_hidden

    def _run(self, cell: GRUCell, x: torch.Tensor, keep: torch.Tensor, steps) -> list[torch.Tensor]:
        wx = cell.w(x)  # (B, T, 3n): input side of every step at once
        h = x.new_zeros(x.shape[0], self.hidden)
        out: list[torch.Tensor] = [h] * x.shape[1]
        for t in steps:
            # padding (at the end) leaves the state alone, so the backward pass starts at the last real word
            h = torch.where(keep[:, t, None], cell(wx[:, t], h), h)
            out[t] = h
        return out

    def forward(self, src: torch.Tensor, keep: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.embedding(src)  # (B, T_x, m)
        T = src.shape[1]
        fwd = self._run(self.forward_rnn, x, keep, range(T))  # h→_1 … h→_T
        bwd = self._run(self.backward_rnn, x, keep, range(T - 1, -1, -1))  # h←_T … h←_1
        annotations = torch.cat([torch.stack(fwd, 1), torch.stack(bwd, 1)], dim=-1)  # (B, T_x, 2n)
        return annotations, bwd[0]  # h←_1 (B, n) summarises the whole sentence read right to left


class Attention(nn.Module):
    """The alignment model a(s_{i-1}, h_j) (A.1.2): a one-hidden-layer MLP scoring every annotation."""

    def __init__(self, cfg: Seq2SeqConfig):
        super().__init__()
        self.w_a = nn.Linear(cfg.dec_hidden, cfg.align_dim, bias=False)  # W_a s_{i-1}
        self.u_a = nn.Linear(2 * cfg.enc_hidden, cfg.align_dim)  # U_a h_j (+ bias), same for every i
        self.v_a = nn.Linear(cfg.align_dim, 1, bias=False)  # v_aᵀ

    def keys(self, annotations: torch.Tensor) -> torch.Tensor:
        """U_a h_j does not depend on the decoder step: computed once per sentence, (B, T_x, n')."""
        return self.u_a(annotations)

    def forward(
        self, s_prev: torch.Tensor, keys: torch.Tensor, annotations: torch.Tensor, keep: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        e = self.v_a(torch.tanh(self.w_a(s_prev)[:, None] + keys)).squeeze(-1)  # (B, T_x) energies e_ij
        e = e.masked_fill(~keep, float("-inf"))  # padding gets exp(-inf) = 0 weight
        alpha = torch.softmax(e, dim=-1)  # (B, T_x), sums to 1 over the source
        context = torch.bmm(alpha[:, None], annotations).squeeze(1)  # c_i = Σ_j α_ij h_j, (B, 2n)
        return context, alpha


class Decoder(nn.Module):
    """One decoder step (A.2.2): attend with s_{i-1}, emit p(y_i) from the maxout deep output, update s."""

    def __init__(self, cfg: Seq2SeqConfig):
        super().__init__()
        self.cfg = cfg
        ctx = 2 * cfg.enc_hidden
        self.embedding = nn.Embedding(cfg.tgt_vocab, cfg.embed_dim, padding_idx=cfg.pad_id)  # target E
        self.init_state = nn.Linear(cfg.enc_hidden, cfg.dec_hidden)  # W_s: s_0 = tanh(W_s h←_1)
        self.attention = Attention(cfg)
        self.rnn = GRUCell(cfg.embed_dim, cfg.dec_hidden, ctx_size=ctx)
        pieces = cfg.maxout_units * cfg.maxout_pool  # 2l
        self.u_o = nn.Linear(cfg.dec_hidden, pieces)  # U_o s_{i-1} (+ bias)
        self.v_o = nn.Linear(cfg.embed_dim, pieces, bias=False)  # V_o E y_{i-1}
        self.c_o = nn.Linear(ctx, pieces, bias=False)  # C_o c_i
        self.w_o = nn.Linear(cfg.maxout_units, cfg.tgt_vocab)  # W_o t_i (+ bias) → logits over target words

    def step(self, ey, s, keys, annotations, keep):
        """ey = E y_{i-1} (B, m), s = s_{i-1} (B, n) → logits (B, K_y), α_i (B, T_x), s_i (B, n)."""
        c, alpha = self.attention(s, keys, annotations, keep)
        t_tilde = self.u_o(s) + self.v_o(ey) + self.c_o(c)  # (B, 2l)
        t = t_tilde.unflatten(-1, (self.cfg.maxout_units, self.cfg.maxout_pool)).amax(-1)  # maxout (B, l)
        logits = self.w_o(t)
        s_new = self.rnn(self.rnn.w(ey), s, c)
        return logits, alpha, s_new


class RNNsearch(nn.Module):
    def __init__(self, cfg: Seq2SeqConfig = Seq2SeqConfig()):
        super().__init__()
        self.cfg = cfg
        self.encoder = Encoder(cfg)
        self.decoder = Decoder(cfg)

    def encode(self, src: torch.Tensor):
        keep = src != self.cfg.pad_id  # (B, T_x)
        annotations, h_back_1 = self.encoder(src, keep)
        s0 = torch.tanh(self.decoder.init_state(h_back_1))  # (B, n)
        return annotations, self.decoder.attention.keys(annotations), keep, s0

    def forward(self, src: torch.Tensor, tgt_in: torch.Tensor, return_attention: bool = False):
        """Teacher forcing. src (B, T_x) source ids, 0 = padding at the end; tgt_in (B, T_y) the target shifted
        right (starting with bos) → logits (B, T_y, K_y) [and attention weights (B, T_y, T_x)]."""
        annotations, keys, keep, s = self.encode(src)
        ey = self.decoder.embedding(tgt_in)  # (B, T_y, m)
        logits, alphas = [], []
        for i in range(tgt_in.shape[1]):
            out, alpha, s = self.decoder.step(ey[:, i], s, keys, annotations, keep)
            logits.append(out)
            alphas.append(alpha)
        logits = torch.stack(logits, 1)
        return (logits, torch.stack(alphas, 1)) if return_attention else logits

    @torch.no_grad()
    def greedy(self, src: torch.Tensor, max_len: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Greedy decoding (the paper uses beam search; greedy suffices for short outputs): the argmax word is
        fed back as y_{i-1}. Returns ids (B, max_len) (after eos: eos) and attention (B, max_len, T_x)."""
        annotations, keys, keep, s = self.encode(src)
        y = src.new_full((src.shape[0],), self.cfg.bos_id)
        done = torch.zeros_like(y, dtype=torch.bool)
        ids, alphas = [], []
        for _ in range(max_len):
            logits, alpha, s = self.decoder.step(self.decoder.embedding(y), s, keys, annotations, keep)
            y = torch.where(done, torch.full_like(y, self.cfg.eos_id), logits.argmax(-1))
            done |= y == self.cfg.eos_id
            ids.append(y)
            alphas.append(alpha)
        return torch.stack(ids, 1), torch.stack(alphas, 1)


# Dates demo: characters in, ISO date out (zoo/train/dates.py makes the data and sets the vocabularies)
DATES = dict(src_vocab=128, tgt_vocab=14, embed_dim=32, enc_hidden=64, dec_hidden=128, align_dim=64, maxout_units=64)


@register_model(
    card=ModelCard(
        key="seq2seq_attention",
        name="RNNsearch (seq2seq with attention)",
        family="Seq2seq",
        domain="nlp",
        task="machine translation (sequence to sequence)",
        year=2015,
        paper=Paper(
            "Neural Machine Translation by Jointly Learning to Align and Translate",
            "https://arxiv.org/abs/1409.0473",
            authors="D. Bahdanau, K. Cho, Y. Bengio",
            venue="ICLR 2015",
        ),
        level="intermediate",
        summary=(
            "An encoder–decoder translator that does not have to cram the source sentence into one vector. A "
            "bidirectional GRU writes one annotation per source word; before writing each target word the decoder "
            "scores every annotation with a small network, turns the scores into weights that sum to one, and reads "
            "their weighted average. These weights — the first neural attention — form a soft alignment between "
            "the two sentences that is learned without supervision and can be drawn as a heat map."
        ),
        scenarios=(
            "translating sentences between two languages",
            "normalising free-form text into a fixed format (dates, addresses, units)",
            "learning how attention was born before Transformers",
        ),
        strengths=(
            "translation quality no longer collapses on long sentences, unlike fixed-vector encoder–decoders",
            "the attention weights show which source words each output word came from",
            "one architecture for any sequence-to-sequence task",
        ),
        weaknesses=(
            "recurrent steps run one after another: slow to train compared with a Transformer",
            "the 30,000-word softmax and vocabularies dominate the size; rare words become [UNK]",
            "superseded by the Transformer (2017), which keeps attention and drops the recurrence",
        ),
        params=Figure(
            80_443_000,
            "DeepZoo's count of the Appendix A configuration of Bahdanau et al. 2015 (the paper states no total)",
        ),
        input="source ids (B, T_x) and target ids shifted right (B, T_y), 30,000-word vocabularies, 0 = padding",
        output="next-word logits (B, T_y, 30,000); with return_attention=True also the weights (B, T_y, T_x)",
        metric=Metric(
            "BLEU (all sentences)",
            26.75,
            "BLEU",
            "WMT'14 English→French, news-test-2014",
            "Bahdanau et al. 2015, Table 1 (RNNsearch-50; 28.45 for RNNsearch-50*, trained longer)",
        ),
        config_note=(
            "RNNsearch-50 as in Appendix A: 620-d embeddings (one source matrix shared by both encoder directions, "
            "one target matrix), bidirectional GRU encoder of 1000 units per direction, GRU decoder of 1000 units "
            "fed the context, s_0 = tanh(W_s h←_1), additive alignment model of 1000 hidden units, deep output of "
            "500 maxout units (pool 2) from s_{i-1}, E y_{i-1} and c_i, 30,000-word vocabularies; one bias per gate "
            "and per output layer = 80,443,000 parameters. The example is short (8 source and 8 target words, teacher "
            "forcing). DeepZoo's trained weights are a tiny character-level version for the dates demo."
        ),
        tags=("rnn", "gru", "attention", "bahdanau", "additive attention", "seq2seq", "encoder-decoder",
              "translation", "maxout", "recurrent", "classic"),
        i18n={
            "zh": {
                "name": "RNNsearch（带注意力的 seq2seq）",
                "task": "机器翻译（序列到序列）",
                "summary": "一种编码器–解码器翻译模型，不必把整句源语言压缩进一个向量。双向 GRU 为每个源词写下一个注释向量；"
                "解码器在写每个目标词之前，用一个小网络给所有注释打分，把分数变成和为 1 的权重，再读取它们的加权平均。"
                "这些权重就是最早的神经注意力，它们构成两句话之间的软对齐，无需监督即可学到，并能画成热力图。",
                "scenarios": ["在两种语言之间翻译句子", "把自由格式的文本规范化成固定格式（日期、地址、单位）", "了解注意力在 Transformer 之前如何诞生"],
                "strengths": ["与固定向量的编码器–解码器不同，长句的翻译质量不再崩溃", "注意力权重显示每个输出词来自哪些源词", "同一架构适用于任何序列到序列任务"],
                "weaknesses": ["循环步骤只能依次计算，训练比 Transformer 慢", "3 万词的 softmax 和词表占了大部分参数；生僻词变成 [UNK]", "已被 Transformer（2017）取代：它保留注意力、去掉了循环"],
                "input": "源语言 id (B, T_x) 与右移一位的目标 id (B, T_y)，词表各 30,000，0 为填充",
                "output": "下一个词的 logits (B, T_y, 30,000)；return_attention=True 时另返回注意力权重 (B, T_y, T_x)",
                "config_note": "按附录 A 的 RNNsearch-50：620 维词向量（编码器两个方向共用一个源语言矩阵，目标语言另一个），每个方向 1000 单元的双向 GRU 编码器，"
                "输入上下文的 1000 单元 GRU 解码器，s_0 = tanh(W_s h←_1)，1000 个隐藏单元的加性对齐模型，由 s_{i-1}、E y_{i-1} 和 c_i 计算的 500 个 maxout "
                "单元（每组 2 个）深输出层，词表各 30,000；每个门和每个输出层一个偏置，共 80,443,000 个参数。示例输入很短（源与目标各 8 个词，教师强制）。"
                "DeepZoo 训练的权重是日期演示用的字符级小模型。",
            }
        },
    ),
    example_input=lambda: (torch.randint(3, 30_000, (1, 8)), torch.randint(3, 30_000, (1, 8))),
)
def seq2seq_attention(**overrides) -> RNNsearch:
    return RNNsearch(replace(Seq2SeqConfig(), **overrides))


register_weights(
    Weights(
        model="seq2seq_attention",
        name="dates",
        description="A tiny character-level RNNsearch trained by DeepZoo to rewrite dates written in many ways as ISO dates",
        dataset="dates generated by zoo/train/dates.py (1900–2099, 21 formats in English and Chinese); every 10th day and "
        "4 more formats held out",
        source="shipped",
        file="seq2seq_dates.safetensors",
        recipe="seq2seq_dates",
        config=DATES,
        metrics={"held-out dates exact match %": 100.0, "held-out formats exact match %": 100.0},  # see the manifest
        preprocessing="one id per character (zoo.train.dates.encode_source); output ids are the characters of YYYY-MM-DD",
    )
)
