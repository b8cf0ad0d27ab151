"""BiLSTM-CRF — Huang, Xu & Yu, "Bidirectional LSTM-CRF Models for Sequence Tagging" (2015),
https://arxiv.org/abs/1508.01991, in the form of Lample et al., "Neural Architectures for Named Entity
Recognition" (NAACL 2016), https://arxiv.org/abs/1603.01360.

A tagger labels every word (e.g. B-PER, I-PER, O in the BIO scheme for named entities). A
bidirectional LSTM reads the sentence both ways, so each word's vector knows its whole context, and a
linear layer turns it into an *emission* score per tag, P_{t,y}. Choosing each word's best tag on its
own can produce impossible sequences (I-PER right after O); a linear-chain CRF on top adds a learned
*transition* score A_{y,y'} for every pair of neighbouring tags, plus scores for the first and last
tag, and scores whole sequences (Lample et al. §2.2):

    s(X, y) = start_{y_1} + Σ_t A_{y_{t-1}, y_t} + Σ_t P_{t, y_t} + end_{y_T}
    p(y | X) = exp s(X, y) / Z(X),        Z(X) = Σ_{y'} exp s(X, y')   (over all K^T tag sequences)

Z is summed by the forward algorithm in O(T·K²) instead of K^T terms:

    α_1(j) = start_j + P_{1,j}
    α_t(j) = logsumexp_i(α_{t-1}(i) + A_{i,j}) + P_{t,j}
    log Z  = logsumexp_j(α_T(j) + end_j)

and the best sequence argmax_y s(X, y) by Viterbi: the same recursion with max instead of logsumexp,
keeping back-pointers. Training minimises −log p(y | X) = log Z − s(X, y).

DeepZoo's configuration is Lample et al.'s word-level model without the character LSTM: 100-d word
embeddings (counted apart — the model takes embedded tokens (B, T, 100)), a BiLSTM of 100 units per
direction (PyTorch layout, two bias vectors), a linear layer 200 → 9 BIO tags (CoNLL-2003: O and B-/I-
for PER, LOC, ORG, MISC) and the CRF's 9×9 transitions with start and end scores: 163,508 parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn as nn

from ..card import Figure, Metric, ModelCard, Paper
from ..registry import register_model
from .recurrent import LSTM, RecurrentConfig

CONLL_TAGS = ("O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-MISC", "I-MISC")


@dataclass(frozen=True)
class BiLSTMCRFConfig:
    embed_dim: int = 100  # pre-trained word embeddings, looked up outside the model
    hidden_size: int = 100  # per direction (Lample et al. §4: 100)
    num_tags: int = len(CONLL_TAGS)


def reverse_padded(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Reverse each sequence's first `lengths[b]` steps and leave its padding where it is: (B, T, …).
    Applying it twice gives x back, so a backward LSTM reads real words first and its outputs map back."""
    T = x.shape[1]
    t = torch.arange(T, device=x.device)[None]  # (1, T)
    idx = torch.where(t < lengths[:, None], lengths[:, None] - 1 - t, t)  # (B, T)
    return x.gather(1, idx.view(*idx.shape, *[1] * (x.dim() - 2)).expand_as(x))


