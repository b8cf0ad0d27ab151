"""Dates written any which way → ISO 8601 (YYYY-MM-DD), by a tiny character-level RNNsearch.

The model (`seq2seq_attention` at 0.22M parameters, trained by `python -m zoo.train seq2seq_dates` on
generated dates, see zoo/train/dates.py) reads the text one character at a time and writes the ISO
date one character at a time. Before writing each character it attends over the input: the attention
matrix (output characters × input characters) shows where it looked — the year digits while writing
the year, the month name while writing the month — an alignment it was never told about.

Conventions the model learned (as the generated data defines them): numbers separated by dots are
day.month.year, by slashes month/day/year (or year/month/day when the year comes first), and a
two-digit year means 1950–2049. The model always writes *some* date; `valid` says whether it exists.
"""

from __future__ import annotations

import datetime as dt
import functools
import unicodedata
from dataclasses import dataclass

import numpy as np
import torch

from ..runtime import single_threaded
from ..train.dates import MAX_SOURCE_CHARS, SOURCE_IDS, TARGET_LEN, decode_target, encode_source, normalize
from . import BadInput, Demo, register_demo
from .inputs import clean_text

MODEL = "seq2seq_attention"
EXAMPLES = (
    "3rd of March 2021",
    "March 3, 21",
    "2021/3/3",
    "星期三 2021年3月3日",
    "二〇二一年三月三日",
    "Wed 3 Mar 2021",
    "25.12.1999",
    "July 4th, 1976",
)


@dataclass(frozen=True)
class Conversion:
    text: str  # what the user typed (stripped)
    source: list[str]  # the characters the model read (normalised: NFKC, lower case, single spaces)
    iso: str  # what the model wrote
    valid: bool  # whether `iso` is a real calendar date
    output: list[str]  # the characters written, ending with "</s>" (the end-of-sequence symbol)
    attention: np.ndarray  # (len(output), len(source)): row i = where the model looked while writing output[i]


@functools.lru_cache(maxsize=None)
def load() -> torch.nn.Module:
    """The shipped dates weights, loaded once per process."""
    from .. import create_model

    return create_model(MODEL, weights="default")


def check(text: str | bytes | None) -> str:
    """The text to convert, or BadInput: empty, longer than MAX_SOURCE_CHARS, control characters, or
    mostly characters the model never saw."""
    text = clean_text(text, MAX_SOURCE_CHARS, what="text")
    # Cc: control characters (a bell, an escape); Cf: invisible formatting (zero-width space, direction marks)
    control = next((ch for ch in text if unicodedata.category(ch) in ("Cc", "Cf") and not ch.isspace()), None)
    if control is not None:
        raise BadInput("date_control", code=f"{ord(control):04X}")
    chars = normalize(text)
    unknown = [ch for ch in chars if ch not in SOURCE_IDS]
    if len(unknown) * 2 > len(chars):
        raise BadInput("date_unknown_chars", chars="".join(dict.fromkeys(unknown))[:10])
    return text


def run(text: str | bytes | None) -> Conversion:
    text = check(text)
    src = torch.tensor([encode_source(text)])  # (1, T_x)
    model = load()
    with single_threaded():  # a 0.2M-parameter model: extra threads would only spin-wait
        ids, attention = model.greedy(src, TARGET_LEN)  # (1, 11), (1, 11, T_x)
    ids = ids[0].tolist()
    iso = decode_target(ids)
    n = len(iso) + 1  # the characters written and the end symbol; nothing after it is read
    try:
        valid = dt.date.fromisoformat(iso).isoformat() == iso
    except ValueError:
        valid = False
    return Conversion(
        text=text,
        source=list(normalize(text)),
        iso=iso,
        valid=valid,
        output=list(iso) + ["</s>"],
        attention=attention[0, :n].numpy(),
    )


register_demo(
    Demo(
        name="dates",
        title="Dates to ISO (seq2seq with attention)",
        models=(MODEL,),
        input_kind="text",
        description=(
            "Type a date the way people write it — \"3rd of March 2021\", \"Mar 3, 21\", \"2021/3/3\", "
            "\"星期三 2021年3月3日\" — and a tiny RNNsearch (Bahdanau et al. 2015, 0.22M parameters) rewrites it as "
            "YYYY-MM-DD, one character at a time. The heat map shows its attention: which input characters it read "
            "while writing each output character. DeepZoo trained it in minutes on generated dates."
        ),
        run=run,
        gradio=True,
        i18n={
            "zh": {
                "title": "日期转 ISO 格式（带注意力的 seq2seq）",
                "description": "按人们平常的写法输入日期——“3rd of March 2021”“Mar 3, 21”“2021/3/3”“星期三 2021年3月3日”——"
                "一个很小的 RNNsearch（Bahdanau 等人 2015，22 万参数）会逐字符把它改写成 YYYY-MM-DD。热力图展示它的注意力："
                "写每个输出字符时读了哪些输入字符。DeepZoo 用生成的日期几分钟就训练好了它。",
            }
        },
    )
)
