"""XLNet — Yang, Dai, Yang, Carbonell, Salakhutdinov & Le, "XLNet: Generalized Autoregressive Pretraining
for Language Understanding" (NeurIPS 2019). https://arxiv.org/abs/1906.08237

BERT learns bidirectional context by corrupting its input with [MASK] tokens that never appear at
fine-tuning time, and predicts the masked tokens independently of each other. XLNet keeps an
autoregressive objective — predict tokens one after another — but over a random *factorisation order*
z of the positions (§2.2, Eq. 3): the token at z_t is predicted from the tokens at z_<t, wherever those
sit in the sentence. Averaged over orders, every token learns from context on both sides, with no
[MASK] in the input and no independence assumption. The input order itself is never shuffled; the order
is imposed with attention masks (`perm_mask`).

Predicting "the token at position p" from z_<t needs to know p but must not see the token there, while
the same position must show its content to later steps. So every layer runs two streams (§2.3, Eq. 4):
- the **content stream** h_i attends to z_≤t (itself included) — a normal Transformer-XL representation;
- the **query stream** g_i attends to z_<t only and starts from a learned vector w (`mask_emb`), so it
  knows the target's position (through relative positions) but not its content.
Both streams share all weights. Pre-training predicts only the last 1/K tokens of each order (partial
prediction, §2.3; K = 6–7); `target_mapping` selects them and the query stream is computed for those
only. At fine-tuning time there is no order: the content stream alone is a bidirectional encoder.

From Transformer-XL (Dai et al. 2019, §3.3–3.4) XLNet takes
- **relative positional encodings**: the attention score between query i and key j is
  (q_i + u)·k_j + (q_i + v)·W_R R_{i−j}, content term plus a position term in which R is a sinusoid of
  the distance and u, v are learned biases (r_w_bias, r_r_bias);
- **segment recurrence**: hidden states of the previous segment (`mems`) are cached and used as extra
  keys/values without gradients, so context reaches beyond one segment.
XLNet adds **relative segment encodings** (§2.5): a learned s_+ or s_− (`seg_embed`) depending only on
whether i and j are in the same segment, scored as (q_i + b)·s (`r_s_bias`).

`xlnet_base` is XLNet-Base (cased): 12 layers, d_model 768, 12 heads of 64, GELU feed-forward 3,072,
32,000-token SentencePiece vocabulary, bidirectional attention, no memory by default — the backbone
returning hidden states, 116,718,336 parameters as Hugging Face `transformers` builds `XLNetModel` from the
published xlnet-base-cased config (its `XLNetLMHeadModel` adds a 32,000-entry output bias: 116,750,336).
Weights are stored as (d_model, heads, d_head) tensors, the layout of the reference TensorFlow code.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import NamedTuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..card import Figure, ModelCard, Paper
from ..pretrained import KeyMap, KnownCheckpoint, Layout, load_mapped, register_checkpoint, register_layout
from ..pretrained.hf import hf_overrides
from ..registry import register_model

_BIG = 1e30  # masked logits get −1e30 (not −∞), like the reference code: a fully masked row stays finite


@dataclass(frozen=True)
class XLNetConfig:
    vocab_size: int = 32_000  # SentencePiece, cased
    d_model: int = 768
    n_layer: int = 12
    n_head: int = 12
    d_head: int = 64
    d_inner: int = 3072  # feed-forward inner size
    dropout: float = 0.1
    layer_norm_eps: float = 1e-12
    init_std: float = 0.02


XLNET_BASE = XLNetConfig()


class XLNetOutput(NamedTuple):
    """What `XLNet.forward` returns; a tuple, so `out[0]` is the hidden states."""

    last_hidden_state: torch.Tensor  # (B, T, d) content stream, or (B, P, d) query stream with a target_mapping
    mems: tuple[torch.Tensor, ...] | None  # per layer, that layer's input (B, M + T, d), to pass as the next `mems`


class RelativePositionalEncoding(nn.Module):
    """Sinusoid encodings R of the distances k_len, k_len − 1, …, −q_len + 1 → (k_len + q_len, d_model).

    Keys are the M memory positions followed by the T current ones (k_len = M + T); query i (absolute
    M + i) and key j are M + i − j apart, which is always in that range. Same sinusoids as the
    Transformer's (sin half, cos half), but indexed by distance instead of position (Transformer-XL §3.3)."""

    def __init__(self, d_model: int):
        super().__init__()
        self.d_model = d_model

    def forward(self, q_len: int, k_len: int, device: torch.device) -> torch.Tensor:
        distance = torch.arange(k_len, -q_len, -1, device=device, dtype=torch.float32)  # (k_len + q_len,)
        inv_freq = 1.0 / 10000 ** (torch.arange(0, self.d_model, 2, device=device, dtype=torch.float32) / self.d_model)
        angles = distance[:, None] * inv_freq[None, :]  # (k_len + q_len, d/2)
        return torch.cat([angles.sin(), angles.cos()], dim=-1)