class CRF(nn.Module):
    """Linear-chain CRF over K tags: transitions A (K, K), A[i, j] = score of tag i followed by tag j."""

    def __init__(self, num_tags: int):
        super().__init__()
        self.transitions = nn.Parameter(torch.zeros(num_tags, num_tags))
        self.start = nn.Parameter(torch.zeros(num_tags))  # score of the first tag
        self.end = nn.Parameter(torch.zeros(num_tags))  # score of the last tag
        for p in self.parameters():
            nn.init.uniform_(p, -0.1, 0.1)

    def score(self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """s(X, y) of the given tag sequences: emissions (B, T, K), tags (B, T), mask (B, T) bool → (B,)."""
        B, T, _ = emissions.shape
        lengths = mask.sum(1)
        emit = emissions.gather(2, tags[..., None]).squeeze(-1)  # P_{t, y_t}, (B, T)
        trans = self.transitions[tags[:, :-1], tags[:, 1:]]  # A_{y_{t-1}, y_t}, (B, T-1)
        last = tags.gather(1, (lengths - 1)[:, None]).squeeze(1)  # y_T of each sentence
        return (self.start[tags[:, 0]] + (emit * mask).sum(1) + (trans * mask[:, 1:]).sum(1) + self.end[last])

    def log_partition(self, emissions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """log Z(X) by the forward algorithm: (B,)."""
        alpha = self.start + emissions[:, 0]  # α_1, (B, K)
        for t in range(1, emissions.shape[1]):
            # (B, K, 1) + (K, K) → logsumexp over the previous tag i → (B, K)
            nxt = torch.logsumexp(alpha[:, :, None] + self.transitions, dim=1) + emissions[:, t]
            alpha = torch.where(mask[:, t, None], nxt, alpha)  # padding: the sum stops at the sentence's end
        return torch.logsumexp(alpha + self.end, dim=1)

    def viterbi(self, emissions: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The best tag sequence and its score: (B, T) tags (−1 on padding) and (B,) scores."""
        B, T, K = emissions.shape
        delta = self.start + emissions[:, 0]  # best score of a path ending in each tag, (B, K)
        stay = torch.arange(K, device=emissions.device).expand(B, K)
        pointers = []
        for t in range(1, T):
            best, arg = (delta[:, :, None] + self.transitions).max(dim=1)  # over the previous tag, (B, K)
            m = mask[:, t, None]
            delta = torch.where(m, best + emissions[:, t], delta)
            pointers.append(torch.where(m, arg, stay))  # padding points to itself, so backtracking passes through
        score, tag = (delta + self.end).max(dim=1)  # (B,)
        path = [tag]
        for bp in reversed(pointers):
            tag = bp.gather(1, tag[:, None]).squeeze(1)
            path.append(tag)
        path = torch.stack(path[::-1], dim=1)  # (B, T)
        return path.masked_fill(~mask, -1), score


class BiLSTMCRF(nn.Module):
    def __init__(self, cfg: BiLSTMCRFConfig = BiLSTMCRFConfig()):
        super().__init__()
        self.cfg = cfg
        rc = RecurrentConfig(cfg.embed_dim, cfg.hidden_size)
        self.forward_lstm = LSTM(rc)  # reads left → right
        self.backward_lstm = LSTM(rc)  # reads right → left
        self.emission = nn.Linear(2 * cfg.hidden_size, cfg.num_tags)  # [h→; h←] → P_t
        self.crf = CRF(cfg.num_tags)

    def emissions(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Embedded tokens (B, T, embed_dim), mask (B, T) True on words → emission scores (B, T, K)."""
        if mask is None:
            mask = torch.ones(x.shape[:2], dtype=torch.bool, device=x.device)
        lengths = mask.sum(1)
        fwd, _ = self.forward_lstm(x)  # (B, T, H); outputs on padding are never read
        bwd, _ = self.backward_lstm(reverse_padded(x, lengths))
        h = torch.cat([fwd, reverse_padded(bwd, lengths)], dim=-1)  # (B, T, 2H): each word sees both sides
        return self.emission(h)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Emission scores P (B, T, num_tags) and log Z(X) (B,): with them log p(y | X) = crf.score(P, y, mask) −
        log Z for any tag sequence y. `decode` gives the best sequence (Viterbi), `loss` the training objective."""
        mask = torch.ones(x.shape[:2], dtype=torch.bool, device=x.device) if mask is None else mask
        e = self.emissions(x, mask)
        return e, self.crf.log_partition(e, mask)

    def loss(self, x: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Mean negative log-likelihood −log p(y | X) = log Z − s(X, y)."""
        mask = torch.ones(tags.shape, dtype=torch.bool) if mask is None else mask
        e = self.emissions(x, mask)
        return (self.crf.log_partition(e, mask) - self.crf.score(e, tags, mask)).mean()

    @torch.no_grad()
    def decode(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """The most likely tag sequence (B, T), −1 on padding."""
        mask = torch.ones(x.shape[:2], dtype=torch.bool) if mask is None else mask
        return self.crf.viterbi(self.emissions(x, mask), mask)[0]


@register_model(
    card=ModelCard(
        key="bilstm_crf",
        name="BiLSTM-CRF tagger",
        family="BiLSTM-CRF",
        domain="nlp",
        task="sequence tagging (named-entity recognition)",
        year=2015,
        paper=Paper("Bidirectional LSTM-CRF Models for Sequence Tagging", "https://arxiv.org/abs/1508.01991",
                    authors="Z. Huang, W. Xu, K. Yu", venue="arXiv:1508.01991"),
        level="intermediate",
        summary=(
            "Labels every word of a sentence — person, place, organisation or nothing — by combining two ideas. A "
            "bidirectional LSTM gives each word a score for every tag using the words on both sides. A CRF layer "
            "then scores whole tag sequences, learning which tags may follow which (I-PER never follows O), and "
            "picks the best sequence with the Viterbi algorithm instead of choosing each word's tag alone."
        ),
        scenarios=("named-entity recognition", "part-of-speech tagging and chunking",
                   "extracting fields from addresses, invoices or medical notes"),
        strengths=("tiny (0.16M parameters without the embeddings) and fast",
                   "the CRF guarantees consistent tag sequences and exact best decoding",
                   "the strongest NER design before pretrained Transformers (90.9 F1 on CoNLL-2003)"),
        weaknesses=("needs good word embeddings (here counted apart) for rare words",
                    "the CRF only links neighbouring tags: no long-range label constraints",
                    "surpassed by fine-tuned BERT-style encoders"),
        params=Figure(163_508, "DeepZoo's count: BiLSTM 2×100 on 100-d inputs, linear 200→9, CRF 9×9 + start/end "
                      "(Lample et al. 2016's word-level configuration, without the character LSTM)"),
        input="embedded tokens (B, T, 100) — the 100-d word embeddings are looked up outside the model and not "
        "counted; optional mask (B, T)",
        output="emission scores (B, T, 9) for the BIO tags and the CRF's log-partition log Z (B,); decode() returns "
        "the Viterbi tags (B, T)",
        metric=Metric("F1", 90.94, "F1", "CoNLL-2003 English NER, test", "Lample et al. 2016, Table 1 (LSTM-CRF with "
                      "character embeddings and pretrained word embeddings)"),
        config_note=(
            "Lample et al. 2016's word-level LSTM-CRF: 100-d pretrained word embeddings as input (counted apart), "
            "forward and backward LSTMs of 100 units (PyTorch layout with two bias vectors), linear 200→9 emissions "
            "for the CoNLL-2003 BIO tags, CRF with 9×9 transitions plus start and end scores = 163,508 parameters. "
            "Their character-level LSTM (which lifts F1 by ~1.5) is left out."
        ),
        tags=("rnn", "lstm", "bilstm", "crf", "ner", "tagging", "viterbi", "sequence labelling", "classic"),
        i18n={"zh": {
            "name": "BiLSTM-CRF 序列标注器",
            "task": "序列标注（命名实体识别）",
            "summary": "给句子中的每个词打标签——人名、地名、机构名或都不是——它结合了两个想法。双向 LSTM 利用两侧的词为每个词的每个标签打分；"
            "随后 CRF 层为整个标签序列打分，学会哪些标签可以相邻（I-PER 不会跟在 O 之后），并用 Viterbi 算法选出最优序列，而不是逐词单独选择。",
            "scenarios": ["命名实体识别", "词性标注与组块分析", "从地址、发票或病历中抽取字段"],
            "strengths": ["很小（不含词向量 16 万参数）且快", "CRF 保证标签序列一致，并能精确求出最优解码", "预训练 Transformer 之前最强的 NER 设计（CoNLL-2003 上 F1 90.9）"],
            "weaknesses": ["生僻词依赖好的词向量（这里不计入参数）", "CRF 只连接相邻标签，没有长程的标签约束", "已被微调的 BERT 类编码器超越"],
            "input": "已嵌入的词元 (B, T, 100)——100 维词向量在模型外查表得到，不计入参数；可选掩码 (B, T)",
            "output": "BIO 标签的发射分数 (B, T, 9) 与 CRF 的对数配分函数 log Z (B,)；decode() 返回 Viterbi 标签 (B, T)",
            "config_note": "Lample 等人（2016）的词级 LSTM-CRF：输入 100 维预训练词向量（不计入），前向与后向 LSTM 各 100 单元（PyTorch 布局，两个偏置），"
            "线性层 200→9 输出 CoNLL-2003 BIO 标签的发射分数，CRF 含 9×9 转移分数与起止分数，共 163,508 个参数。未包含其字符级 LSTM（可使 F1 提高约 1.5）。",
        }},
    ),
    example_input=lambda: torch.randn(1, 16, 100),
)
def bilstm_crf(**overrides) -> BiLSTMCRF:
    return BiLSTMCRF(replace(BiLSTMCRFConfig(), **overrides))
