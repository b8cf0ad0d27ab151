"""Text generation, one byte at a time, from two small language models trained here on Python's own docs.

Both models read and write raw UTF-8 bytes (vocabulary 256), so any prompt can be encoded and no
tokenizer is downloaded. `stream` yields the continuation as it is sampled, for a live widget:
- `gpt2`: a 4-layer GPT-2-style Transformer (0.84M parameters, 128-byte context); no KV cache, so each
  step re-reads the last 128 bytes;
- `char_lstm`: a char-rnn LSTM (0.28M parameters) that carries its state, so each step is one LSTM step.
"""

from __future__ import annotations

import codecs
import functools
from dataclasses import dataclass
from typing import Iterator

import torch

from ..rng import torch_generator
from ..runtime import single_threaded
from . import BadInput, Demo, register_demo
from .inputs import MAX_PROMPT_CHARS, check_seed, clean_text

MODELS = {"gpt2": "GPT (4 layers, bytes)", "char_lstm": "char-LSTM (2×128, bytes)"}
MAX_NEW_BYTES = 400
MAX_TEMPERATURE = 2.0
EXAMPLES = (
    "The \"with\" statement",
    "A list comprehension ",
    "The import statement ",
    "Exceptions are raised when",
)


@dataclass(frozen=True)
class Generation:
    model: str
    prompt: str
    text: str  # the continuation only


@functools.lru_cache(maxsize=None)
def load(key: str) -> torch.nn.Module:
    """The shipped weights of `key`, loaded once per process."""
    from .. import create_model

    return create_model(key, weights="default")


def _sampler(key: str):
    from ..nlp import gpt, lstm

    return {"gpt2": gpt.generate, "char_lstm": lstm.generate}[key]


def check(prompt: str | bytes | None, model: str, temperature: float, top_k: int | None, max_new_tokens: int,
          seed: object = 0) -> str:
    """The prompt to continue, or BadInput naming the limit that was crossed."""
    if model not in MODELS:
        raise BadInput("unknown_model", value=repr(model), choices=", ".join(MODELS))
    text = clean_text(prompt, MAX_PROMPT_CHARS, what="text")
    if isinstance(prompt, str) and prompt[-1:] in (" ", "\n"):
        text += prompt[-1]  # clean_text strips, but a final space or newline changes what comes next
    if not 0 <= float(temperature) <= MAX_TEMPERATURE:
        raise BadInput("temperature_range", max=MAX_TEMPERATURE)
    if top_k is not None and not 0 <= int(top_k) <= 256:
        raise BadInput("top_k_range", max=256)
    if not 1 <= int(max_new_tokens) <= MAX_NEW_BYTES:
        raise BadInput("new_bytes_range", max=MAX_NEW_BYTES)
    check_seed(seed)  # a 20-digit seed from the API would overflow the generator's seeding
    return text


def stream(
    prompt: str | bytes | None,
    model: str = "gpt2",
    temperature: float = 0.8,
    top_k: int | None = 40,
    max_new_tokens: int = 200,
    seed: int = 0,
) -> Iterator[str]:
    """Yield the continuation so far after every sampled byte. The same seed gives the same text, whatever
    else the process runs meanwhile (the draws come from a generator of this call's own); temperature 0 is
    greedy decoding (no randomness at all)."""
    text = check(prompt, model, temperature, top_k, max_new_tokens, seed)
    seed = check_seed(seed)  # as an int
    net = load(model)
    idx = torch.tensor([list(text.encode("utf-8"))])  # (1, T) byte ids
    # bytes → text incrementally: a multi-byte character is shown once all its bytes are there,
    # and bytes that are not valid UTF-8 become "�" instead of an error
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    out = ""
    generator = torch_generator(seed)
    tokens = _sampler(model)(net, idx, int(max_new_tokens), float(temperature), int(top_k) if top_k else None,
                             generator)
    while True:
        # each step is one tiny forward pass, where extra OpenMP threads only spin-wait on a busy server; per
        # step because a streaming UI may resume this generator on a different thread each time
        with single_threaded():
            token = next(tokens, None)
        if token is None:
            break
        out += decoder.decode(bytes([int(token)]))
        yield out
    yield out + decoder.decode(b"", final=True)


def run(prompt: str | bytes | None, model: str = "gpt2", temperature: float = 0.8, top_k: int | None = 40,
        max_new_tokens: int = 200, seed: int = 0) -> Generation:
    """The whole continuation at once (what `stream` yields last)."""
    text = ""
    for text in stream(prompt, model, temperature, top_k, max_new_tokens, seed):
        pass
    return Generation(model, check(prompt, model, temperature, top_k, max_new_tokens), text)


register_demo(
    Demo(
        name="text_generation",
        title="Text generation (byte-level GPT and LSTM)",
        models=tuple(MODELS),
        input_kind="text",
        description=(
            "Write the start of a text and watch a small language model continue it, one byte at a time. Both models "
            "were trained by DeepZoo in under three minutes on the help texts that ship with Python, so they write "
            "documentation-flavoured English — and plenty of nonsense. The GPT here is a 4-layer, 0.84M-parameter "
            "model, not OpenAI's 124M GPT-2. Temperature 0 always picks the likeliest byte; higher is more adventurous."
        ),
        run=run,
        gradio=True,
        i18n={
            "zh": {
                "title": "文本生成（字节级 GPT 与 LSTM）",
                "description": "写下一段文字的开头，看小型语言模型逐字节续写。两个模型都由 DeepZoo 在 Python 自带的帮助文档上训练了不到三分钟，"
                "所以写出的是文档风格的英文——也夹杂不少胡话。这里的 GPT 是 4 层、84 万参数的小模型，而非 OpenAI 的 1.24 亿参数 GPT-2。"
                "温度为 0 时总选最可能的字节，越高越随意。",
            }
        },
    )
)
