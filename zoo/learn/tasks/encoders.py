"""Pre-training text encoders on Python's help texts, read as bytes, the way each paper pre-trains them.

The text is `zoo.learn.datasets`' `pydoc_bytes` (the same train / held-out split as the byte language
models). Three objectives:

- **masked language modelling** (`pydoc_mlm`: BERT, RoBERTa, ALBERT, DistilBERT, MiniLM). Devlin et al. 2019
  §3.1, Task #1: 15% of the byte positions are chosen; of those, 80% become [MASK], 10% a random byte and 10%
  stay as they are, and the model predicts the original byte at every chosen position (cross-entropy over the
  vocabulary, through an output layer tied to the input embedding). The mask is drawn afresh every time a
  sequence is seen: RoBERTa's dynamic masking (Liu et al. 2019 §4.1); BERT itself masked each sequence ten ways
  once, before training, which a per-step draw replaces here for every model. The second loss follows each paper:
  next-sentence prediction for BERT (§3.1, Task #2: half the time segment B is the text that follows A, half a
  piece from elsewhere), sentence-order prediction for ALBERT (Lan et al. 2020 §4.2: A and B are consecutive,
  half the time swapped), both scored from the pooled [CLS] vector; none for RoBERTa (dropped in its §4.2) and
  DistilBERT (dropped in its §3). DistilBERT and MiniLM are distilled from a larger teacher in their papers
  (Sanh et al. 2019 §2; Wang et al. 2020 §3); no teacher exists here, so they pre-train by masked language
  modelling directly, which their reductions say. A "sentence" is a fixed-length piece of bytes. ALBERT's n-gram
  masking (spans of up to 3 words, its §4.1) is not used: bytes are masked one by one, as in BERT.
  The registry models are encoders without an output head; `masked_lm` wraps one with BERT's head: a transform
  (dense, GELU, LayerNorm) and a decoder whose weight is the input embedding, plus an output bias (for ALBERT
  the transform maps to the embedding size E, as ALBERT's own head does).
  Held-out metric: the share of masked bytes predicted exactly, on a FIXED masking of fixed held-out windows
  (drawn once from a generator of its own), with the loss and perplexity on those positions.

- **bidirectional language modelling** (`pydoc_bilm`: ELMo). Peters et al. 2018 §3.1: a forward LSTM language
  model predicts each token from the ones before it, a backward one from the ones after it, and training
  minimises the sum of both directions' negative log-likelihoods, with the token representation and the softmax
  shared by the two directions. Tokens are bytes here: each byte is a one-character "word" for the character
  CNN (<bow> byte <eow>), so the CNN keeps only the filters that fit 3 characters. The scalar mix of Eq. 1 is
  learned per downstream task, after pre-training: it is frozen. Metric: the average of the forward and
  backward held-out perplexities, as the paper reports them (§3.4).

- **permutation language modelling** (`pydoc_plm`: XLNet). Yang et al. 2019 §2.2–2.3: for each sequence a
  factorisation order z is drawn, and the last 1/K of z are predicted autoregressively from the tokens before
  them in z (partial prediction, K = 6), through the query stream of two-stream attention; the model takes the
  order as `perm_mask` and the targets as `target_mapping` (`zoo.nlp.xlnet.sample_factorization`). The output
  layer is tied to the input embedding with a bias of its own (Hugging Face's `XLNetLMHeadModel`). Without
  segment recurrence (memory) and with one segment per sequence. Metric: held-out perplexity of the predicted
  bytes, for fixed orders of fixed windows.

Byte ids: the masked-LM models read 4 special ids first ([PAD] 0, [CLS] 1, [SEP] 2, [MASK] 3), then byte b as
b + 4 (260 ids; RoBERTa's position numbering counts from its padding id, which is 0 here). ELMo and XLNet read
the 256 bytes as they are. Widths, depths and contexts are reduced, as for the byte language models, so that a
default run takes about two minutes on one CPU thread: the Transformers become 4 layers of width 128 (4 heads,
feed-forward 512; ALBERT applies its one shared layer 4 times, with E = 64) over 64 tokens; ELMo keeps its two
LSTM layers per direction at 256 cells projected to 64, over windows of 32 bytes, each window a "sentence"
between <S> and </S>. Dropout stays as each config has it.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..datasets import DatasetInfo, TrainData, _pydoc_bytes
from ..plans import Reduction, TrainPlan

__all__ = ["DATASETS", "REDUCTIONS", "plans", "masked_lm", "bidirectional_lm", "permutation_lm"]

PAD, CLS, SEP, MASK = 0, 1, 2, 3
SPECIALS = 4
MLM_VOCAB = 256 + SPECIALS

MASK_SHARE = 0.15  # Devlin et al. 2019 §3.1
MASK_SPLIT = (0.8, 0.1, 0.1)  # [MASK] / random / unchanged
PLM_K = 6  # Yang et al. 2019 §2.3: predict the last 1/K of each order (K = 6 or 7 in §3.1)
HELD_OUT_SEED = 0  # the fixed masks, pairs and orders of the held-out windows
EVAL_WINDOWS = 128


# --------------------------------------------------------------------------------------------- masked LM


class MaskedLMHead(nn.Module):
    """BERT's masked-LM output (Hugging Face `BertLMPredictionHead`): dense → GELU → LayerNorm, then the decoder,
    whose weight is the input embedding table (not a parameter of its own), plus a per-token bias."""

    def __init__(self, hidden: int, embedding: nn.Embedding, eps: float):
        super().__init__()
        dim = embedding.weight.shape[1]  # H, or E for ALBERT
        self.dense = nn.Linear(hidden, dim)
        self.norm = nn.LayerNorm(dim, eps=eps)
        self.bias = nn.Parameter(torch.zeros(embedding.weight.shape[0]))
        self.embedding = [embedding]  # in a list: the table belongs to the encoder, not to this head's state

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return F.linear(self.norm(F.gelu(self.dense(h))), self.embedding[0].weight, self.bias)


class MaskedLM(nn.Module):
    """An encoder with the masked-LM head and, for BERT and ALBERT, the pair head over the pooled [CLS] vector
    (next-sentence or sentence-order prediction: 2 classes).

    forward(input_ids (B, T), token_type_ids (B, T) | None, positions (B, T) bool | None) →
    (scores (N, V) at the N chosen positions (all B·T if None), pair scores (B, 2) or None)."""

    def __init__(self, encoder: nn.Module, pair: bool):
        super().__init__()
        self.encoder = encoder
        cfg = encoder.cfg
        hidden = getattr(cfg, "hidden_size", None) or cfg.dim
        self.takes_segments = hasattr(cfg, "type_vocab_size") and cfg.type_vocab_size > 1
        self.mlm = MaskedLMHead(hidden, encoder.embeddings.word, cfg.layer_norm_eps)
        self.pair = nn.Linear(hidden, 2) if pair else None
        pooler = getattr(encoder, "pooler", None)
        if pooler is not None and not pair:
            pooler.requires_grad_(False)  # a sentence-level layer no loss reaches here (and DDP wants every weight used)
        for m in (self.mlm, self.pair):
            if m is not None:
                _bert_init(m)

    def forward(self, input_ids, token_type_ids=None, positions=None):
        if self.takes_segments:
            out = self.encoder(input_ids, token_type_ids=token_type_ids)
        else:
            out = self.encoder(input_ids)
        h = out if isinstance(out, torch.Tensor) else out[0]  # (B, T, H)
        h = h[positions] if positions is not None else h.reshape(-1, h.shape[-1])
        pair = self.pair(out[1]) if self.pair is not None else None
        return self.mlm(h), pair


def _bert_init(m: nn.Module) -> None:
    from zoo.nlp.transformer import normal_init

    m.apply(normal_init)


def masked_lm(plan: TrainPlan, generator: torch.Generator, **overrides: Any) -> MaskedLM:
    """The plan's encoder (its own config, reduced) with BERT's pre-training heads."""
    import zoo

    encoder = zoo.create_model(plan.key, **{**plan.overrides, **overrides})
    return MaskedLM(encoder, pair=plan.data_options.get("pair") is not None)


def _mask(ids: torch.Tensor, maskable: torch.Tensor, generator: torch.Generator | None = None):
    """Devlin et al. §3.1: choose 15% of the maskable positions (at least one per sequence); of those, 80% →
    [MASK], 10% → a random byte, 10% unchanged. Returns (corrupted ids, chosen positions (B, T) bool)."""
    u = torch.rand(ids.shape, generator=generator).masked_fill(~maskable, 2.0)
    chosen = u < MASK_SHARE
    first = u.argmin(1)  # a sequence whose draw chose nothing still predicts its least-drawn position
    chosen[torch.arange(len(ids)), first] = True
    how = torch.rand(ids.shape, generator=generator)
    random_bytes = torch.randint(SPECIALS, MLM_VOCAB, ids.shape, generator=generator)
    out = torch.where(chosen & (how < MASK_SPLIT[0]), torch.full_like(ids, MASK), ids)
    out = torch.where(chosen & (how >= MASK_SPLIT[0]) & (how < MASK_SPLIT[0] + MASK_SPLIT[1]), random_bytes, out)
    return out, chosen


MLM_INFO = DatasetInfo(
    "pydoc_mlm", "masked_language_modelling",
    "pydoc_data.topics as UTF-8 bytes (vocabulary 256 + [PAD] [CLS] [SEP] [MASK]), last 10% held out; 15% of the "
    "bytes masked (80% [MASK], 10% random, 10% kept), a new mask every step; BERT and ALBERT read two pieces "
    "[CLS] A [SEP] B [SEP] for next-sentence or sentence-order prediction; held out: 128 windows with one fixed mask",
    "masked_accuracy", True, percent=True)


class PydocMasked(TrainData):
    """Windows of the training bytes as [CLS] x [SEP] (no pair objective) or [CLS] A [SEP] B [SEP] with A and B
    of `(seq_len - 3) // 2` bytes (next-sentence or sentence-order prediction: `pair` = "nsp" / "sop")."""

    info = MLM_INFO

    def __init__(self, seq_len: int = 64, pair: str | None = None, eval_windows: int = EVAL_WINDOWS):
        if pair not in (None, "nsp", "sop"):
            raise ValueError("pair must be None, 'nsp' or 'sop'")
        self.seq_len, self.pair = int(seq_len), pair
        self.segment = (self.seq_len - 3) // 2 if pair else self.seq_len - 2
        self.span = 2 * self.segment if pair else self.segment  # bytes per example
        train, held_out = _pydoc_bytes()
        self.train = train + SPECIALS
        self.starts = torch.arange((len(train) - self.span) // self.span) * self.span
        self.val = _held_out_masked(self.seq_len, pair, eval_windows)

    def __len__(self) -> int:
        return len(self.starts)

    def batch(self, indices, device="cpu"):
        idx = self.starts[indices][:, None] + torch.arange(self.span)
        return self.train[idx].to(device)  # (B, span) byte ids

    def _pairs(self, pieces: torch.Tensor, generator: torch.Generator | None = None):
        """(B, span) bytes → ids, segment ids, maskable positions and pair labels (None without a pair task)."""
        return _assemble(pieces, self.pair, self.segment, self.train, generator)

    def loss(self, model, batch):
        ids, types, maskable, labels = self._pairs(batch)
        corrupted, chosen = _mask(ids, maskable)
        scores, pair = model(corrupted, types, chosen)
        loss = F.cross_entropy(scores.float(), ids[chosen])
        if pair is not None:  # Devlin et al.: the sum of the two losses (Appendix A.2)
            loss = loss + F.cross_entropy(pair.float(), labels)
        return loss

    @torch.no_grad()
    def evaluate(self, model, cancel=None, batch_size: int = 64):
        model.eval()
        device = next(model.parameters()).device
        corrupted, types, chosen, targets, labels = self.val
        correct = total = pair_correct = 0
        nll = 0.0
        for i in range(0, len(corrupted), batch_size):
            if cancel is not None and cancel.is_set():
                return None
            s = slice(i, i + batch_size)
            c = chosen[s].to(device)
            scores, pair = model(corrupted[s].to(device), types[s].to(device), c)
            target = targets[s].to(device)[c]
            scores = scores.float()
            nll += float(F.cross_entropy(scores, target, reduction="sum"))
            correct += int((scores.argmax(-1) == target).sum())
            total += len(target)
            if pair is not None:
                pair_correct += int((pair.argmax(-1) == labels[s].to(device)).sum())
        out = {"masked_accuracy": correct / total, "loss": nll / total, "perplexity": math.exp(nll / total)}
        if self.pair is not None:
            out[f"{self.pair}_accuracy"] = pair_correct / len(corrupted)
        return out


def _assemble(pieces: torch.Tensor, pair: str | None, segment: int, source: torch.Tensor,
              generator: torch.Generator | None = None):
    B = len(pieces)
    cls, sep = torch.full((B, 1), CLS), torch.full((B, 1), SEP)
    if pair is None:
        ids = torch.cat([cls, pieces, sep], 1)
        types = torch.zeros_like(ids)
        labels = None
    else:
        a, b = pieces[:, :segment], pieces[:, segment:]
        labels = (torch.rand(B, generator=generator) < 0.5).long()  # 1: NotNext (nsp) / swapped (sop)
        if pair == "nsp":  # B is the text after A, or a piece from anywhere in the training text
            starts = torch.randint(0, len(source) - segment, (B,), generator=generator)
            other = source[starts[:, None] + torch.arange(segment)]
            b = torch.where(labels[:, None].bool(), other, b)
        else:  # sentence order: the same two consecutive pieces, in order or swapped
            a, b = torch.where(labels[:, None].bool(), b, a), torch.where(labels[:, None].bool(), a, b)
        ids = torch.cat([cls, a, sep, b, sep], 1)
        types = torch.cat([torch.zeros(B, segment + 2, dtype=torch.long), torch.ones(B, segment + 1, dtype=torch.long)], 1)
    maskable = ids >= SPECIALS
    return ids, types, maskable, labels


@functools.lru_cache(maxsize=8)
def _held_out_masked(seq_len: int, pair: str | None, windows: int):
    """The first `windows` held-out windows, paired and masked once with a generator of their own: the same
    masked positions for every run and every evaluation. Pieces for next-sentence prediction come from the
    held-out text too."""
    _, held_out = _pydoc_bytes()
    held_out = held_out + SPECIALS
    segment = (seq_len - 3) // 2 if pair else seq_len - 2
    span = 2 * segment if pair else segment
    n = min(windows, len(held_out) // span)
    pieces = held_out[torch.arange(n)[:, None] * span + torch.arange(span)]
    g = torch.Generator().manual_seed(HELD_OUT_SEED)
    ids, types, maskable, labels = _assemble(pieces, pair, segment, held_out, g)
    corrupted, chosen = _mask(ids, maskable, g)
    labels = labels if labels is not None else torch.zeros(n, dtype=torch.long)
    return corrupted, types, chosen, ids, labels


# ---------------------------------------------------------------------------------------------- ELMo biLM


def _byte_chars(ids: torch.Tensor) -> torch.Tensor:
    """Bytes (B, T) → ELMo character ids (B, T, 3): each byte is a one-character word <bow> b <eow>, ids + 1
    (AllenNLP's numbering, 0 = padding)."""
    from zoo.nlp.elmo import BOW_CHAR, EOW_CHAR

    B, T = ids.shape
    chars = torch.stack([torch.full((B, T), BOW_CHAR), ids.cpu(), torch.full((B, T), EOW_CHAR)], -1) + 1
    return chars.to(ids.device)


class BidirectionalLM(nn.Module):
    """ELMo's biLM with the pre-training softmax, shared by both directions (Peters et al. §3.1).

    forward(bytes (B, T)) → (forward scores (B, T, 256): byte t from bytes < t; backward scores (B, T, 256):
    byte t from bytes > t)."""

    def __init__(self, elmo: nn.Module):
        super().__init__()
        self.elmo = elmo
        self.dim = elmo.cfg.dim
        self.softmax = nn.Linear(self.dim, 256)
        elmo.mix_weights.requires_grad_(False)  # Eq. 1's task weights: fitted per task, after pre-training
        elmo.gamma.requires_grad_(False)

    def forward(self, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        layers, _ = self.elmo.layers(_byte_chars(ids))  # (L + 1, B, T + 2, 2·dim): <S> bytes </S>
        top = layers[-1]
        T = ids.shape[1]
        # the forward LM's state at <S>, byte 0, … predicts the next token; the backward LM's at byte 1, … </S>
        # predicts the previous one
        fwd = top[:, :T, : self.dim]
        bwd = top[:, 2:, self.dim :]
        return self.softmax(fwd), self.softmax(bwd)


def bidirectional_lm(plan: TrainPlan, generator: torch.Generator, **overrides: Any) -> BidirectionalLM:
    import zoo

    return BidirectionalLM(zoo.create_model(plan.key, **{**plan.overrides, **overrides}))


BILM_INFO = DatasetInfo(
    "pydoc_bilm", "bidirectional_language_modelling",
    "pydoc_data.topics as UTF-8 bytes (vocabulary 256), last 10% held out; every byte is predicted from the bytes "
    "before it (forward LM) and from the bytes after it (backward LM)", "perplexity", False)


class PydocBidirectional(TrainData):
    """Non-overlapping windows of `seq_len` training bytes; loss = forward NLL + backward NLL (Peters et al. §3.1)."""

    info = BILM_INFO

    def __init__(self, seq_len: int = 32, eval_windows: int = 128):
        self.seq_len = int(seq_len)
        train, held_out = _pydoc_bytes()
        self.train = train
        self.starts = torch.arange(len(train) // self.seq_len) * self.seq_len
        m = min(eval_windows, len(held_out) // self.seq_len)
        self.val = held_out[torch.arange(m)[:, None] * self.seq_len + torch.arange(self.seq_len)]

    def __len__(self) -> int:
        return len(self.starts)

    def batch(self, indices, device="cpu"):
        return self.train[self.starts[indices][:, None] + torch.arange(self.seq_len)].to(device)

    def _nll(self, model, ids, reduction="mean"):
        fwd, bwd = model(ids)
        f = F.cross_entropy(fwd.float().reshape(-1, 256), ids.reshape(-1), reduction=reduction)
        b = F.cross_entropy(bwd.float().reshape(-1, 256), ids.reshape(-1), reduction=reduction)
        return f, b

    def loss(self, model, batch):
        f, b = self._nll(model, batch)
        return f + b

    @torch.no_grad()
    def evaluate(self, model, cancel=None, batch_size: int = 64):
        model.eval()
        device = next(model.parameters()).device
        f_sum = b_sum = 0.0
        for i in range(0, len(self.val), batch_size):
            if cancel is not None and cancel.is_set():
                return None
            f, b = self._nll(model, self.val[i : i + batch_size].to(device), reduction="sum")
            f_sum, b_sum = f_sum + float(f), b_sum + float(b)
        n = self.val.numel()
        fp, bp = math.exp(f_sum / n), math.exp(b_sum / n)
        return {"perplexity": (fp + bp) / 2, "forward_perplexity": fp, "backward_perplexity": bp,
                "loss": (f_sum + b_sum) / n}


# ------------------------------------------------------------------------------------------------ XLNet PLM


class PermutationLM(nn.Module):
    """XLNet with the LM output: scores = query-stream output · embedding table + bias (tied, as
    `XLNetLMHeadModel`). forward(ids (B, T), perm_mask (B, T, T), target_mapping (B, P, T)) → (B, P, V)."""

    def __init__(self, xlnet: nn.Module):
        super().__init__()
        self.xlnet = xlnet
        self.bias = nn.Parameter(torch.zeros(xlnet.cfg.vocab_size))

    def forward(self, input_ids, perm_mask, target_mapping):
        # one segment: segment ids of zeros keep the relative segment terms in use (every pair "same segment")
        g = self.xlnet(input_ids, token_type_ids=torch.zeros_like(input_ids), perm_mask=perm_mask,
                       target_mapping=target_mapping)[0]  # (B, P, d)
        return F.linear(g, self.xlnet.word_embedding.weight, self.bias)


def permutation_lm(plan: TrainPlan, generator: torch.Generator, **overrides: Any) -> PermutationLM:
    import zoo

    return PermutationLM(zoo.create_model(plan.key, **{**plan.overrides, **overrides}))


def _orders(batch: int, seq_len: int, generator: torch.Generator | None = None):
    """One factorisation order per sequence, partial prediction of the last seq_len // K."""
    from zoo.nlp.xlnet import sample_factorization

    num_predict = max(1, seq_len // PLM_K)
    masks, maps = zip(*(sample_factorization(seq_len, num_predict, generator) for _ in range(batch)))
    return torch.cat(masks), torch.cat(maps)  # (B, T, T), (B, P, T)


PLM_INFO = DatasetInfo(
    "pydoc_plm", "permutation_language_modelling",
    "pydoc_data.topics as UTF-8 bytes (vocabulary 256), last 10% held out; for each window a random factorisation "
    "order, the last 1/6 of it predicted from the bytes before them in that order; held out: 64 windows with fixed "
    "orders", "perplexity", False)


class PydocPermutation(TrainData):
    """Windows of `seq_len` training bytes; a new factorisation order per window and step."""

    info = PLM_INFO

    def __init__(self, seq_len: int = 64, eval_windows: int = 64):
        self.seq_len = int(seq_len)
        train, _ = _pydoc_bytes()
        self.train = train
        self.starts = torch.arange(len(train) // self.seq_len) * self.seq_len
        self.val = _held_out_orders(self.seq_len, eval_windows)

    def __len__(self) -> int:
        return len(self.starts)

    def batch(self, indices, device="cpu"):
        return self.train[self.starts[indices][:, None] + torch.arange(self.seq_len)].to(device)

    def loss(self, model, batch):
        perm_mask, target_mapping = _orders(len(batch), self.seq_len)
        perm_mask, target_mapping = perm_mask.to(batch.device), target_mapping.to(batch.device)
        scores = model(batch, perm_mask, target_mapping).float()  # (B, P, 256)
        targets = target_mapping.argmax(-1)  # (B, P): the position each target row points at
        return F.cross_entropy(scores.reshape(-1, scores.shape[-1]), batch.gather(1, targets).reshape(-1))

    @torch.no_grad()
    def evaluate(self, model, cancel=None, batch_size: int = 32):
        model.eval()
        device = next(model.parameters()).device
        ids, perm_mask, target_mapping = self.val
        nll, correct, total = 0.0, 0, 0
        for i in range(0, len(ids), batch_size):
            if cancel is not None and cancel.is_set():
                return None
            s = slice(i, i + batch_size)
            x, tm = ids[s].to(device), target_mapping[s].to(device)
            scores = model(x, perm_mask[s].to(device), tm).float()
            target = x.gather(1, tm.argmax(-1))
            nll += float(F.cross_entropy(scores.reshape(-1, scores.shape[-1]), target.reshape(-1), reduction="sum"))
            correct += int((scores.argmax(-1) == target).sum())
            total += target.numel()
        return {"perplexity": math.exp(nll / total), "loss": nll / total, "accuracy": correct / total}


@functools.lru_cache(maxsize=4)
def _held_out_orders(seq_len: int, windows: int):
    _, held_out = _pydoc_bytes()
    n = min(windows, len(held_out) // seq_len)
    ids = held_out[torch.arange(n)[:, None] * seq_len + torch.arange(seq_len)]
    perm_mask, target_mapping = _orders(n, seq_len, torch.Generator().manual_seed(HELD_OUT_SEED))
    return ids, perm_mask, target_mapping


DATASETS = {
    "pydoc_mlm": (MLM_INFO, PydocMasked),
    "pydoc_bilm": (BILM_INFO, PydocBidirectional),
    "pydoc_plm": (PLM_INFO, PydocPermutation),
}


# ---------------------------------------------------------------------------------------------------- plans

REDUCTIONS = {
    "encoders_vocab": "byte vocabulary (256 bytes + {specials} special tokens)",
    "encoders_pieces": "a \"sentence\" is a piece of {segment} bytes",
    "encoders_no_teacher": "pre-trained by masked language modelling alone (the paper distils it from a larger teacher)",
    "encoders_embedding": "embedding size {size} (published {published})",
    "encoders_shared_depth": "the shared layer applied {layers} times (published {published})",
    "encoders_byte_words": "each byte is a one-character word for the character CNN (filters of width 1–3)",
    "encoders_cells": "LSTM cells {cells}, projection {dim} (published {published_cells}, {published_dim})",
    "encoders_no_memory": "no segment memory, one segment per sequence",
}

MLM_CONTEXT = 64
LM_CONTEXT = 64
BILM_CONTEXT = 32  # the LSTMs step through positions one at a time: the cost of a step is mostly per position
MLM_DEFAULTS = {"epochs": 10_000, "max_steps": 400, "batch_size": 32, "optimizer": "adamw", "lr": 1e-3,
                "weight_decay": 0.01, "schedule": "cosine", "warmup_steps": 50, "clip_norm": 1.0, "eval_every": 100}
BILM_DEFAULTS = {"epochs": 10_000, "max_steps": 150, "batch_size": 32, "optimizer": "adam", "lr": 3e-3,
                 "schedule": "cosine", "warmup_steps": 10, "clip_norm": 1.0, "eval_every": 50}
PLM_DEFAULTS = {"epochs": 10_000, "max_steps": 200, "batch_size": 32, "optimizer": "adamw", "lr": 1e-3,
                "weight_decay": 0.01, "schedule": "cosine", "warmup_steps": 30, "clip_norm": 1.0, "eval_every": 50}

WIDTH, LAYERS, HEADS, FFN = 128, 4, 4, 512
PAIR_TASK = {"bert_base": "nsp", "bert_large": "nsp", "albert_base": "sop"}


def _r(code: str, **values: Any) -> Reduction:
    return Reduction(code, tuple(values.items()))


def _mlm_plan(key: str, cfg: Any) -> TrainPlan:
    pair = PAIR_TASK.get(key)
    red = [_r("encoders_vocab", specials=SPECIALS), _r("context", context=MLM_CONTEXT, published=512)]
    if key == "distilbert":
        over: dict[str, Any] = {"dim": WIDTH, "n_layers": LAYERS, "n_heads": HEADS, "hidden_dim": FFN}
        red += [_r("layers", layers=LAYERS, published=cfg.n_layers), _r("model_width", width=WIDTH, published=cfg.dim)]
    else:
        over = {"hidden_size": WIDTH, "num_layers": LAYERS, "num_heads": HEADS, "intermediate_size": FFN}
        if key == "albert_base":
            red += [_r("encoders_shared_depth", layers=LAYERS, published=cfg.num_layers),
                    _r("model_width", width=WIDTH, published=cfg.hidden_size),
                    _r("encoders_embedding", size=64, published=cfg.embedding_size)]
            over["embedding_size"] = 64
        else:
            red += [_r("layers", layers=LAYERS, published=cfg.num_layers),
                    _r("model_width", width=WIDTH, published=cfg.hidden_size)]
    over |= {"vocab_size": MLM_VOCAB, "max_position": MLM_CONTEXT}
    if key == "roberta_base":  # positions count from the padding id: 1 … T
        over |= {"pad_token_id": PAD, "max_position": MLM_CONTEXT + 1}
    if key in ("distilbert", "minilm_l6"):
        red.append(_r("encoders_no_teacher"))
    if pair is not None:
        red.append(_r("encoders_pieces", segment=(MLM_CONTEXT - 3) // 2))
    options: dict[str, Any] = {"seq_len": MLM_CONTEXT, "pair": pair}
    return TrainPlan(key, "pydoc_mlm", options, over, tuple(red), dict(MLM_DEFAULTS),
                     builder="zoo.learn.tasks.encoders:masked_lm")


def plans(key: str, card: Any, config) -> list[TrainPlan]:
    if key in ("bert_base", "bert_large", "roberta_base", "distilbert", "albert_base", "minilm_l6"):
        return [_mlm_plan(key, config())]
    if key == "elmo":
        cfg = config()
        over = {"max_chars": 3, "filters": ((1, 32), (2, 32), (3, 64)), "dim": 64, "cells": 256}
        red = (_r("vocab"), _r("encoders_byte_words"),
               _r("encoders_cells", cells=256, dim=64, published_cells=cfg.cells, published_dim=cfg.dim))
        return [TrainPlan(key, "pydoc_bilm", {"seq_len": BILM_CONTEXT}, over, red, dict(BILM_DEFAULTS),
                          builder="zoo.learn.tasks.encoders:bidirectional_lm")]
    if key == "xlnet_base":
        cfg = config()
        over = {"vocab_size": 256, "d_model": WIDTH, "n_layer": LAYERS, "n_head": HEADS, "d_head": WIDTH // HEADS,
                "d_inner": FFN}
        red = (_r("vocab"), _r("context", context=LM_CONTEXT, published=512),
               _r("layers", layers=LAYERS, published=cfg.n_layer), _r("model_width", width=WIDTH, published=cfg.d_model),
               _r("encoders_no_memory"))
        return [TrainPlan(key, "pydoc_plm", {"seq_len": LM_CONTEXT}, over, red, dict(PLM_DEFAULTS),
                          builder="zoo.learn.tasks.encoders:permutation_lm")]
    return []
