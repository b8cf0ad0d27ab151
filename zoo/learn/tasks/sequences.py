"""Sequences in, sequences or classes out: translation, tagging, text classification and bare recurrent layers.

Four objectives, each on data that is generated here or ships with Python, so nothing is downloaded:

- **dates** (`seq2seq_attention`, `transformer_base`, `t5_small`): a calendar date written in one of 21 ways
  ("3rd of March 2021", "Mar 3, 21", "03.03.2021", "星期三 2021年3月3日", …) is rewritten as `2021-03-03`
  (the pairs of `zoo.train.dates`, which the shipped dates demo trains RNNsearch on). The objective is the
  translation models' own: teacher-forced cross-entropy of each target character given the source and the
  true previous characters, −Σ_i log p(y_i | y_<i, x) (Bahdanau et al. 2015 §3.1; Vaswani et al. 2017 §5;
  Raffel et al. 2020 §3.1.4, "teacher forcing"). Training pairs are drawn from the dates that are not
  held out (pair i from a generator seeded i: 200,000 distinct pairs, effectively never repeated); the
  metric is the exact match (%) of greedy decoding on 500 held-out pairs — every 10th calendar day is never
  trained on, in any format (`zoo.train.dates.held_out`) — plus 250 pairs in 4 formats never trained on.
  Tokens are characters: RNNsearch keeps the demo's two vocabularies (source 128, target 14); the Transformer
  and T5 share one vocabulary between source, target and output as their papers do (the source characters,
  the target's digits and "-" being the same ids, plus eos and a start token).
- **date_tags** (`bilstm_crf`, Lample et al. 2016): the same kinds of date strings, each character tagged
  with what it belongs to — day, month, year, weekday or other — in the BIO scheme (B-DAY, I-DAY, …, O: 9
  tags, as many as CoNLL-2003's). The tags are known by construction: the strings are written here piece
  by piece (with `zoo.train.dates`' writers of ordinals, month and weekday names, Chinese numerals), and
  which number is the day and which the month follows the same conventions as the dates demo (dots:
  day.month.year, slashes: month/day/year, year first: year/month/day). Objective: the CRF's negative
  log-likelihood −log p(y | X) = log Z(X) − s(X, y) (Lample et al. §2.2, eq. for p(y|X)). Metric: span F1
  (%) — a predicted field counts when its type and both ends are right, CoNLL's rule — on 500 strings of
  held-out dates, decoded by Viterbi; per-character tag accuracy is reported too.
- **python_help_topics** (`textcnn`, Kim 2014; `lstm_classifier`): which chapter of the Python documentation
  a passage of Python's own help texts (`pydoc_data.topics`) comes from — 6 classes: statements (Language
  Reference ch. 7–8: `assert` … `yield`), expressions (ch. 6: calls, comparisons, lambdas, …), lexical
  analysis (ch. 2: literals, identifiers), data model (ch. 3: special methods, the type hierarchy),
  execution model (ch. 4: naming, exceptions) and built-in types (the Library's "Built-in Types": string
  methods, sequence and mapping types, format strings). The label of a topic is the chapter it comes from,
  fixed in `TOPIC_CHAPTERS` below (pdb's help, the only other topic, belongs to none and is left out).
  Passages are paragraphs (cut at 64 tokens), exact duplicates removed (some topics repeat others: the
  "compound" statements topic contains "if", "while", …); a fixed fifth of them (by a hash of their text)
  is held out. Tokens are lower-cased words and punctuation marks; the vocabulary is the training
  passages' tokens seen at least twice. Objective: cross-entropy; metric: accuracy (%).
- **digit_rows** (`rnn`, `gru`, `lstm`): a bare recurrent layer has no output, so a linear layer on its last
  hidden state reads out the class; each scikit-learn 8×8 digit is read as a sequence of its 8 pixel rows
  (8 steps of 8 inputs; the same fixed 20% held out as the `digits` dataset). Cross-entropy; accuracy.

What is reduced, and why (each plan's reductions say it for its model): the translation models are tiny
character-level versions (RNNsearch at the demo's size; Transformer and T5 at width 64, 2 + 2 layers, T5
without dropout, which at this size mostly slows learning), so that a run takes about two minutes on one CPU
thread; the tagger's words are characters, with a 100-d embedding learned with it (the published model reads
pre-trained word embeddings looked up outside it), and the tagging task is easy — the default run tags every
held-out field right; TextCNN's embeddings are learned from scratch (Kim's own "CNN-rand" variant, §3.2)
instead of frozen word2vec, which is not available offline; the LSTM classifier's vocabulary is the help texts' words and its
layers are 128 wide (published 256), as its 64 steps run one after another; the bare recurrent layers read 8
inputs per step (published 512) and get the read-out layer they lack.
"""