class TwoStreamMasks(nn.Module):
    """perm_mask (B, T, T), 1 = i may not see j → what each stream may not see, (B, T, M + T) bool each.

    The query stream g sees z_<t (the order's earlier tokens); the content stream h sees z_≤t, i.e. also its
    own token (§2.3, Figure 1). The M memory positions come first and are always visible."""

    def forward(self, perm_mask: torch.Tensor, mem_len: int) -> tuple[torch.Tensor, torch.Tensor]:
        T = perm_mask.shape[-1]
        mask_g = F.pad(perm_mask > 0, (mem_len, 0))  # (B, T, M + T)
        own_token = F.pad(torch.eye(T, dtype=torch.bool, device=perm_mask.device), (mem_len, 0))  # key j = query i
        mask_h = mask_g & ~own_token
        return mask_h, mask_g


def rel_shift(scores: torch.Tensor, k_len: int) -> torch.Tensor:
    """Turn position scores indexed (query i, distance index r) into (query i, key j).

    `RelativePositionalEncoding` lists distances from k_len downwards, so the distance M + i − j of query i and key j
    sits at index r = T − i + j. A gather does what Transformer-XL's reshape trick does, visibly.
    scores: (B, n, T, k_len + T) → (B, n, T, k_len)."""
    B, n, T, _ = scores.shape
    i = torch.arange(T, device=scores.device)[:, None]
    j = torch.arange(k_len, device=scores.device)[None, :]
    index = (T - i + j).expand(B, n, T, k_len)  # (B, n, T, k_len)
    return scores.gather(-1, index)


