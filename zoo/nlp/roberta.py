"""RoBERTa — Liu, Ott, Goyal, Du, Joshi, Chen, Levy, Lewis, Zettlemoyer & Stoyanov, "RoBERTa: A Robustly
Optimized BERT Pretraining Approach" (2019). https://arxiv.org/abs/1907.11692

RoBERTa is BERT re-trained properly rather than re-designed. The paper's finding is that BERT was
undertrained: the same encoder does much better with (§4–5) dynamic masking (a new mask each time a
sequence is seen), no next-sentence-prediction loss, inputs packed with full sentences up to 512
tokens, much larger batches (8K sequences), ten times more text (160 GB), and longer training. Its
tokenizer is GPT-2's byte-level BPE (50K merges), so no input is ever out of vocabulary.

The network is BERT's, with three differences in the embedding layer that come from fairseq, where it
was trained: one segment type (no sentence pairs in pre-training), LayerNorm eps 1e-5, and position
numbering that starts after the padding index. fairseq numbers real tokens padding_idx + 1,
padding_idx + 2, … and gives every padding token the padding_idx row, so with padding_idx = 1 the
position table has 514 rows for 512 tokens. Hugging Face reproduces this numbering; so does
`RobertaEmbeddings` below. Everything else — encoder layers, pooler, parameter names — is `zoo.nlp.bert`'s,
so `hf_roberta_key_map` is the BERT map.

`roberta_base`: L=12, H=768, A=12, feed-forward 3072, 50,265-token vocabulary, 514 positions, pooler:
124,645,632 parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial

import torch

from ..card import Figure, Metric, ModelCard, Paper
from ..registry import register_model
from ..pretrained import KeyMap, KnownCheckpoint, Layout, register_checkpoint, register_layout
from ..pretrained.layouts import Shapes
from .bert import BERT, HF_BERT_IGNORED, BertConfig, BertEmbeddings, example_ids, hf_bert_config, hf_bert_key_map


@dataclass(frozen=True)
class RobertaConfig(BertConfig):
    vocab_size: int = 50_265  # GPT-2's byte-level BPE plus fairseq's <s>, <pad>, </s>, <unk>, <mask>
    max_position: int = 514  # 512 tokens + the two slots below the first position (padding_idx + 1 = 2)
    type_vocab_size: int = 1  # no sentence pairs in pre-training: one segment
    layer_norm_eps: float = 1e-5  # fairseq's default
    pad_token_id: int = 1  # <pad>; also the position index every padding token gets


ROBERTA_BASE = RobertaConfig()


class RobertaEmbeddings(BertEmbeddings):
    """BERT's embeddings with positions counted over real tokens only, starting at padding_idx + 1."""

    def __init__(self, cfg: RobertaConfig):
        super().__init__(cfg)
        self.pad_token_id = cfg.pad_token_id
        # the padding rows get no gradient, as in fairseq and Hugging Face
        self.word.padding_idx = self.position.padding_idx = cfg.pad_token_id

    def forward(self, input_ids: torch.Tensor, token_type_ids: torch.Tensor) -> torch.Tensor:
        real = input_ids.ne(self.pad_token_id).long()  # (B, T) 1 on tokens, 0 on padding
        # real tokens: pad+1, pad+2, … in order (left padding does not shift them); padding: the pad row
        pos = torch.cumsum(real, dim=1) * real + self.pad_token_id  # (B, T)
        x = self.word(input_ids) + self.position(pos) + self.token_type(token_type_ids)  # (B, T, H)
        return self.dropout(self.norm(x))


class RoBERTa(BERT):
    Embeddings = RobertaEmbeddings

    def __init__(self, cfg: RobertaConfig = ROBERTA_BASE):
        super().__init__(cfg)
        with torch.no_grad():  # padding rows start at zero (normal_init filled them)
            self.embeddings.word.weight[cfg.pad_token_id].zero_()
            self.embeddings.position.weight[cfg.pad_token_id].zero_()


# The module names are BERT's (Hugging Face's RobertaModel has BertModel's layout): `RobertaModel` state dicts
# load with the BERT map (`prefix="roberta."` for task models).
hf_roberta_key_map = hf_bert_key_map


def hf_roberta_config(config, shapes: Shapes) -> dict:
    """BERT's fields, plus the padding index fairseq's positions count from."""
    return {**hf_bert_config(config, shapes), **({"pad_token_id": config["pad_token_id"]} if "pad_token_id" in config else {})}


register_layout(
    Layout(
        "hf",
        models=("roberta_base",),
        key_map=lambda model: KeyMap(hf_roberta_key_map(model.cfg), ignore=HF_BERT_IGNORED + ("lm_head.*",)),
        config=hf_roberta_config,
        model_types=("roberta",),
        prefixes=("", "roberta."),  # RobertaModel, or the encoder inside RobertaForMaskedLM / RobertaFor…
        note="RobertaModel and RobertaFor… checkpoints: encoder (and pooler when saved); the LM head is not loaded",
    )
)
register_checkpoint(
    KnownCheckpoint(
        "roberta_base", "hf://FacebookAI/roberta-base", layout="hf", licence="mit",
        dataset="BookCorpus, English Wikipedia, CC-News, OpenWebText, Stories (160 GB)",
    )
)  # fmt: skip


