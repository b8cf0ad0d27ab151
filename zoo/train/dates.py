"""Dates written any which way → ISO 8601, with a tiny character-level RNNsearch (Bahdanau et al. 2015).

    python -m zoo.train seq2seq_dates      # ~3 minutes on one core (quiet machine)

The data is generated here, so nothing is downloaded: a calendar date between 1900-01-01 and 2099-12-31
is written in one of many formats — "3rd of March 2021", "Mar 3, 21", "2021/3/3", "03.03.2021",
"Wednesday, March 3, 2021", "星期三 2021年3月3日", "二〇二一年三月三日" … — and the model learns to write
`2021-03-03`. Two conventions settle the ambiguous cases and the demo states them: numbers separated by
dots are day.month.year and by slashes month/day/year (year first: year/month/day); a two-digit year
means 1950–2049.

Held out, never trained on:
- every date whose day number (days since 0001-01-01) is a multiple of 10 — about 7,300 dates, in every
  training format: the headline metric ("held-out dates");
- four formats that only recombine pieces seen in training ("3rd March 2021", "Wednesday 3 March
  2021", "2021年3月3日 星期三", "Mar. 3rd, 2021"), on held-out dates: reported, with no target, as a
  measure of how far the model generalises beyond its templates.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import time
import unicodedata
from typing import Callable

import torch
import torch.nn.functional as F

from ..rng import build, torch_generator
from ..runtime import single_threaded
from . import recipe

FIRST, LAST = dt.date(1900, 1, 1), dt.date(2099, 12, 31)
MAX_SOURCE_CHARS = 64  # the demo refuses longer text; every generated date is shorter
TARGET_LEN = 11  # "YYYY-MM-DD" + eos

# ------------------------------------------------------------------------------------------ vocabularies
# The source is read after NFKC normalisation (full-width digits and punctuation become ASCII) and
# lower-casing, so "MARCH", "March" and "ｍａｒｃｈ" are the same word to the model.
PAD, UNK, BOS, EOS = 0, 1, 1, 2  # source: 0 = padding, 1 = unknown character; target: 1 = bos, 2 = eos
SOURCE_CHARS = " ,./-'" + "0123456789" + "abcdefghijklmnopqrstuvwxyz" + "年月日号號星期周週天〇零一二三四五六七八九十"
SOURCE_IDS = {ch: i + 3 for i, ch in enumerate(SOURCE_CHARS)}  # 3 … 3 + len - 1 (< 128, the model's vocabulary)
TARGET_CHARS = "0123456789-"
TARGET_IDS = {ch: i + 3 for i, ch in enumerate(TARGET_CHARS)}  # 3 … 13 (the model's 14 target ids)

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ZH_WEEKDAYS = "一二三四五六日"
ZH_DIGITS = "〇一二三四五六七八九"


def normalize(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def encode_source(text: str) -> list[int]:
    return [SOURCE_IDS.get(ch, UNK) for ch in normalize(text)]


def encode_target(iso: str) -> list[int]:
    return [TARGET_IDS[ch] for ch in iso] + [EOS]


def decode_target(ids: list[int]) -> str:
    out = []
    for i in ids:
        if i == EOS:
            break
        out.append(TARGET_CHARS[i - 3] if 3 <= i < 3 + len(TARGET_CHARS) else "?")
    return "".join(out)


# ------------------------------------------------------------------------------------------ formats
def _ordinal(d: int) -> str:
    return f"{d}{'th' if 10 <= d % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(d % 10, 'th')}"


def _zh_number(n: int) -> str:
    """1–31 in Chinese numerals: 3 → 三, 12 → 十二, 23 → 二十三, 30 → 三十."""
    tens, ones = divmod(n, 10)
    return (("" if tens == 0 else "十" if tens == 1 else ZH_DIGITS[tens] + "十") + (ZH_DIGITS[ones] if ones else "")) or "〇"


def _case(word: str, r: random.Random) -> str:
    return r.choice((word, word, word.lower(), word.upper()))


def _month(d: dt.date, r: random.Random, short: bool | None = None) -> str:
    name = MONTHS[d.month - 1]
    if short or (short is None and r.random() < 0.5):
        name = name[:3] if name != "September" or r.random() < 0.7 else "Sept"
    return _case(name, r)


def _weekday(d: dt.date, r: random.Random, short: bool = False) -> str:
    name = WEEKDAYS[d.weekday()]
    return _case(name[:3] if short else name, r)


def _zh_weekday(d: dt.date, r: random.Random) -> str:
    return r.choice(("星期", "星期", "周")) + ZH_WEEKDAYS[d.weekday()]


def _pad(n: int, r: random.Random) -> str:
    return f"{n:02d}" if r.random() < 0.5 else str(n)


Format = Callable[[dt.date, random.Random], str]
TWO_DIGIT_YEARS = (1950, 2049)  # what "21" means: 2021; "75": 1975

# name → (writer, uses a two-digit year)
FORMATS: dict[str, tuple[Format, bool]] = {
    "3 March 2021": (lambda d, r: f"{d.day} {_month(d, r)} {d.year}", False),
    "3rd of March 2021": (lambda d, r: f"{_ordinal(d.day)} of {_month(d, r)} {d.year}", False),
    "the 3rd of March, 2021": (lambda d, r: f"the {_ordinal(d.day)} of {_month(d, r)}, {d.year}", False),
    "March 3, 2021": (lambda d, r: f"{_month(d, r)} {d.day}, {d.year}", False),
    "March 3rd, 2021": (lambda d, r: f"{_month(d, r)} {_ordinal(d.day)}, {d.year}", False),
    "Mar 3 2021": (lambda d, r: f"{_month(d, r, True)} {d.day} {d.year}", False),
    "Mar 3, 21": (lambda d, r: f"{_month(d, r, True)} {d.day}, {d.year % 100:02d}", True),
    "3 Mar 21": (lambda d, r: f"{d.day} {_month(d, r, True)} {d.year % 100:02d}", True),
    "03-Mar-2021": (lambda d, r: f"{_pad(d.day, r)}-{_month(d, r, True)}-{d.year}", False),
    "Wednesday, March 3, 2021": (lambda d, r: f"{_weekday(d, r)}, {_month(d, r)} {d.day}, {d.year}", False),
    "Wed 3 Mar 2021": (lambda d, r: f"{_weekday(d, r, True)} {d.day} {_month(d, r, True)} {d.year}", False),
    "2021/3/3": (lambda d, r: f"{d.year}/{_pad(d.month, r)}/{_pad(d.day, r)}", False),
    "2021-03-03": (lambda d, r: f"{d.year}-{d.month:02d}-{d.day:02d}", False),
    "20210303": (lambda d, r: f"{d.year}{d.month:02d}{d.day:02d}", False),
    "03.03.2021": (lambda d, r: f"{_pad(d.day, r)}.{_pad(d.month, r)}.{d.year}", False),
    "3.3.21": (lambda d, r: f"{d.day}.{d.month}.{d.year % 100:02d}", True),
    "3/3/2021 (US)": (lambda d, r: f"{_pad(d.month, r)}/{_pad(d.day, r)}/{d.year}", False),
    "2021年3月3日": (lambda d, r: f"{d.year}年{_pad(d.month, r)}月{_pad(d.day, r)}日", False),
    "2021年3月3号": (lambda d, r: f"{d.year}年{d.month}月{d.day}号", False),
    "星期三 2021年3月3日": (lambda d, r: f"{_zh_weekday(d, r)}{r.choice(('', ' '))}{d.year}年{d.month}月{d.day}日", False),
    "二〇二一年三月三日": (
        lambda d, r: "".join(ZH_DIGITS[int(c)] for c in str(d.year)) + f"年{_zh_number(d.month)}月{_zh_number(d.day)}日",
        False,
    ),
}
HELD_OUT_FORMATS: dict[str, tuple[Format, bool]] = {
    "3rd March 2021": (lambda d, r: f"{_ordinal(d.day)} {_month(d, r)} {d.year}", False),
    "Wednesday 3 March 2021": (lambda d, r: f"{_weekday(d, r)} {d.day} {_month(d, r)} {d.year}", False),
    "2021年3月3日 星期三": (lambda d, r: f"{d.year}年{d.month}月{d.day}日 {_zh_weekday(d, r)}", False),
    "Mar. 3rd, 2021": (lambda d, r: f"{_month(d, r, True)}. {_ordinal(d.day)}, {d.year}", False),
}


def held_out(d: dt.date) -> bool:
    """Every 10th calendar day is never trained on, in any format."""
    return d.toordinal() % 10 == 0


def sample(r: random.Random, split: str, formats: dict[str, tuple[Format, bool]] = FORMATS) -> tuple[str, str]:
    """One (text, iso) pair: a random format, a random date of `split` ("train" or "held_out")."""
    write, two_digit = formats[r.choice(sorted(formats))]
    lo, hi = (dt.date(TWO_DIGIT_YEARS[0], 1, 1), dt.date(TWO_DIGIT_YEARS[1], 12, 31)) if two_digit else (FIRST, LAST)
    while True:
        d = dt.date.fromordinal(r.randint(lo.toordinal(), hi.toordinal()))
        if held_out(d) == (split == "held_out"):
            return write(d, r), d.isoformat()


def batch(pairs: list[tuple[str, str]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Padded source ids (B, T_x) and target ids with eos (B, 11)."""
    src = [encode_source(text) for text, _ in pairs]
    x = torch.zeros(len(src), max(map(len, src)), dtype=torch.long)
    for i, s in enumerate(src):
        x[i, : len(s)] = torch.tensor(s)
    y = torch.tensor([encode_target(iso) for _, iso in pairs])
    return x, y