class RelativeAttention(nn.Module):
    """Two-stream relative multi-head attention (§2.3, Eq. 4), post-norm: LayerNorm(stream + Attn(stream))."""

    def __init__(self, cfg: XLNetConfig):
        super().__init__()
        d, n, dh = cfg.d_model, cfg.n_head, cfg.d_head
        self.scale = dh**-0.5
        # projections as (d_model, heads, d_head), applied with einsum "bid,dnh->binh"
        # (einsum letters: b batch, i/j/t positions, n heads, h head size, d d_model, p targets)
        self.q = nn.Parameter(torch.empty(d, n, dh))
        self.k = nn.Parameter(torch.empty(d, n, dh))  # W_{k,E}: keys from content
        self.v = nn.Parameter(torch.empty(d, n, dh))
        self.o = nn.Parameter(torch.empty(d, n, dh))  # output projection (used transposed)
        self.r = nn.Parameter(torch.empty(d, n, dh))  # W_{k,R}: keys from relative positions
        self.r_w_bias = nn.Parameter(torch.empty(n, dh))  # u: content bias, shared by all queries
        self.r_r_bias = nn.Parameter(torch.empty(n, dh))  # v: position bias
        self.r_s_bias = nn.Parameter(torch.empty(n, dh))  # b: segment bias
        self.seg_embed = nn.Parameter(torch.empty(2, n, dh))  # s_+ (same segment), s_− (different)
        self.layer_norm = nn.LayerNorm(d, eps=cfg.layer_norm_eps)
        self.dropout = nn.Dropout(cfg.dropout)

    def attend(
        self,
        q: torch.Tensor,  # (B, T, n, dh) queries at the T current positions
        k: torch.Tensor,  # (B, K, n, dh) content keys, K = M + T
        v: torch.Tensor,  # (B, K, n, dh)
        k_r: torch.Tensor,  # (K + T, n, dh) keys of the relative distances
        seg_diff: torch.Tensor | None,  # (B, T, K) bool: query and key in different segments
        mask: torch.Tensor | None,  # (B, T, K) bool: True = may NOT attend
    ) -> torch.Tensor:
        K = k.shape[1]
        content = torch.einsum("binh,bjnh->bnij", q + self.r_w_bias, k)  # (q_i + u)·k_j
        position = torch.einsum("binh,rnh->bnir", q + self.r_r_bias, k_r)  # (q_i + v)·W_R R_r
        position = rel_shift(position, K)  # (B, n, T, K)
        score = content + position
        if seg_diff is not None:  # (q_i + b)·s_ij, s = s_− if segments differ else s_+
            seg = torch.einsum("binh,snh->bnis", q + self.r_s_bias, self.seg_embed)  # (B, n, T, 2)
            score = score + torch.where(seg_diff[:, None], seg[..., 1:2], seg[..., 0:1])
        score = score * self.scale
        if mask is not None:
            score = score.masked_fill(mask[:, None], -_BIG)
        prob = self.dropout(F.softmax(score, dim=-1))  # (B, n, T, K)
        return torch.einsum("bnij,bjnh->binh", prob, v)  # (B, T, n, dh)

    def post_attention(self, stream: torch.Tensor, attn: torch.Tensor) -> torch.Tensor:
        out = torch.einsum("binh,dnh->bid", attn, self.o)  # concatenate heads and project: (B, T, d)
        return self.layer_norm(stream + self.dropout(out))

    def forward(self, h, g, r, seg_diff, mask_h, mask_g, mem, target_mapping):
        cat = h if mem is None else torch.cat([mem, h], dim=1)  # (B, M + T, d): keys also see the memory
        k = torch.einsum("bid,dnh->binh", cat, self.k)  # (B, K, n, dh)
        v = torch.einsum("bid,dnh->binh", cat, self.v)
        k_r = torch.einsum("rd,dnh->rnh", r, self.r)  # (K + T, n, dh)
        # content stream: h_i attends to everything the order allows, itself included (Eq. 4, bottom)
        q_h = torch.einsum("bid,dnh->binh", h, self.q)
        h_out = self.post_attention(h, self.attend(q_h, k, v, k_r, seg_diff, mask_h))
        if g is None:
            return h_out, None
        # query stream: same weights, queries from g, keys/values from the content stream (Eq. 4, top)
        q_g = torch.einsum("bpd,dnh->bpnh", g, self.q)  # (B, P, n, dh) one query per target
        # scatter each target's query to its position, so distances and masks are those of that position
        q_g = torch.einsum("bpnh,bpt->btnh", q_g, target_mapping)  # (B, T, n, dh)
        a_g = self.attend(q_g, k, v, k_r, seg_diff, mask_g)
        a_g = torch.einsum("btnh,bpt->bpnh", a_g, target_mapping)  # back to (B, P, n, dh)
        return h_out, self.post_attention(g, a_g)


class FeedForward(nn.Module):
    """Post-norm GELU FFN: LayerNorm(x + W2 GELU(W1 x)), applied to each stream."""

    def __init__(self, cfg: XLNetConfig):
        super().__init__()
        self.layer_1 = nn.Linear(cfg.d_model, cfg.d_inner)
        self.layer_2 = nn.Linear(cfg.d_inner, cfg.d_model)
        self.layer_norm = nn.LayerNorm(cfg.d_model, eps=cfg.layer_norm_eps)
        self.dropout = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.dropout(self.layer_2(self.dropout(F.gelu(self.layer_1(x)))))  # (B, T, d)
        return self.layer_norm(x + y)


class XLNetLayer(nn.Module):
    def __init__(self, cfg: XLNetConfig):
        super().__init__()
        self.rel_attn = RelativeAttention(cfg)
        self.ff = FeedForward(cfg)

    def forward(self, h, g, r, seg_diff, mask_h, mask_g, mem, target_mapping):
        h, g = self.rel_attn(h, g, r, seg_diff, mask_h, mask_g, mem, target_mapping)
        return self.ff(h), (self.ff(g) if g is not None else None)