# --------------------------------------------------------------------------- card

ROBERTA_BASE_CARD = ModelCard(
    key="roberta_base",
    name="RoBERTa-base",
    family="BERT",
    domain="nlp",
    task="text encoding",
    year=2019,
    paper=Paper(
        "RoBERTa: A Robustly Optimized BERT Pretraining Approach",
        "https://arxiv.org/abs/1907.11692",
        authors="Y. Liu, M. Ott, N. Goyal, J. Du, M. Joshi, D. Chen, O. Levy, M. Lewis, L. Zettlemoyer, V. Stoyanov",
        venue="arXiv preprint",
    ),
    level="intermediate",
    summary=(
        "BERT-base's architecture pre-trained the way it should have been: on ten times more text, with much larger "
        "batches, longer, with a fresh random mask each epoch and without the next-sentence task. Nothing in the "
        "network changes except a byte-level BPE vocabulary and fairseq's position numbering, yet it beats BERT on "
        "GLUE, SQuAD and RACE, showing how much pre-training choices matter."
    ),
    scenarios=(
        "text classification, sentiment and natural-language inference",
        "a stronger drop-in replacement for BERT-base encoders",
        "token tagging on noisy text (byte-level BPE has no unknown tokens)",
    ),
    strengths=(
        "clearly better than BERT-base at the same size and inference cost",
        "byte-level BPE encodes any string, emoji and typos included",
    ),
    weaknesses=(
        "pre-training needs far more compute and data than BERT's (the paper's large model trained on 1024 V100 GPUs)",
        "50K-token vocabulary makes the embedding table larger than BERT-base's",
        "input limited to 512 tokens; cost grows quadratically with length",
    ),
    params=Figure(
        124_645_632,
        "transformers 5.24 RobertaModel built from the released roberta-base config (L 12, H 768, A 12, vocabulary "
        "50,265, 514 positions, 1 token type), pooler included; fairseq's RoBERTa README lists 125M",
    ),
    input="byte-level BPE token ids (B, T ≤ 512), <s> first, optional attention mask",
    output="BertOutput(last_hidden_state (B, T, 768), pooler_output (B, 768))",
    metric=Metric(
        "MNLI accuracy",
        87.6,
        "%",
        "MNLI-matched dev (single model, single-task fine-tuning)",
        "fairseq examples/roberta README, GLUE dev results (roberta.base row)",
    ),
    config_note=(
        "roberta-base: L=12, H=768, A=12, feed-forward 3072, exact GELU, post-LN, LayerNorm eps 1e-5, 50,265-token "
        "byte-level BPE vocabulary, 514 learned positions (real tokens numbered from padding_idx + 1 = 2), one segment "
        "type, pooler included. Example input: one 16-token sequence."
    ),
    tags=("transformer", "encoder", "bert", "roberta", "pretrained", "masked language model", "byte-level bpe"),
    i18n={
        "zh": {
            "task": "文本编码",
            "summary": "用应有的方式重新预训练的 BERT-base 结构：文本多十倍、批次大得多、训练更久、每轮重新随机遮词，并去掉下一句预测任务。"
            "网络本身除了字节级 BPE 词表和 fairseq 的位置编号外没有任何改动，却在 GLUE、SQuAD 和 RACE 上超过 BERT，"
            "说明预训练方式有多重要。",
            "scenarios": ["文本分类、情感分析与自然语言推理", "可直接替换 BERT-base 编码器的更强模型", "在噪声文本上做序列标注（字节级 BPE 没有未知词）"],
            "strengths": ["同样的规模和推理开销下明显优于 BERT-base", "字节级 BPE 能编码任意字符串，包括表情符号和错别字"],
            "weaknesses": [
                "预训练所需算力和数据远多于 BERT（论文中的 large 模型在 1024 块 V100 GPU 上训练）",
                "5 万词的词表使嵌入矩阵比 BERT-base 更大",
                "输入最多 512 个词元，计算量随长度平方增长",
            ],
            "input": "字节级 BPE 词元 id (B, T ≤ 512)，以 <s> 开头，可选注意力掩码",
            "output": "BertOutput(last_hidden_state (B, T, 768), pooler_output (B, 768))",
            "config_note": "roberta-base：L=12，H=768，A=12，前馈层 3072，精确 GELU，后置 LayerNorm（eps 1e-5），"
            "50,265 词的字节级 BPE 词表，514 个可学习位置（真实词元从 padding_idx + 1 = 2 开始编号），1 种句段类型，含 pooler。"
            "示例输入为一条 16 个词元的序列。",
        }
    },
)

# <s> = 0, <pad> = 1, </s> = 2 in RoBERTa's vocabulary; words from 3 on
_roberta_ids = partial(example_ids, vocab_size=ROBERTA_BASE.vocab_size, cls=0, sep=2, first_word=3)


@register_model(card=ROBERTA_BASE_CARD, example_input=_roberta_ids)
def roberta_base(**overrides) -> RoBERTa:
    return RoBERTa(replace(ROBERTA_BASE, **overrides))