@torch.no_grad()
def exact_match(model: torch.nn.Module, pairs: list[tuple[str, str]], chunk: int = 256) -> float:
    """% of pairs whose greedy output is exactly the ISO date."""
    right = 0
    for i in range(0, len(pairs), chunk):
        part = pairs[i : i + chunk]
        ids, _ = model.greedy(batch(part)[0], TARGET_LEN)
        right += sum(decode_target(row.tolist()) == iso for row, (_, iso) in zip(ids, part))
    return 100.0 * right / len(pairs)


def evaluation_sets(n: int = 2000, seed: int = 12345) -> dict[str, list[tuple[str, str]]]:
    """The fixed held-out samples the manifest's metrics are measured on (a test recomputes a slice)."""
    r = random.Random(seed)
    return {
        "held-out dates": [sample(r, "held_out") for _ in range(n)],
        "held-out formats": [sample(r, "held_out", HELD_OUT_FORMATS) for _ in range(n // 2)],
    }


def train(model, steps: int, batch_size: int, lr: float, seed: int = 0, log_every: int = 250) -> float:
    """Teacher-forced cross-entropy on freshly generated pairs (the data never repeats), Adam with a cosine
    decay and gradient clipping (the paper trains with Adadelta and clips at norm 1 too)."""
    r = random.Random(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * s / steps)))
    bos = torch.full((batch_size, 1), BOS, dtype=torch.long)
    loss = torch.tensor(float("nan"))
    model.train()
    with single_threaded():
        for step in range(steps):
            x, y = batch([sample(r, "train") for _ in range(batch_size)])
            logits = model(x, torch.cat([bos, y[:, :-1]], 1))  # teacher forcing: the true previous character
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            if log_every and (step % log_every == 0 or step == steps - 1):
                print(f"step {step:5d}  loss {loss.item():.4f}", flush=True)
    model.eval()
    return loss.item()