from __future__ import annotations

import collections
import datetime as dt
import functools
import random
import re
import zlib
from typing import Any, Callable

import torch
import torch.nn as nn
import torch.nn.functional as F

from ...train import dates
from ..datasets import Classification, DatasetInfo, TrainData, digits

__all__ = ["DATASETS", "REDUCTIONS", "plans"]

# ------------------------------------------------------------------------------------------------ dates → ISO

DATES_INFO = DatasetInfo(
    "dates", "sequence_to_sequence",
    "generated dates 1900–2099 written in 21 formats (English and Chinese) → YYYY-MM-DD (zoo/train/dates.py); "
    "every 10th calendar day never trained on: exact match of greedy decoding on 500 held-out pairs",
    "exact_match", True, percent=True)

TRAIN_PAIRS = 200_000  # pair i is drawn from random.Random(TRAIN_SEED + i): fresh pairs, no cache to hold
TRAIN_SEED = 1_000_000  # far from evaluation_sets' seed 12345
EVAL_PAIRS = 500  # held-out dates (and half as many in held-out formats): ~2 s of greedy decoding
INTERFACES = ("rnnsearch", "transformer", "t5")

# One shared vocabulary for the Transformer and T5 (Vaswani §3.4, Raffel §2.1): the source ids of
# zoo.train.dates (0 padding, 1 unknown, 3… the characters), eos = 2, and a start token after the characters.
SHARED_BOS = 3 + len(dates.SOURCE_CHARS)
SHARED_VOCAB = SHARED_BOS + 1


def _shared_target_ids() -> torch.Tensor:
    """Target id of zoo.train.dates (3…13: "0"…"9", "-"; 2: eos) → the same character's id in the shared vocabulary."""
    lut = torch.arange(3 + len(dates.TARGET_CHARS))
    for ch, i in dates.TARGET_IDS.items():
        lut[i] = dates.SOURCE_IDS[ch]
    return lut


SHARED_TARGET = _shared_target_ids()


def _shared_decode(ids: list[int]) -> str:
    out = []
    for i in ids:
        if i == dates.EOS:
            break
        ch = dates.SOURCE_CHARS[i - 3] if 3 <= i < SHARED_BOS else "?"
        out.append(ch if ch in dates.TARGET_CHARS else "?")
    return "".join(out)


def _train_pair(i: int) -> tuple[str, str]:
    return dates.sample(random.Random(TRAIN_SEED + int(i)), "train")


@functools.lru_cache(maxsize=2)
def _date_eval_sets(n: int) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    sets = dates.evaluation_sets(n)
    return tuple(sets["held-out dates"]), tuple(sets["held-out formats"])


