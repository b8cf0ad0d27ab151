"""ALBERT — Lan, Chen, Goodman, Gimpel, Sharma & Soricut, "ALBERT: A Lite BERT for Self-supervised
Learning of Language Representations" (ICLR 2020). https://arxiv.org/abs/1909.11942

ALBERT keeps BERT's post-LN encoder and cuts its parameters with two changes (§3.1):
- Factorised embedding parameterisation. BERT ties the WordPiece embedding size E to the hidden size
  H, so the V × H table grows with the model although embeddings are context-free and need less room.
  ALBERT embeds tokens in E = 128 dimensions and projects them up with one E × H matrix:
  V·E + E·H parameters instead of V·H (for V = 30,000, H = 768: 3.9M instead of 23M).
- Cross-layer parameter sharing. All L layers apply the *same* encoder layer (attention and
  feed-forward), so depth adds computation but no parameters: ALBERT-base has 12 layers of compute and
  one layer of weights. (Hugging Face generalises this to `num_hidden_groups` groups of shared layers;
  the released models use one group, which is what `num_groups` = 1 builds here.)
It also replaces next-sentence prediction with sentence-order prediction (is the pair in the right
order?) as the second pre-training loss; that changes training, not the architecture.

`albert_base`: ALBERT-base v2 (Google's October 2019 release: no dropout, more data, longer training),
V=30,000 SentencePiece, E=128, H=768, L=12, A=12, feed-forward 3072, tanh-approximated GELU ("gelu_new"
in the released config), pooler: 11,683,584 parameters. `hf_albert_key_map` names the Hugging Face
`AlbertModel` key of every parameter, for `zoo.pretrained.load_mapped`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial

import torch
import torch.nn as nn

from ..card import Figure, Metric, ModelCard, Paper
from ..registry import register_model
from ..pretrained import KeyMap, KnownCheckpoint, Layout, PretrainedError, register_checkpoint, register_layout
from ..pretrained.hf import hf_overrides
from .bert import HF_BERT_IGNORED, BertOutput, Pooler, example_ids
from .transformer import EncoderLayer, normal_init


@dataclass(frozen=True)
class AlbertConfig:
    vocab_size: int = 30_000  # SentencePiece vocabulary V
    embedding_size: int = 128  # E: token embeddings live in this smaller space (§3.1)
    hidden_size: int = 768  # H
    num_layers: int = 12  # L: layers of computation
    num_groups: int = 1  # distinct parameter sets shared by the L layers (1 = share everything, as released)
    num_heads: int = 12
    intermediate_size: int = 3072  # 4H
    max_position: int = 512
    type_vocab_size: int = 2  # segments A and B (sentence-order prediction still uses pairs)
    dropout: float = 0.0  # v2 removed dropout (the paper found it hurts models that do not overfit)
    layer_norm_eps: float = 1e-12


ALBERT_BASE = AlbertConfig()


class AlbertEmbeddings(nn.Module):
    """Token + position + segment embeddings of size E, LayerNorm, then the E → H projection (§3.1)."""

    def __init__(self, cfg: AlbertConfig):
        super().__init__()
        self.word = nn.Embedding(cfg.vocab_size, cfg.embedding_size)  # V × E instead of V × H
        self.position = nn.Embedding(cfg.max_position, cfg.embedding_size)
        self.token_type = nn.Embedding(cfg.type_vocab_size, cfg.embedding_size)
        self.norm = nn.LayerNorm(cfg.embedding_size, eps=cfg.layer_norm_eps)
        self.dropout = nn.Dropout(cfg.dropout)
        self.project = nn.Linear(cfg.embedding_size, cfg.hidden_size)  # E × H, the second factor

    def forward(self, input_ids: torch.Tensor, token_type_ids: torch.Tensor) -> torch.Tensor:
        pos = torch.arange(input_ids.shape[1], device=input_ids.device)  # (T,)
        e = self.word(input_ids) + self.position(pos) + self.token_type(token_type_ids)  # (B, T, E)
        return self.project(self.dropout(self.norm(e)))  # (B, T, H)


class ALBERT(nn.Module):
    def __init__(self, cfg: AlbertConfig = ALBERT_BASE):
        super().__init__()
        assert cfg.num_layers % cfg.num_groups == 0, "layers are split evenly among the shared groups"
        self.cfg = cfg
        self.embeddings = AlbertEmbeddings(cfg)
        # num_groups distinct BERT encoder layers; each is applied num_layers / num_groups times in a row
        self.shared = nn.ModuleList(
            EncoderLayer(
                cfg.hidden_size,
                cfg.num_heads,
                cfg.intermediate_size,
                cfg.dropout,
                nn.GELU(approximate="tanh"),  # "gelu_new" in the released config
                attn_bias=True,
                attn_dropout=cfg.dropout,
                eps=cfg.layer_norm_eps,
            )
            for _ in range(cfg.num_groups)
        )
        self.pooler = Pooler(cfg.hidden_size)  # tanh(W h_[CLS]), as BERT
        self.apply(normal_init)

    def forward(
        self,
        input_ids: torch.Tensor,  # (B, T) SentencePiece ids, [CLS] first
        attention_mask: torch.Tensor | None = None,  # (B, T) 1 = real token, 0 = padding
        token_type_ids: torch.Tensor | None = None,  # (B, T) 0 = segment A, 1 = segment B
    ) -> BertOutput:
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        mask = None if attention_mask is None else attention_mask[:, None, None, :].bool()  # (B, 1, 1, T)
        x = self.embeddings(input_ids, token_type_ids)  # (B, T, H)
        per_group = self.cfg.num_layers // self.cfg.num_groups
        for i in range(self.cfg.num_layers):
            x = self.shared[i // per_group](x, mask)  # the same weights at every depth (one group)
        return BertOutput(x, self.pooler(x))


# --------------------------------------------------------------------------- checkpoint map (Hugging Face names)

# The shared layer, DeepZoo module → Hugging Face AlbertLayer module (each with .weight and .bias).
HF_ALBERT_LAYER = {
    "self_attn.w_q": "attention.query",
    "self_attn.w_k": "attention.key",
    "self_attn.w_v": "attention.value",
    "self_attn.w_o": "attention.dense",
    "attn_norm": "attention.LayerNorm",
    "ffn.w1": "ffn",
    "ffn.w2": "ffn_output",
    "ffn_norm": "full_layer_layer_norm",
}


def hf_albert_key_map(cfg: AlbertConfig, prefix: str = "") -> dict[str, str]:
    """DeepZoo key → key in a Hugging Face `AlbertModel` state dict (`prefix="albert."` for task models).

    Hugging Face nests each group's layers one level deeper (`albert_layers.j`, "inner groups"); every
    released ALBERT has one layer per group, so j is always 0 here."""
    m = {
        "embeddings.word.weight": "embeddings.word_embeddings.weight",
        "embeddings.position.weight": "embeddings.position_embeddings.weight",
        "embeddings.token_type.weight": "embeddings.token_type_embeddings.weight",
        "embeddings.norm.weight": "embeddings.LayerNorm.weight",
        "embeddings.norm.bias": "embeddings.LayerNorm.bias",
        "embeddings.project.weight": "encoder.embedding_hidden_mapping_in.weight",
        "embeddings.project.bias": "encoder.embedding_hidden_mapping_in.bias",
        "pooler.dense.weight": "pooler.weight",
        "pooler.dense.bias": "pooler.bias",
    }
    for g in range(cfg.num_groups):
        for ours, theirs in HF_ALBERT_LAYER.items():
            for kind in ("weight", "bias"):
                m[f"shared.{g}.{ours}.{kind}"] = f"encoder.albert_layer_groups.{g}.albert_layers.0.{theirs}.{kind}"
    return {ours: prefix + theirs for ours, theirs in m.items()}


def hf_albert_config(config, shapes) -> dict:
    if config is not None and config.get("inner_group_num", 1) != 1:
        raise PretrainedError("ALBERT checkpoints with inner_group_num > 1 are not supported (every release has 1)")
    return hf_overrides(
        config,
        {"vocab_size": "vocab_size", "embedding_size": "embedding_size", "hidden_size": "hidden_size",
         "num_layers": "num_hidden_layers", "num_groups": "num_hidden_groups", "num_heads": "num_attention_heads",
         "intermediate_size": "intermediate_size", "max_position": "max_position_embeddings",
         "type_vocab_size": "type_vocab_size", "layer_norm_eps": "layer_norm_eps"},
    )  # fmt: skip


register_layout(
    Layout(
        "hf",
        models=("albert_base",),
        key_map=lambda model: KeyMap(
            hf_albert_key_map(model.cfg),
            ignore=HF_BERT_IGNORED + ("predictions.*", "sop_classifier.*"),  # AlbertForMaskedLM / ForPreTraining heads
        ),
        config=hf_albert_config,
        model_types=("albert",),
        prefixes=("", "albert."),
        note="AlbertModel and AlbertFor… checkpoints: encoder and pooler (pre-training heads are not loaded)",
    )
)
register_checkpoint(
    KnownCheckpoint(
        "albert_base", "hf://albert/albert-base-v2", layout="hf", licence="apache-2.0",
        dataset="BooksCorpus + English Wikipedia",
    )
)  # fmt: skip


# --------------------------------------------------------------------------- card

ALBERT_BASE_CARD = ModelCard(
    key="albert_base",
    name="ALBERT-base v2",
    family="BERT",
    domain="nlp",
    task="text encoding",
    year=2019,
    paper=Paper(
        "ALBERT: A Lite BERT for Self-supervised Learning of Language Representations",
        "https://arxiv.org/abs/1909.11942",
        authors="Z. Lan, M. Chen, S. Goodman, K. Gimpel, P. Sharma, R. Soricut",
        venue="ICLR 2020",
    ),
    level="intermediate",
    summary=(
        "A BERT with a tenth of the parameters: tokens are embedded in 128 dimensions and projected up to the "
        "768-wide encoder, and all 12 layers share one set of weights. It is pre-trained with masked words plus a "
        "sentence-order task. ALBERT-base v2 has 12M parameters yet scores close to BERT-base; compute per token is "
        "the same as BERT-base, only memory shrinks."
    ),
    scenarios=(
        "text classification and question answering where memory or download size is tight",
        "seeing how far parameter sharing can go",
        "multilingual or domain models with large vocabularies (the factorised embedding saves the most there)",
    ),
    strengths=(
        "11.7M parameters: about 47 MB of float32 weights for a 12-layer, 768-wide encoder",
        "large vocabularies are cheap: V·128 + 128·768 embedding parameters instead of V·768",
    ),
    weaknesses=(
        "not faster than BERT-base: every one of the 12 layers still runs",
        "in the paper's ablations, sharing every layer costs some accuracy compared with separate layers",
        "SentencePiece vocabulary differs from BERT's; tokenizers are not interchangeable",
    ),
    params=Figure(
        11_683_584,
        "transformers 5.24 AlbertModel built from the released albert-base-v2 config (V 30,000, E 128, H 768, 12 "
        "layers in 1 shared group, 12 heads, intermediate 3072), pooler included; Lan et al. 2020, Table 1 lists 12M",
    ),
    input="SentencePiece token ids (B, T ≤ 512), optional attention mask and segment ids",
    output="BertOutput(last_hidden_state (B, T, 768), pooler_output (B, 768))",
    metric=Metric(
        "average score",
        82.3,
        "points",
        "SQuAD1.1, SQuAD2.0, MNLI, SST-2, RACE (dev)",
        "google-research/albert README, v2 results table (ALBERT-base row)",
    ),
    config_note=(
        "albert-base-v2: vocabulary 30,000, embedding size 128 projected to hidden 768, 12 layers that all share one "
        "layer's weights, 12 heads, feed-forward 3072, tanh-approximated GELU, post-LN, LayerNorm eps 1e-12, no "
        "dropout (v2), 512 learned positions, 2 segment types, pooler included. Example input: one 16-token sequence."
    ),
    tags=("transformer", "encoder", "bert", "albert", "parameter sharing", "factorised embedding", "efficient"),
    i18n={
        "zh": {
            "task": "文本编码",
            "summary": "参数只有 BERT 十分之一的 BERT：词元先嵌入到 128 维，再投影到 768 维的编码器，而且 12 层共用同一组权重。"
            "预训练任务是遮词预测加句子顺序判断。ALBERT-base v2 只有 1200 万参数，成绩却接近 BERT-base；"
            "不过每个词元的计算量与 BERT-base 相同，节省的只是内存。",
            "scenarios": ["内存或下载体积受限时的文本分类与问答", "观察参数共享能走多远", "词表很大的多语言或领域模型（因式分解嵌入在这里省得最多）"],
            "strengths": ["1170 万参数：12 层、768 宽的编码器，float32 权重约 47 MB", "大词表很便宜：嵌入参数为 V·128 + 128·768，而不是 V·768"],
            "weaknesses": [
                "并不比 BERT-base 快：12 层仍要逐层计算",
                "论文的消融实验表明，所有层共享权重比各层独立会损失一些精度",
                "SentencePiece 词表与 BERT 不同，分词器不能混用",
            ],
            "input": "SentencePiece 词元 id (B, T ≤ 512)，可选注意力掩码与句段 id",
            "output": "BertOutput(last_hidden_state (B, T, 768), pooler_output (B, 768))",
            "config_note": "albert-base-v2：词表 30,000，嵌入维度 128 并投影到隐藏维度 768，12 层共用一层的权重，12 个注意力头，"
            "前馈层 3072，tanh 近似 GELU，后置 LayerNorm（eps 1e-12），无 dropout（v2），512 个可学习位置，2 种句段类型，"
            "含 pooler。示例输入为一条 16 个词元的序列。",
        }
    },
)

# [CLS] = 2 and [SEP] = 3 in ALBERT's SentencePiece vocabulary; ids 0-4 are special
_albert_ids = partial(example_ids, vocab_size=ALBERT_BASE.vocab_size, cls=2, sep=3, first_word=5)


@register_model(card=ALBERT_BASE_CARD, example_input=_albert_ids)
def albert_base(**overrides) -> ALBERT:
    return ALBERT(replace(ALBERT_BASE, **overrides))
