"""DistilBERT — Sanh, Debut, Chaumond & Wolf, "DistilBERT, a distilled version of BERT: smaller, faster,
cheaper and lighter" (NeurIPS 2019 EMC² workshop). https://arxiv.org/abs/1910.01108

Knowledge distillation trains a small "student" to reproduce a large "teacher". DistilBERT's student is
BERT-base with every second layer removed (6 instead of 12), initialised from the teacher's layers, and
pre-trained on the same corpus with three losses added together (§2–3): the cross-entropy against the
teacher's softened output distribution (temperature T), the ordinary masked-language-model loss, and a
cosine loss that aligns the student's hidden states with the teacher's. The token-type embeddings and
the pooler are dropped as well, since next-sentence prediction is gone. The result keeps 97% of BERT's
GLUE score with 40% fewer parameters and runs 60% faster (Table 1, Table 3).

The layers are BERT's post-LN encoder layers (exact GELU, LayerNorm eps 1e-12), reused from
`zoo.nlp.transformer`. `distilbert`: distilbert-base-uncased, 6 layers, dim 768, 12 heads, hidden 3072,
30,522-token vocabulary, 512 positions: 66,362,880 parameters. `hf_distilbert_key_map` names the Hugging
Face `DistilBertModel` key of every parameter, for `zoo.pretrained.load_mapped`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn as nn

from ..card import Figure, Metric, ModelCard, Paper
from ..registry import register_model
from ..pretrained import KeyMap, KnownCheckpoint, Layout, register_checkpoint, register_layout
from ..pretrained.hf import hf_overrides
from .bert import example_ids
from .transformer import EncoderLayer, normal_init


@dataclass(frozen=True)
class DistilBertConfig:
    vocab_size: int = 30_522  # BERT's uncased WordPiece: the student reuses the teacher's tokenizer
    dim: int = 768  # hidden size, as the teacher (only depth was reduced, §3)
    n_layers: int = 6  # half of BERT-base's 12
    n_heads: int = 12
    hidden_dim: int = 3072  # feed-forward inner size
    max_position: int = 512  # learned absolute positions
    dropout: float = 0.1
    attention_dropout: float = 0.1
    layer_norm_eps: float = 1e-12


DISTILBERT_BASE = DistilBertConfig()


class DistilBertEmbeddings(nn.Module):
    """Token + learned position embeddings, LayerNorm, dropout. No segment embedding (§3: token-type removed)."""

    def __init__(self, cfg: DistilBertConfig):
        super().__init__()
        self.word = nn.Embedding(cfg.vocab_size, cfg.dim)
        self.position = nn.Embedding(cfg.max_position, cfg.dim)
        self.norm = nn.LayerNorm(cfg.dim, eps=cfg.layer_norm_eps)
        self.dropout = nn.Dropout(cfg.dropout)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        pos = torch.arange(input_ids.shape[1], device=input_ids.device)  # (T,)
        return self.dropout(self.norm(self.word(input_ids) + self.position(pos)))  # (B, T, dim)


class DistilBERT(nn.Module):
    def __init__(self, cfg: DistilBertConfig = DISTILBERT_BASE):
        super().__init__()
        self.cfg = cfg
        self.embeddings = DistilBertEmbeddings(cfg)
        # BERT's encoder layer unchanged; the student is initialised from every other teacher layer (§3)
        self.layers = nn.ModuleList(
            EncoderLayer(
                cfg.dim,
                cfg.n_heads,
                cfg.hidden_dim,
                cfg.dropout,
                nn.GELU(),  # exact (erf) GELU, as BERT
                attn_bias=True,
                attn_dropout=cfg.attention_dropout,
                eps=cfg.layer_norm_eps,
            )
            for _ in range(cfg.n_layers)
        )
        self.apply(normal_init)  # N(0, 0.02) when trained from scratch; distillation starts from BERT's weights

    def forward(
        self,
        input_ids: torch.Tensor,  # (B, T) WordPiece ids, [CLS] first
        attention_mask: torch.Tensor | None = None,  # (B, T) 1 = real token, 0 = padding
    ) -> torch.Tensor:
        """→ (B, T, dim) contextual token vectors (no pooler: classifiers read the [CLS] vector directly)."""
        mask = None if attention_mask is None else attention_mask[:, None, None, :].bool()  # (B, 1, 1, T)
        x = self.embeddings(input_ids)  # (B, T, dim)
        for layer in self.layers:
            x = layer(x, mask)
        return x


# --------------------------------------------------------------------------- checkpoint map (Hugging Face names)

# One layer, DeepZoo module → Hugging Face TransformerBlock module (each with .weight and .bias).
HF_DISTILBERT_LAYER = {
    "self_attn.w_q": "attention.q_lin",
    "self_attn.w_k": "attention.k_lin",
    "self_attn.w_v": "attention.v_lin",
    "self_attn.w_o": "attention.out_lin",
    "attn_norm": "sa_layer_norm",
    "ffn.w1": "ffn.lin1",
    "ffn.w2": "ffn.lin2",
    "ffn_norm": "output_layer_norm",
}


def hf_distilbert_key_map(cfg: DistilBertConfig, prefix: str = "") -> dict[str, str]:
    """DeepZoo key → key in a Hugging Face `DistilBertModel` state dict (`prefix="distilbert."` for task models)."""
    m = {
        "embeddings.word.weight": "embeddings.word_embeddings.weight",
        "embeddings.position.weight": "embeddings.position_embeddings.weight",
        "embeddings.norm.weight": "embeddings.LayerNorm.weight",
        "embeddings.norm.bias": "embeddings.LayerNorm.bias",
    }
    for i in range(cfg.n_layers):
        for ours, theirs in HF_DISTILBERT_LAYER.items():
            for kind in ("weight", "bias"):
                m[f"layers.{i}.{ours}.{kind}"] = f"transformer.layer.{i}.{theirs}.{kind}"
    return {ours: prefix + theirs for ours, theirs in m.items()}


register_layout(
    Layout(
        "hf",
        models=("distilbert",),
        key_map=lambda model: KeyMap(
            hf_distilbert_key_map(model.cfg),
            # DistilBertForMaskedLM's head, and the constant position-index table some exports save
            ignore=("vocab_transform.*", "vocab_layer_norm.*", "vocab_projector.*", "*embeddings.position_ids"),
        ),
        config=lambda config, shapes: hf_overrides(
            config,
            {"vocab_size": "vocab_size", "dim": "dim", "n_layers": "n_layers", "n_heads": "n_heads",
             "hidden_dim": "hidden_dim", "max_position": "max_position_embeddings"},
        ),  # fmt: skip
        model_types=("distilbert",),
        prefixes=("", "distilbert."),
        note="DistilBertModel and DistilBertFor… checkpoints: the encoder (the MLM head is not loaded)",
    )
)
register_checkpoint(
    KnownCheckpoint(
        "distilbert", "hf://distilbert/distilbert-base-uncased", layout="hf", licence="apache-2.0",
        dataset="BooksCorpus + English Wikipedia (distilled from BERT-base)",
        metric="GLUE macro-score 77.0 (Sanh et al. 2019, Table 1)",
    )
)  # fmt: skip


# --------------------------------------------------------------------------- card

DISTILBERT_CARD = ModelCard(
    key="distilbert",
    name="DistilBERT (base, uncased)",
    family="BERT",
    domain="nlp",
    task="text encoding",
    year=2019,
    paper=Paper(
        "DistilBERT, a distilled version of BERT: smaller, faster, cheaper and lighter",
        "https://arxiv.org/abs/1910.01108",
        authors="V. Sanh, L. Debut, J. Chaumond, T. Wolf",
        venue="NeurIPS 2019 Workshop on Energy Efficient Machine Learning and Cognitive Computing",
    ),
    level="intermediate",
    summary=(
        "A 6-layer BERT trained to imitate the full 12-layer BERT-base: during pre-training it matches the teacher's "
        "predicted word distribution and hidden states as well as the masked words themselves. It keeps about 97% of "
        "BERT-base's GLUE score with 40% fewer parameters and is about 60% faster, which made it a common default for "
        "classification on modest hardware."
    ),
    scenarios=(
        "text classification and sentiment on CPUs or phones",
        "question answering and tagging where BERT-base is too slow",
        "learning how knowledge distillation works",
    ),
    strengths=(
        "66M parameters and half the layers of BERT-base for a small loss in accuracy",
        "same tokenizer and hidden size as BERT-base, so BERT-base heads and pipelines carry over",
    ),
    weaknesses=(
        "a few points below BERT-base on harder tasks (e.g. RTE, CoLA in Table 1)",
        "no segment embeddings: sentence pairs are told apart only by the [SEP] token",
        "needs a trained teacher to reproduce its pre-training",
    ),
    params=Figure(
        66_362_880,
        "transformers 5.24 DistilBertModel built from the released distilbert-base-uncased config (6 layers, dim 768, "
        "12 heads, hidden 3072); Sanh et al. 2019, Table 3 lists 66M",
    ),
    input="WordPiece token ids (B, T ≤ 512), optional attention mask (no segment ids)",
    output="last hidden states (B, T, 768), one contextual vector per token",
    metric=Metric("GLUE macro-score", 77.0, "points", "GLUE dev sets (9 tasks)", "Sanh et al. 2019, Table 1"),
    config_note=(
        "distilbert-base-uncased: 6 layers, dim 768, 12 heads, feed-forward 3072, exact GELU, post-LN, LayerNorm eps "
        "1e-12, 30,522-token uncased vocabulary, 512 learned positions, no token-type embeddings, no pooler. "
        "Example input: one 16-token sequence."
    ),
    tags=("transformer", "encoder", "bert", "distillation", "compression", "masked language model", "efficient"),
    i18n={
        "zh": {
            "task": "文本编码",
            "summary": "一个 6 层的 BERT，训练目标是模仿完整的 12 层 BERT-base：预训练时不仅预测被遮住的词，还要匹配教师模型"
            "输出的词分布和隐藏状态。它以少 40% 的参数保留了 BERT-base 约 97% 的 GLUE 分数，速度快约 60%，"
            "因此成为普通硬件上文本分类的常用默认模型。",
            "scenarios": ["在 CPU 或手机上做文本分类与情感分析", "BERT-base 太慢时的问答与序列标注", "学习知识蒸馏的原理"],
            "strengths": ["6600 万参数、层数只有 BERT-base 的一半，精度损失很小", "分词器与隐藏维度与 BERT-base 相同，BERT-base 的任务头和流程可直接沿用"],
            "weaknesses": [
                "在较难的任务上比 BERT-base 低几个点（如表 1 中的 RTE、CoLA）",
                "没有句段嵌入：句子对只能靠 [SEP] 词元区分",
                "复现其预训练需要一个训练好的教师模型",
            ],
            "input": "WordPiece 词元 id (B, T ≤ 512)，可选注意力掩码（无句段 id）",
            "output": "最后一层隐藏状态 (B, T, 768)，每个词元一个上下文向量",
            "config_note": "distilbert-base-uncased：6 层，维度 768，12 个注意力头，前馈层 3072，精确 GELU，后置 LayerNorm"
            "（eps 1e-12），30,522 词的不区分大小写词表，512 个可学习位置，无句段嵌入，无 pooler。示例输入为一条 16 个词元的序列。",
        }
    },
)


@register_model(card=DISTILBERT_CARD, example_input=example_ids)
def distilbert(**overrides) -> DistilBERT:
    return DistilBERT(replace(DISTILBERT_BASE, **overrides))