class DateTranslation(TrainData):
    """Batches are (source ids (B, T_x), decoder input (B, 11), target (B, 11)); `interface` says how the model
    is called: RNNsearch `model(src, tgt_in)` with its own target vocabulary (bos 1), the Transformer
    `model(src, tgt_in, src_mask)` and T5 `model(src, tgt_in)` in the shared vocabulary (T5 starts the decoder
    with its padding id 0, as T5 does; its forward takes no padding mask)."""

    info = DATES_INFO

    def __init__(self, interface: str = "rnnsearch", eval_pairs: int = EVAL_PAIRS):
        if interface not in INTERFACES:
            raise ValueError(f"interface must be one of {INTERFACES}")
        self.interface = interface
        self.held_out_dates, self.held_out_formats = _date_eval_sets(int(eval_pairs))
        self.bos = {"rnnsearch": dates.BOS, "transformer": SHARED_BOS, "t5": 0}[interface]

    def __len__(self) -> int:
        return TRAIN_PAIRS

    def _tensors(self, pairs) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x, y = dates.batch(list(pairs))
        if self.interface != "rnnsearch":
            y = SHARED_TARGET[y]
        tgt_in = torch.cat([torch.full((len(y), 1), self.bos, dtype=torch.long), y[:, :-1]], 1)  # teacher forcing
        return x, tgt_in, y

    def batch(self, indices, device="cpu"):
        return tuple(t.to(device) for t in self._tensors(_train_pair(i) for i in indices.tolist()))

    def _logits(self, model, x: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        if self.interface == "transformer":
            return model(x, tgt_in, src_mask=x != dates.PAD)
        return model(x, tgt_in)

    def loss(self, model, batch):
        x, tgt_in, y = batch
        logits = self._logits(model, x, tgt_in).float()
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))

    @torch.no_grad()
    def _greedy(self, model, x: torch.Tensor) -> list[str]:
        """The model's own output fed back, argmax by argmax, for the 11 characters of YYYY-MM-DD + eos."""
        if self.interface == "rnnsearch":
            ids, _ = model.greedy(x, dates.TARGET_LEN)
            return [dates.decode_target(row.tolist()) for row in ids]
        prefix = torch.full((len(x), 1), self.bos, dtype=torch.long, device=x.device)
        keep = x != dates.PAD
        # the source is encoded once; each step decodes the whole prefix again (11 short steps: no cache needed)
        if self.interface == "transformer":
            memory = model.encode(x, keep)
            step = lambda prefix: model.decode(prefix, memory, keep)
        else:  # T5.forward's two halves: encoder stack, then decoder stack and the tied, rescaled output layer
            memory = model.encoder(model.shared(x))
            step = lambda prefix: model.lm_head(model.decoder(model.shared(prefix), memory) * model.cfg.d_model**-0.5)
        for _ in range(dates.TARGET_LEN):
            logits = step(prefix)
            prefix = torch.cat([prefix, logits[:, -1].argmax(-1, keepdim=True)], 1)
        return [_shared_decode(row.tolist()) for row in prefix[:, 1:]]

    @torch.no_grad()
    def evaluate(self, model, cancel=None, chunk: int = 250):
        model.eval()
        device = next(model.parameters()).device
        scores, total_loss = {}, 0.0
        for name, pairs in (("exact_match", self.held_out_dates), ("formats_exact_match", self.held_out_formats)):
            right = 0
            for i in range(0, len(pairs), chunk):
                if cancel is not None and cancel.is_set():
                    return None
                part = pairs[i : i + chunk]
                x, tgt_in, y = (t.to(device) for t in self._tensors(part))
                if self.interface == "rnnsearch":  # the demo's own metric
                    right += round(dates.exact_match(model, list(part)) * len(part) / 100)
                else:
                    right += sum(out == iso for out, (_, iso) in zip(self._greedy(model, x), part))
                if name == "exact_match":
                    logits = self._logits(model, x, tgt_in).float()
                    total_loss += float(F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="sum"))
            scores[name] = 100.0 * right / len(pairs)
        scores["loss"] = total_loss / (len(self.held_out_dates) * dates.TARGET_LEN)
        return scores


# ------------------------------------------------------------------------------------------- tagged date strings

DATE_TAGS_INFO = DatasetInfo(
    "date_tags", "sequence_tagging",
    "generated date strings in 20 formats, every character tagged day / month / year / weekday / other (BIO, 9 "
    "tags) by construction; span F1 on 500 strings of held-out dates (every 10th calendar day)",
    "span_f1", True, percent=True)

FIELDS = ("DAY", "MONTH", "YEAR", "WEEKDAY")
TAGS = ("O",) + tuple(f"{bio}-{f}" for f in FIELDS for bio in "BI")  # O, B-DAY, I-DAY, B-MONTH, …
TAG_IDS = {t: i for i, t in enumerate(TAGS)}
EVAL_STRINGS = 500
TAG_TRAIN = 200_000
TAG_EVAL_SEED = 54_321

Piece = tuple[str, str]  # (field or "O", text)


def _num(n: int) -> str:
    return str(n)


def _o(text: str) -> Piece:
    return ("O", text)


def _zh_year(d: dt.date) -> str:
    return "".join(dates.ZH_DIGITS[int(c)] for c in str(d.year))


def _yy(d: dt.date) -> str:
    return f"{d.year % 100:02d}"