class XLNet(nn.Module):
    """XLNet backbone. Inputs (B = batch, T = tokens, M = memory length, P = targets):

    - input_ids (B, T); token_type_ids (B, T), optional segment ids;
    - perm_mask (B, T, T), optional: perm_mask[b, i, j] = 1 when i may not see j in the factorisation order;
    - target_mapping (B, P, T), optional one-hot rows: which positions the query stream predicts;
    - mems, optional: one (B, M, d) tensor per layer from a previous call with `use_mems=True`.
    Without perm_mask and target_mapping this is the fine-tuning encoder: bidirectional content stream.
    """

    def __init__(self, cfg: XLNetConfig = XLNET_BASE):
        super().__init__()
        self.cfg = cfg
        self.word_embedding = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.mask_emb = nn.Parameter(torch.empty(1, 1, cfg.d_model))  # w, the query stream's first input
        self.masks = TwoStreamMasks()
        self.pos_enc = RelativePositionalEncoding(cfg.d_model)
        self.layer = nn.ModuleList(XLNetLayer(cfg) for _ in range(cfg.n_layer))
        self.dropout = nn.Dropout(cfg.dropout)
        self._init_weights()

    def _init_weights(self) -> None:
        """N(0, init_std) for every projection, bias vector and embedding; zero biases; unit LayerNorm. Meta-safe."""
        std = self.cfg.init_std
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=std)
                if isinstance(m, nn.Linear):
                    nn.init.zeros_(m.bias)
            elif isinstance(m, RelativeAttention):
                for p in (m.q, m.k, m.v, m.o, m.r, m.r_w_bias, m.r_r_bias, m.r_s_bias, m.seg_embed):
                    nn.init.normal_(p, std=std)
        nn.init.normal_(self.mask_emb, std=std)

    def forward(
        self,
        input_ids: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        perm_mask: torch.Tensor | None = None,
        target_mapping: torch.Tensor | None = None,
        mems: list[torch.Tensor] | tuple[torch.Tensor, ...] | None = None,
        use_mems: bool = False,
    ) -> XLNetOutput:
        B, T = input_ids.shape
        M = mems[0].shape[1] if mems is not None else 0
        K = M + T  # keys: memory then current tokens
        device = input_ids.device

        # masks, True = blocked; without an order every token sees every other (fine-tuning mode)
        mask_h, mask_g = self.masks(perm_mask, M) if perm_mask is not None else (None, None)

        seg_diff = None
        if token_type_ids is not None:  # relative segment encoding: only "same or different" matters
            key_types = F.pad(token_type_ids, (M, 0))  # memory tokens count as segment 0
            seg_diff = token_type_ids[:, :, None] != key_types[:, None, :]  # (B, T, K)

        h = self.dropout(self.word_embedding(input_ids))  # content stream e(x), (B, T, d)
        g = None
        if target_mapping is not None:  # query stream starts as w at every target, (B, P, d)
            g = self.dropout(self.mask_emb.repeat(B, target_mapping.shape[1], 1))  # a copy, not a view of w
        r = self.dropout(self.pos_enc(T, K, device))  # (K + T, d)

        new_mems = []
        for i, layer in enumerate(self.layer):
            mem = mems[i] if mems is not None else None
            if use_mems:  # the memory the next segment will see: this layer's input, without gradient
                new_mems.append((h if mem is None else torch.cat([mem, h], dim=1)).detach())
            h, g = layer(h, g, r, seg_diff, mask_h, mask_g, mem, target_mapping)
        out = self.dropout(g if g is not None else h)
        return XLNetOutput(out, tuple(new_mems) if use_mems else None)