@recipe("seq2seq_dates")
def seq2seq_dates() -> dict:
    """A 0.22M-parameter character-level RNNsearch: free-form dates → YYYY-MM-DD."""
    from .. import weights
    from ..weights import save_shipped

    config = dict(weights.get("seq2seq_attention", "dates").config)
    seed, steps, batch_size, lr = 0, 1500, 64, 3e-3
    model = build("seq2seq_attention", torch_generator(seed), **config)
    t0, cpu0 = time.time(), time.process_time()
    last = train(model, steps, batch_size, lr, seed)
    seconds, cpu = round(time.time() - t0, 1), round(time.process_time() - cpu0, 1)
    with single_threaded():
        metric = {name: round(exact_match(model, pairs), 2) for name, pairs in evaluation_sets().items()}
    metric = {f"{name} exact match %": v for name, v in metric.items()}
    entry = {
        "model": "seq2seq_attention",
        "recipe": "seq2seq_dates",
        "dataset": "generated dates 1900–2099 in the formats of zoo/train/dates.py; every 10th day and 4 formats "
        "held out; metrics on 2,000 held-out (date, format) pairs and 1,000 held-out-format pairs (seed 12345)",
        "config": config,
        "metric": {**metric, "train loss (last batch)": round(last, 4)},
        "train": {"steps": steps, "batch": batch_size, "lr": lr, "optimizer": "Adam, cosine decay, clip 1.0",
                  "seed": seed, "teacher forcing": True},
        "seconds": seconds,
        "cpu_seconds": cpu,
        "params": sum(p.numel() for p in model.parameters()),
    }
    save_shipped(model, "seq2seq_dates.safetensors", entry)
    return entry