# name → (writer of pieces, uses a two-digit year): the formats of zoo.train.dates, written piece by piece so
# that every character's field is known. The words "of", "the" and the separators are "other" (O); the
# ordinal suffix belongs to the day ("3rd"), 年/月/日 to no field (they follow the numbers they mark).
TAG_FORMATS: dict[str, tuple[Callable[[dt.date, random.Random], list[Piece]], bool]] = {
    "3 March 2021": (lambda d, r: [("DAY", _num(d.day)), _o(" "), ("MONTH", dates._month(d, r)), _o(" "),
                                   ("YEAR", _num(d.year))], False),
    "3rd of March 2021": (lambda d, r: [("DAY", dates._ordinal(d.day)), _o(" of "), ("MONTH", dates._month(d, r)),
                                        _o(" "), ("YEAR", _num(d.year))], False),
    "the 3rd of March, 2021": (lambda d, r: [_o("the "), ("DAY", dates._ordinal(d.day)), _o(" of "),
                                             ("MONTH", dates._month(d, r)), _o(", "), ("YEAR", _num(d.year))], False),
    "March 3, 2021": (lambda d, r: [("MONTH", dates._month(d, r)), _o(" "), ("DAY", _num(d.day)), _o(", "),
                                    ("YEAR", _num(d.year))], False),
    "March 3rd, 2021": (lambda d, r: [("MONTH", dates._month(d, r)), _o(" "), ("DAY", dates._ordinal(d.day)),
                                      _o(", "), ("YEAR", _num(d.year))], False),
    "Mar 3, 21": (lambda d, r: [("MONTH", dates._month(d, r, True)), _o(" "), ("DAY", _num(d.day)), _o(", "),
                                ("YEAR", _yy(d))], True),
    "3 Mar 21": (lambda d, r: [("DAY", _num(d.day)), _o(" "), ("MONTH", dates._month(d, r, True)), _o(" "),
                               ("YEAR", _yy(d))], True),
    "03-Mar-2021": (lambda d, r: [("DAY", dates._pad(d.day, r)), _o("-"), ("MONTH", dates._month(d, r, True)),
                                  _o("-"), ("YEAR", _num(d.year))], False),
    "Wednesday, March 3, 2021": (lambda d, r: [("WEEKDAY", dates._weekday(d, r)), _o(", "),
                                               ("MONTH", dates._month(d, r)), _o(" "), ("DAY", _num(d.day)), _o(", "),
                                               ("YEAR", _num(d.year))], False),
    "Wed 3 Mar 2021": (lambda d, r: [("WEEKDAY", dates._weekday(d, r, True)), _o(" "), ("DAY", _num(d.day)), _o(" "),
                                     ("MONTH", dates._month(d, r, True)), _o(" "), ("YEAR", _num(d.year))], False),
    "2021/3/3": (lambda d, r: [("YEAR", _num(d.year)), _o("/"), ("MONTH", dates._pad(d.month, r)), _o("/"),
                               ("DAY", dates._pad(d.day, r))], False),
    "2021-03-03": (lambda d, r: [("YEAR", _num(d.year)), _o("-"), ("MONTH", f"{d.month:02d}"), _o("-"),
                                 ("DAY", f"{d.day:02d}")], False),
    "20210303": (lambda d, r: [("YEAR", _num(d.year)), ("MONTH", f"{d.month:02d}"), ("DAY", f"{d.day:02d}")], False),
    "03.03.2021": (lambda d, r: [("DAY", dates._pad(d.day, r)), _o("."), ("MONTH", dates._pad(d.month, r)), _o("."),
                                 ("YEAR", _num(d.year))], False),
    "3.3.21": (lambda d, r: [("DAY", _num(d.day)), _o("."), ("MONTH", _num(d.month)), _o("."), ("YEAR", _yy(d))], True),
    "3/3/2021 (US)": (lambda d, r: [("MONTH", dates._pad(d.month, r)), _o("/"), ("DAY", dates._pad(d.day, r)), _o("/"),
                                    ("YEAR", _num(d.year))], False),
    "2021年3月3日": (lambda d, r: [("YEAR", _num(d.year)), _o("年"), ("MONTH", dates._pad(d.month, r)), _o("月"),
                                ("DAY", dates._pad(d.day, r)), _o("日")], False),
    "2021年3月3号": (lambda d, r: [("YEAR", _num(d.year)), _o("年"), ("MONTH", _num(d.month)), _o("月"),
                                ("DAY", _num(d.day)), _o("号")], False),
    "星期三 2021年3月3日": (lambda d, r: [("WEEKDAY", dates._zh_weekday(d, r)), _o(r.choice(("", " "))),
                                    ("YEAR", _num(d.year)), _o("年"), ("MONTH", _num(d.month)), _o("月"),
                                    ("DAY", _num(d.day)), _o("日")], False),
    "二〇二一年三月三日": (lambda d, r: [("YEAR", _zh_year(d)), _o("年"), ("MONTH", dates._zh_number(d.month)), _o("月"),
                                  ("DAY", dates._zh_number(d.day)), _o("日")], False),
}


def tagged_sample(r: random.Random, split: str) -> tuple[str, list[str]]:
    """One (text, tags) pair: a random format, a random date of `split` ("train" or "held_out") as in
    `zoo.train.dates.sample`; one BIO tag per character."""
    write, two_digit = TAG_FORMATS[r.choice(sorted(TAG_FORMATS))]
    lo, hi = (dt.date(dates.TWO_DIGIT_YEARS[0], 1, 1), dt.date(dates.TWO_DIGIT_YEARS[1], 12, 31)) if two_digit \
        else (dates.FIRST, dates.LAST)
    while True:
        d = dt.date.fromordinal(r.randint(lo.toordinal(), hi.toordinal()))
        if dates.held_out(d) == (split == "held_out"):
            break
    text, tags = "", []
    for field, piece in write(d, r):
        text += piece
        tags += ["O"] * len(piece) if field == "O" else [f"B-{field}"] + [f"I-{field}"] * (len(piece) - 1)
    return text, tags