def sample_factorization(
    seq_len: int, num_predict: int, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """One random factorisation order with partial prediction (§2.3), as the two masks XLNet takes.

    Draws an order z of the positions; the last `num_predict` of z are the targets. Non-targets form the
    context and see each other (they are never predicted); target number t sees the context and targets
    1 … t − 1 (the query stream) or 1 … t (the content stream: its own token too).
    Returns perm_mask (1, T, T) float, 1 = may not attend, and target_mapping (1, P, T) one-hot, in order z."""
    z = torch.randperm(seq_len, generator=generator)  # factorisation order
    targets = z[seq_len - num_predict :]
    rank = torch.full((seq_len,), -1)  # context tokens: rank −1, before every target
    rank[targets] = torch.arange(num_predict)
    # i may not see j when j is a target that comes at or after i in the order
    perm_mask = ((rank[None, :] >= rank[:, None]) & (rank[None, :] >= 0)).float()  # (T, T)
    target_mapping = F.one_hot(targets, seq_len).float()  # (P, T)
    return perm_mask[None], target_mapping[None]


# --------------------------------------------------------------------------- Hugging Face checkpoint map

# (Hugging Face XLNetModel name, DeepZoo name); `{i}` is the layer index. The names are the same except
# that the per-layer list is `layer` in both and DeepZoo drops nothing — the map is the identity, kept explicit
# so a renamed parameter on either side fails loudly.
HF_KEY_MAP: tuple[tuple[str, str], ...] = (
    ("word_embedding.weight", "word_embedding.weight"),
    ("mask_emb", "mask_emb"),
    *[
        (f"layer.{{i}}.rel_attn.{p}", f"layer.{{i}}.rel_attn.{p}")
        for p in ("q", "k", "v", "o", "r", "r_w_bias", "r_r_bias", "r_s_bias", "seg_embed")
        + ("layer_norm.weight", "layer_norm.bias")
    ],
    *[
        (f"layer.{{i}}.ff.{p}", f"layer.{{i}}.ff.{p}")
        for p in ("layer_1.weight", "layer_1.bias", "layer_2.weight", "layer_2.bias")
        + ("layer_norm.weight", "layer_norm.bias")
    ],
)


def hf_xlnet_map(model: XLNet) -> KeyMap:
    return KeyMap.from_patterns(HF_KEY_MAP, model.cfg.n_layer, ignore=("lm_loss.*",))  # XLNetLMHeadModel's output bias


def load_hf_xlnet(model: XLNet, hf_state: dict[str, torch.Tensor]) -> None:
    """Load a Hugging Face `XLNetModel` state dict."""
    load_mapped(model, hf_state, hf_xlnet_map(model))


register_layout(
    Layout(
        "hf",
        models=("xlnet_base",),
        key_map=hf_xlnet_map,
        config=lambda config, shapes: hf_overrides(
            config,
            {"vocab_size": "vocab_size", "d_model": "d_model", "n_layer": "n_layer", "n_head": "n_head",
             "d_head": "d_head", "d_inner": "d_inner", "layer_norm_eps": "layer_norm_eps"},
        ),  # fmt: skip
        model_types=("xlnet",),
        prefixes=("", "transformer."),  # XLNetModel, or XLNetLMHeadModel
        note="XLNetModel and XLNetLMHeadModel checkpoints (the LM head's bias is not loaded)",
    )
)
register_checkpoint(
    KnownCheckpoint("xlnet_base", "hf://xlnet/xlnet-base-cased", layout="hf", licence="mit", dataset="BooksCorpus, Wikipedia, Giga5, ClueWeb, Common Crawl")
)


# --------------------------------------------------------------------------- card

XLNET_BASE_CARD = ModelCard(
    key="xlnet_base",
    name="XLNet-Base (cased)",
    family="XLNet",
    domain="nlp",
    task="pre-trained text encoder (permutation language modelling)",
    year=2019,
    paper=Paper(
        "XLNet: Generalized Autoregressive Pretraining for Language Understanding",
        "https://arxiv.org/abs/1906.08237",
        authors="Z. Yang, Z. Dai, Y. Yang, J. Carbonell, R. Salakhutdinov, Q. V. Le",
        venue="NeurIPS 2019",
    ),
    level="advanced",
    summary=(
        "A pre-trained Transformer that learns from context on both sides without BERT's [MASK] tokens: it predicts "
        "the tokens of a sentence one after another in a random order, so on average every word is predicted from "
        "words on its left and right. Two attention streams make this work — one knows a position's content, the "
        "other only where it is — and Transformer-XL's relative positions and segment memory let it use long context."
    ),
    scenarios=(
        "fine-tuning for classification, question answering and reading comprehension (GLUE, SQuAD, RACE)",
        "long-document tasks where segment memory helps",
        "studying permutation language modelling and two-stream attention",
    ),
    strengths=(
        "bidirectional context with an autoregressive objective: no [MASK] mismatch between pre-training and "
        "fine-tuning",
        "relative positional encodings and memory of previous segments for long inputs",
        "outperformed BERT on 20 tasks when it was published",
    ),
    weaknesses=(
        "pre-training is complex and expensive: two streams, sampled orders, partial prediction",
        "relative attention is slower than plain attention and less well supported by fast kernels",
        "overtaken by simpler recipes (RoBERTa, ELECTRA, DeBERTa)",
    ),
    params=Figure(116_718_336, "Hugging Face transformers XLNetModel with the published xlnet-base-cased config"),
    input="SentencePiece ids (B, T) with, optionally, a permutation mask (B, T, T) and target mapping (B, P, T)",
    output="hidden states: content stream (B, T, 768), or query stream (B, P, 768) for the P targets",
    config_note=(
        "XLNet-Base cased: 12 layers, d_model 768, 12 heads of 64, GELU feed-forward 3,072, post-LayerNorm, "
        "bidirectional attention, 32,000-token vocabulary; backbone only (no LM head). Example input: 16 tokens, one "
        "random factorisation order whose last 3 positions are predicted by the query stream."
    ),
    tags=(
        "transformer", "encoder", "xlnet", "permutation language model", "two-stream attention", "transformer-xl",
        "relative position",
    ),
    i18n={
        "zh": {
            "task": "预训练文本编码器（排列语言建模）",
            "summary": "一个预训练 Transformer，无需 BERT 的 [MASK] 词元就能学习双向上下文：它按随机顺序逐个预测句中的词元，"
            "平均而言每个词都由其左右两侧的词来预测。两条注意力流使之成为可能——一条知道某位置的内容，另一条只知道位置本身——"
            "再加上 Transformer-XL 的相对位置编码和片段记忆，可以利用很长的上下文。",
            "scenarios": ["微调用于分类、问答和阅读理解（GLUE、SQuAD、RACE）", "片段记忆有帮助的长文档任务", "研究排列语言建模与双流注意力"],
            "strengths": ["以自回归目标获得双向上下文：预训练与微调之间没有 [MASK] 不一致", "相对位置编码和前一片段的记忆适合长输入", "发表时在 20 项任务上超过 BERT"],
            "weaknesses": ["预训练复杂且昂贵：双流、采样顺序、部分预测", "相对注意力比普通注意力慢，快速内核支持也较少", "已被更简单的方案（RoBERTa、ELECTRA、DeBERTa）超越"],
            "input": "SentencePiece id (B, T)，可选排列掩码 (B, T, T) 与目标映射 (B, P, T)",
            "output": "隐藏状态：内容流 (B, T, 768)，或 P 个预测目标的查询流 (B, P, 768)",
            "config_note": "XLNet-Base cased：12 层，d_model 768，12 个 64 维注意力头，GELU 前馈 3,072，后置 LayerNorm，双向注意力，"
            "32,000 词表；仅骨干网络（无语言模型头）。示例输入：16 个词元，一个随机分解顺序，其最后 3 个位置由查询流预测。",
        }
    },
)


def _example_input() -> dict[str, torch.Tensor]:
    perm_mask, target_mapping = sample_factorization(16, num_predict=3)
    device = perm_mask.device
    return {
        "input_ids": torch.randint(0, XLNET_BASE.vocab_size, (1, 16), device=device),  # B = 1, T = 16
        "perm_mask": perm_mask,  # (1, 16, 16)
        "target_mapping": target_mapping,  # (1, 3, 16)
    }


@register_model(card=XLNET_BASE_CARD, example_input=_example_input)
def xlnet_base(**overrides) -> XLNet:
    return XLNet(replace(XLNET_BASE, **overrides))