def _encode_tagged(samples) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Character ids (B, T) (zoo.train.dates' source vocabulary, lower-cased), tag ids (B, T), mask (B, T)."""
    samples = list(samples)
    T = max(len(text) for text, _ in samples)
    ids = torch.zeros(len(samples), T, dtype=torch.long)
    tags = torch.zeros(len(samples), T, dtype=torch.long)
    for b, (text, tag) in enumerate(samples):
        ids[b, : len(text)] = torch.tensor([dates.SOURCE_IDS.get(ch, dates.UNK) for ch in text.lower()])
        tags[b, : len(tag)] = torch.tensor([TAG_IDS[t] for t in tag])
    return ids, tags, ids != dates.PAD


def spans(tags: list[int]) -> set[tuple[str, int, int]]:
    """(field, first, last) of every field in a BIO tag sequence; an I- without its B- starts a span (CoNLL's
    conlleval reads it so too)."""
    out, current = set(), None
    for t, tag in enumerate(list(tags) + [0]):
        name = TAGS[tag] if 0 <= tag < len(TAGS) else "O"
        bio, field = (name.split("-") + [""])[:2]
        if current is not None and (bio != "I" or field != current[0]):
            out.add((current[0], current[1], t - 1))
            current = None
        if bio == "B" or (bio == "I" and current is None):
            current = (field, t)
    return out


@functools.lru_cache(maxsize=1)
def _tag_eval_set(n: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    r = random.Random(TAG_EVAL_SEED)
    return _encode_tagged(tagged_sample(r, "held_out") for _ in range(n))


class DateTagging(TrainData):
    """Batches are (character ids, tags, mask); `model(ids, tags, mask)` is the mean CRF negative
    log-likelihood (the `bilstm_crf` tagger with its character embedding, built by `char_tagger`) and
    `model.decode(ids, mask)` the Viterbi tags."""

    info = DATE_TAGS_INFO

    def __init__(self, eval_strings: int = EVAL_STRINGS):
        self.val = _tag_eval_set(int(eval_strings))

    def __len__(self) -> int:
        return TAG_TRAIN

    def batch(self, indices, device="cpu"):
        pairs = (tagged_sample(random.Random(TRAIN_SEED + i), "train") for i in indices.tolist())
        return tuple(t.to(device) for t in _encode_tagged(pairs))

    def loss(self, model, batch):
        return model(*batch)

    @torch.no_grad()
    def evaluate(self, model, cancel=None, chunk: int = 250):
        model.eval()
        device = next(model.parameters()).device
        ids, tags, mask = self.val
        right = found = gold = correct_tags = 0
        nll = 0.0
        for i in range(0, len(ids), chunk):
            if cancel is not None and cancel.is_set():
                return None
            x, y, m = ids[i : i + chunk].to(device), tags[i : i + chunk], mask[i : i + chunk]
            nll += float(model(x, y.to(device), m.to(device))) * len(x)
            path = model.decode(x, m.to(device)).cpu()
            correct_tags += int(((path == y) & m).sum())
            for p, g, n in zip(path.tolist(), y.tolist(), m.sum(1).tolist()):
                ps, gs = spans(p[:n]), spans(g[:n])
                right, found, gold = right + len(ps & gs), found + len(ps), gold + len(gs)
        precision, recall = right / max(found, 1), right / max(gold, 1)
        f1 = 2 * precision * recall / max(precision + recall, 1e-12)
        return {"span_f1": 100.0 * f1, "tag_accuracy": 100.0 * correct_tags / int(mask.sum()),
                "loss": nll / len(ids)}


class CharTagger(nn.Module):
    """A character embedding and the registry's BiLSTM-CRF (which takes embedded tokens): `forward(ids, tags,
    mask)` → the mean negative log-likelihood −log p(y | X) (Lample et al. §2.2), `decode(ids, mask)` → tags."""

    def __init__(self, tagger: nn.Module, vocab: int):
        super().__init__()
        self.embedding = nn.Embedding(vocab, tagger.cfg.embed_dim, padding_idx=dates.PAD)
        self.tagger = tagger

    def forward(self, ids: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.tagger.loss(self.embedding(ids), tags, mask)

    @torch.no_grad()
    def decode(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.tagger.decode(self.embedding(ids), mask)


def char_tagger(plan, generator, **overrides) -> nn.Module:
    import zoo

    return CharTagger(zoo.create_model(plan.key, **{**plan.overrides, **overrides}), CHAR_VOCAB)


CHAR_VOCAB = 128  # zoo.train.dates' source ids (< 128, as the dates demo's RNNsearch)

# ------------------------------------------------------------------------------------ Python help-text chapters

# topic of pydoc_data.topics → the chapter of the Python documentation it comes from (its label)
CHAPTERS = ("statements", "expressions", "lexical analysis", "data model", "execution model", "built-in types")
TOPIC_CHAPTERS: dict[str, str] = {
    **dict.fromkeys("assert assignment augassign async break class compound continue del else for function global "
                    "if import nonlocal pass raise return try while with yield".split(), "statements"),
    **dict.fromkeys("atom-identifiers atom-literals attribute-references await binary bitwise booleans calls "
                    "comparisons conversions dict exprlists in lambda lists operator-summary power shifting slicings "
                    "subscriptions unary".split(), "expressions"),
    **dict.fromkeys("floating identifiers id-classes imaginary integers numbers strings".split(), "lexical analysis"),
    **dict.fromkeys("attribute-access callable-types context-managers customization numeric-types objects "
                    "sequence-types specialnames types".split(), "data model"),
    **dict.fromkeys("execmodel naming dynamic-features exceptions".split(), "execution model"),
    **dict.fromkeys("bltin-code-objects bltin-ellipsis-object bltin-null-object bltin-type-objects specialattrs "
                    "string-methods formatstrings truth typesfunctions typesmapping typesmethods typesmodules typesseq "
                    "typesseq-mutable".split(), "built-in types"),
}
PASSAGE_TOKENS = 64
MIN_TOKENS = 8
TOKEN = re.compile(r"[a-z_][a-z0-9_]*|\d+|[^\sa-z0-9_]")

TOPICS_INFO = DatasetInfo(
    "python_help_topics", "text_classification",
    "pydoc_data.topics: passages of Python's help texts, labelled with the documentation chapter their topic comes "
    "from (statements, expressions, lexical analysis, data model, execution model, built-in types); duplicates "
    "removed, a fixed fifth of the passages held out", "accuracy", True)


@functools.lru_cache(maxsize=1)
def _topic_passages():
    """(token ids (N, 64) 0-padded, chapter labels (N,), held-out flags (N,), vocabulary (token → id))."""
    from pydoc_data.topics import topics

    seen: set[tuple[str, ...]] = set()
    rows: list[tuple[tuple[str, ...], int]] = []
    for topic in sorted(TOPIC_CHAPTERS):
        for para in re.split(r"\n\s*\n", topics.get(topic, "")):
            tokens = TOKEN.findall(para.lower())
            for i in range(0, len(tokens), PASSAGE_TOKENS):
                passage = tuple(tokens[i : i + PASSAGE_TOKENS])
                if len(passage) >= MIN_TOKENS and passage not in seen:  # "compound" repeats "if", "while", …
                    seen.add(passage)
                    rows.append((passage, CHAPTERS.index(TOPIC_CHAPTERS[topic])))
    held = [zlib.crc32(" ".join(p).encode()) % 5 == 0 for p, _ in rows]  # the same fifth on every machine
    counts = collections.Counter(t for (p, _), h in zip(rows, held) if not h for t in p)
    vocab = {t: i + 2 for i, t in enumerate(sorted(t for t, c in counts.items() if c >= 2))}  # 0 pad, 1 unknown
    ids = torch.zeros(len(rows), PASSAGE_TOKENS, dtype=torch.long)
    for n, (passage, _) in enumerate(rows):
        ids[n, : len(passage)] = torch.tensor([vocab.get(t, 1) for t in passage])
    return ids, torch.tensor([y for _, y in rows]), torch.tensor(held), vocab


def topic_vocab_size() -> int:
    return len(_topic_passages()[3]) + 2


def python_help_topics() -> Classification:
    ids, y, held, _ = _topic_passages()
    return Classification(TOPICS_INFO, ids[~held], y[~held], ids[held], y[held], CHAPTERS)


class EmbeddedTextCNN(nn.Module):
    """Kim's CNN-rand (§3.2): a word embedding learned with the network, then the registry's TextCNN (which
    takes embedded tokens)."""

    def __init__(self, cnn: nn.Module, vocab: int):
        super().__init__()
        self.embedding = nn.Embedding(vocab, cnn.cfg.embed_dim, padding_idx=0)
        self.cnn = cnn

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.cnn(self.embedding(ids))


def cnn_rand(plan, generator, **overrides) -> nn.Module:
    import zoo

    return EmbeddedTextCNN(zoo.create_model(plan.key, **{**plan.overrides, **overrides}), topic_vocab_size())


# ------------------------------------------------------------------------------------------ digits as pixel rows

ROWS_INFO = DatasetInfo("digit_rows", "sequence_classification",
                        "scikit-learn load_digits: 1,797 handwritten 8×8 digits, each read as a sequence of its 8 "
                        "pixel rows; the same fixed 20% held out as the digits dataset", "accuracy", True)


def digit_rows() -> Classification:
    pixels = digits(as_sequence=True, channels=1)  # (N, 64, 1), row by row
    rows = lambda x: x.reshape(len(x), 8, 8).contiguous()  # step t = row t, 8 inputs
    return Classification(ROWS_INFO, rows(pixels.x_train), pixels.y_train, rows(pixels.x_val), pixels.y_val,
                          pixels.classes)


class LastStateClassifier(nn.Module):
    """A bare recurrent layer and a linear read-out of its last hidden state."""

    def __init__(self, layer: nn.Module, classes: int):
        super().__init__()
        self.layer = layer
        self.head = nn.Linear(layer.cfg.hidden_size, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        states, _ = self.layer(x)  # (B, T, H)
        return self.head(states[:, -1])


def last_state_classifier(plan, generator, **overrides) -> nn.Module:
    import zoo

    return LastStateClassifier(zoo.create_model(plan.key, **{**plan.overrides, **overrides}), 10)


# ----------------------------------------------------------------------------------------------------- registry

DATASETS = {
    "dates": (DATES_INFO, DateTranslation),
    "date_tags": (DATE_TAGS_INFO, DateTagging),
    "python_help_topics": (TOPICS_INFO, python_help_topics),
    "digit_rows": (ROWS_INFO, digit_rows),
}

REDUCTIONS = {
    "sequences_chars": "one token per character (vocabulary {vocab}; published {published})",
    "sequences_rnnsearch": "embeddings {embed}, GRUs of {enc} per encoder direction and {dec} in the decoder, "
                           "alignment {align}, {maxout} maxout units (published 620, 1000, 1000, 1000, 500)",
    "sequences_heads": "{heads} attention heads (published {published})",
    "sequences_ffn": "feed-forward width {ffn} (published {published})",
    "sequences_dropout_off": "dropout off (published {published})",
    "sequences_t5_no_mask": "no padding mask: the encoder also reads the padding after shorter dates",
    "sequences_char_tags": "tags the characters of date strings (day, month, year, weekday; BIO) instead of "
                           "the words of news (CoNLL-2003 entities)",
    "sequences_char_embedding": "a {dim}-d character embedding learned with the tagger (published: pre-trained "
                                "word embeddings)",
    "sequences_cnn_rand": "word embeddings learned with the classifier (Kim's CNN-rand; published: frozen word2vec)",
    "sequences_words": "vocabulary of {vocab} words and marks from the help texts (published {published})",
    "sequences_lstm_width": "LSTM layers of {hidden} units (published {published})",
    "sequences_rows": "each digit read as 8 rows of 8 pixels: {inputs} inputs per step (published {published})",
    "sequences_head": "a linear layer on the last hidden state reads out the {classes} classes",
}


def _r(code: str, **values: Any):
    from ..plans import Reduction

    return Reduction(code, tuple(values.items()))


DATES_DEFAULTS = {"epochs": 10_000, "max_steps": 600, "batch_size": 64, "optimizer": "adam", "lr": 3e-3,
                  "schedule": "cosine", "warmup_steps": 30, "clip_norm": 1.0}
LSTM_HIDDEN = 128  # the classifier's 2 × 256 LSTM steps 64 tokens one by one: halved to train in ~2 minutes
SMALL_TRANSFORMER = {"d_model": 64, "n_layers": 2, "n_heads": 4, "d_ff": 256}


def _translation_plan(key: str, cfg: Any) -> Any:
    from ..plans import TrainPlan

    if key == "seq2seq_attention":
        over = _rnnsearch_dates()
        red = (_r("sequences_chars", vocab=f"{over['src_vocab']} / {over['tgt_vocab']}",
                  published=f"{cfg.src_vocab:,} / {cfg.tgt_vocab:,} words"),
               _r("sequences_rnnsearch", embed=over["embed_dim"], enc=over["enc_hidden"], dec=over["dec_hidden"],
                  align=over["align_dim"], maxout=over["maxout_units"]))
        return TrainPlan(key, "dates", {"interface": "rnnsearch"}, over, red, dict(DATES_DEFAULTS))
    width = SMALL_TRANSFORMER["d_model"]
    if key == "transformer_base":
        over = {"vocab_size": SHARED_VOCAB, "max_len": 128, **SMALL_TRANSFORMER}
        red = (_r("sequences_chars", vocab=SHARED_VOCAB, published=f"{cfg.vocab_size:,} BPE tokens"),
               _r("layers", layers="2 + 2", published=f"{cfg.n_layers} + {cfg.n_layers}"),
               _r("model_width", width=width, published=cfg.d_model),
               _r("sequences_heads", heads=4, published=cfg.n_heads),
               _r("sequences_ffn", ffn=256, published=cfg.d_ff))
        return TrainPlan(key, "dates", {"interface": "transformer"}, over, red, {**DATES_DEFAULTS, "warmup_steps": 60})
    # dropout 0.1 slows a model this small: 6% held-out exact match after 600 steps with it (lr 1e-3), 81% without (lr 3e-3)
    over = {"vocab_size": SHARED_VOCAB, "d_model": width, "d_kv": 16, "n_layers": 2, "n_heads": 4, "d_ff": 256,
            "dropout": 0.0}
    red = (_r("sequences_chars", vocab=SHARED_VOCAB, published=f"{cfg.vocab_size:,} SentencePiece tokens"),
           _r("layers", layers="2 + 2", published=f"{cfg.n_layers} + {cfg.n_layers}"),
           _r("model_width", width=width, published=cfg.d_model),
           _r("sequences_heads", heads=4, published=cfg.n_heads),
           _r("sequences_ffn", ffn=256, published=cfg.d_ff),
           _r("sequences_dropout_off", published=cfg.dropout),
           _r("sequences_t5_no_mask"))
    return TrainPlan(key, "dates", {"interface": "t5"}, over, red, {**DATES_DEFAULTS, "warmup_steps": 60})


def _rnnsearch_dates() -> dict[str, Any]:
    from zoo.nlp.seq2seq import DATES

    return dict(DATES)


def plans(key: str, card: Any, config: Callable[[], Any]) -> list:
    from ..plans import TrainPlan

    module = __name__
    if key in ("seq2seq_attention", "transformer_base", "t5_small"):
        return [_translation_plan(key, config())]
    if key == "bilstm_crf":
        cfg = config()
        return [TrainPlan(key, "date_tags", {}, {"num_tags": len(TAGS)},
                          (_r("sequences_char_tags"), _r("sequences_char_embedding", dim=cfg.embed_dim)),
                          {"epochs": 10_000, "max_steps": 400, "batch_size": 32, "optimizer": "adam", "lr": 3e-3,
                           "schedule": "cosine", "clip_norm": 1.0}, builder=f"{module}:char_tagger")]
    if key == "textcnn":
        return [TrainPlan(key, "python_help_topics", {}, {"num_classes": len(CHAPTERS)},
                          (_r("classes", classes=len(CHAPTERS)), _r("sequences_cnn_rand")),
                          {"epochs": 10, "batch_size": 32, "optimizer": "adam", "lr": 1e-3, "schedule": "onecycle"},
                          builder=f"{module}:cnn_rand")]
    if key == "lstm_classifier":
        cfg = config()
        vocab = topic_vocab_size()
        return [TrainPlan(key, "python_help_topics", {}, {"vocab_size": vocab, "num_classes": len(CHAPTERS),
                                                          "hidden_size": LSTM_HIDDEN},
                          (_r("classes", classes=len(CHAPTERS)),
                           _r("sequences_words", vocab=f"{vocab:,}", published=f"{cfg.vocab_size:,}"),
                           _r("sequences_lstm_width", hidden=LSTM_HIDDEN, published=cfg.hidden_size)),
                          {"epochs": 5, "batch_size": 32, "optimizer": "adam", "lr": 3e-3, "schedule": "onecycle",
                           "clip_norm": 1.0})]
    if key in ("rnn", "gru", "lstm"):
        cfg = config()
        return [TrainPlan(key, "digit_rows", {}, {"input_size": 8},
                          (_r("sequences_rows", inputs=8, published=cfg.input_size), _r("sequences_head", classes=10)),
                          {"epochs": 10, "batch_size": 64, "optimizer": "adam", "lr": 1e-3, "schedule": "onecycle",
                           "clip_norm": 1.0}, builder=f"{module}:last_state_classifier")]
    return []
