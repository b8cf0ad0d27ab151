"""Compression and export of the shipped weights: dynamic int8 quantisation, global magnitude pruning, ONNX.

For every weights file DeepZoo ships (`assets/weights/*.safetensors`), each variant is measured the same way:

- **size**: bytes of the variant written as safetensors. Float tensors keep the dtype of the shipped file
  (float16 for `ddpm_digits`, float32 for the rest); int8 weights are stored as their int8 values plus a
  scale and zero point per tensor, the layout `load_int8` reads back. A pruned tensor is as large as before
  when stored densely, so pruned variants also state their *sparse* size: each pruned matrix as its non-zero
  values plus a bitmask of one bit per element (`sparse_tensors` / `dense_from_sparse`, exact round trip).
- **latency**: median of `repeats` calls of one typical request (batch 1, the demo's call, e.g. TD3's
  `act`, a seq2seq greedy decode) after warm-up, on the torch thread count of the measuring process (stated).
- **quality**: the recipe's own evaluation on the recipe's held-out data (`zoo.train.*` functions, called,
  not copied), under the metric name of the weights' manifest.

Dynamic quantisation (`torch.ao.quantization.quantize_dynamic`) swaps `nn.Linear`, `nn.LSTM` and `nn.GRU` for
int8 versions that quantise activations on the fly; it does nothing to convolutions, so a conv-only network
(U-Net, DCGAN, YOLOv8 here) has nothing it quantises, and its result says so. Pruning
(`torch.nn.utils.prune.global_unstructured`, L1) zeroes the given fraction of all weight matrices and
filters together (every parameter with two or more dimensions; biases and norms stay), smallest magnitudes
first. ONNX export uses torch's dynamo exporter (needs `onnx` and `onnxscript`); ONNX Runtime then runs the
file on the same request and its output must equal torch's within `ONNX_ATOL` / `ONNX_RTOL`.

Measuring mutates no process-wide state: the caller decides the thread count (the CLI sets it in its own
process; the app runs `python -m zoo compress` as a child process).

    python -m zoo compress lenet5 [--weights NAME] [--prune 0.3,0.5,0.7] [--onnx out.onnx]
    python -m zoo compress --all --save          # rewrites assets/compress/results.json
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import functools
import hashlib
import io
import json
import logging
import os
import platform
import re
import statistics
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np
import torch
from torch import nn

from . import runtime
from . import weights as zoo_weights
from .registry import list_models

ASSETS = Path(__file__).resolve().parent.parent / "assets"
RESULTS = ASSETS / "compress" / "results.json"
PRUNE_FRACTIONS = (0.3, 0.5, 0.7)
QUANTISED_TYPES = (nn.Linear, nn.LSTM, nn.GRU)
ONNX_ATOL, ONNX_RTOL = 1e-4, 1e-3
REPEATS, WARMUP = 50, 5


# ----------------------------------------------------------------------------- each recipe's evaluation


@dataclass(frozen=True)
class Evaluation:
    """How one shipped weights file is judged and called: the recipe's metric (named as in its manifest)
    computed by the recipe's own function, and one typical request for latency and export."""

    metric: str  # the manifest's metric name
    higher_is_better: bool
    measure: Callable[[nn.Module], float]  # the recipe's evaluation on its held-out data
    request: Callable[[], tuple]  # positional arguments of one request, batch 1
    method: str = "forward"  # the model method a request calls
    request_note: str = ""  # what one request is, in words (shown beside the latency)
    proxy: bool = False  # a proxy of sample quality (generative models): a higher value is not always better


def _lenet5_accuracy(model: nn.Module) -> float:
    from .train import digits

    _, x_test, _, y_test = digits.split()
    return 100 * digits.accuracy(model, digits.to_input(x_test), torch.as_tensor(y_test))


def _lenet5_request() -> tuple:
    from .train import digits

    return (digits.to_input(digits.split()[1][:1]),)


def _bits_per_byte(model: nn.Module) -> float:
    from .train import textgen

    return textgen.bits_per_byte(model, textgen.corpus()[1])


def _text_request() -> tuple:
    from .train import textgen

    return (textgen.corpus()[1][: textgen.EVAL_WINDOW][None],)


def _cartpole_return(model: nn.Module) -> float:
    from .train import rl

    return float(np.mean(rl.evaluate(rl.greedy(model))))


def _pendulum_return(model: nn.Module) -> float:
    from .train import pendulum

    return float(np.mean(pendulum.evaluate(lambda seed: pendulum.deterministic(model))))


def _first_observation(env_module: str) -> Callable[[], tuple]:
    def request() -> tuple:
        import importlib

        module = importlib.import_module(f"{__package__}.train.{env_module}")
        with module.make_env() as env:
            obs, _ = env.reset(seed=int(module.EVAL_SEEDS[0]))
        return (torch.as_tensor(obs, dtype=torch.float32)[None],)

    return request


def _kan_rmse(model: nn.Module) -> float:
    from .train import kan

    spec = zoo_weights.manifest()["kan_formula.safetensors"]["training"]
    x, y = kan.held_out_points(**{k: spec[k] for k in ("seed", "points", "held_out", "formula")})
    return kan.rmse(model, x, y)


def _kan_request() -> tuple:
    from .train import kan

    return (kan.held_out_points()[0][:1],)


def _dates_exact_match(model: nn.Module) -> float:
    from .train import dates

    return dates.exact_match(model, dates.evaluation_sets()["held-out dates"])


def _dates_request() -> tuple:
    from .train import dates

    src, _ = dates.batch(dates.evaluation_sets(n=2)["held-out dates"][:1])
    return (src, dates.TARGET_LEN)


def _unet_iou(model: nn.Module) -> float:
    from .train import segmentation

    return segmentation.evaluate(model)["mean IoU %"]


def _unet_request() -> tuple:
    from .train import segmentation

    return (segmentation.batch([segmentation.HELD_OUT_SEED])[0],)


def _yolo_map(model: nn.Module) -> float:
    from .train import find_digits

    return find_digits.evaluate(model)


def _yolo_request() -> tuple:
    from .rng import numpy_generator
    from .train import find_digits

    _, (grids, labels) = find_digits.digit_sets()
    x, _ = find_digits.batch(numpy_generator(1), grids, labels, 1)
    return (x,)


def _dcgan_confidence(model: nn.Module) -> float:
    from .train import generative

    return generative.dcgan_quality(model)["judge confidence %"]


def _dcgan_request() -> tuple:
    return (torch.randn(1, 32, generator=torch.Generator().manual_seed(0)),)


def _m5_accuracy(model: nn.Module) -> float:
    from .train import spoken_digits

    x, y = _m5_held_out()
    return spoken_digits.accuracy(model, x, y)


@functools.cache
def _m5_held_out() -> tuple[torch.Tensor, torch.Tensor]:
    """The recipe's held-out voices, synthesised as the recipe does (espeak-ng, seed 1), once per process."""
    from .train import spoken_digits

    words = zoo_weights.get("m5").labels
    return spoken_digits.synthesize(words, spoken_digits.voices(held_out=True), takes=1, seed=1)


def _m5_request() -> tuple:
    return (_m5_held_out()[0][:1, None],)


def _ddpm_confident(model: nn.Module) -> float:
    from .train import diffusion

    return diffusion.quality_report(model)["LeNet-5 confident (≥ 0.9) %"]


def _ddpm_request() -> tuple:
    from .train import diffusion

    x = torch.randn(1, 1, diffusion.SIZE, diffusion.SIZE, generator=torch.Generator().manual_seed(0))
    return (x, torch.tensor([500]))


EVALUATIONS: dict[str, Evaluation] = {  # keyed by shipped file
    "lenet5_digits.safetensors": Evaluation("held-out accuracy %", True, _lenet5_accuracy, _lenet5_request,
                                            request_note="one 32×32 digit"),
    "char_lstm_bytes.safetensors": Evaluation("held-out bits/byte", False, _bits_per_byte, _text_request,
                                              request_note="128 bytes of text, every next-byte distribution"),
    "gpt2_bytes.safetensors": Evaluation("held-out bits/byte", False, _bits_per_byte, _text_request,
                                         request_note="128 bytes of text, every next-byte distribution"),
    "dqn_cartpole.safetensors": Evaluation("greedy mean return, 20 held-out episodes", True, _cartpole_return,
                                           _first_observation("rl"), request_note="Q-values of one observation"),
    "td3_pendulum.safetensors": Evaluation("deterministic mean return, 20 held-out episodes", True,
                                           _pendulum_return, _first_observation("pendulum"), method="act",
                                           request_note="the action for one observation"),
    "kan_formula.safetensors": Evaluation("held-out RMSE", False, _kan_rmse, _kan_request,
                                          request_note="f(x, y) at one point"),
    "seq2seq_dates.safetensors": Evaluation("held-out dates exact match %", True, _dates_exact_match,
                                            _dates_request, method="greedy",
                                            request_note="one date, greedy decoding of 11 characters"),
    "unet_shapes.safetensors": Evaluation("mean IoU %", True, _unet_iou, _unet_request,
                                          request_note="one 64×64 scene"),
    "yolov8n_digits_det.safetensors": Evaluation("held-out mAP@0.5", True, _yolo_map, _yolo_request,
                                                 request_note="one 128×128 scene, detections after NMS"),
    "dcgan_digits.safetensors": Evaluation("judge confidence %", True, _dcgan_confidence, _dcgan_request,
                                           request_note="one 16×16 sample", proxy=True),
    "m5_spoken_digits.safetensors": Evaluation("held-out-voice accuracy %", True, _m5_accuracy, _m5_request,
                                               request_note="one second of audio at 8 kHz"),
    "ddpm_digits.safetensors": Evaluation("LeNet-5 confident (≥ 0.9) %", True, _ddpm_confident, _ddpm_request,
                                          request_note="one denoising step of one 8×8 image (a DDIM sample takes 50)",
                                          proxy=True),
}  # fmt: skip


def shipped_weights() -> list[zoo_weights.Weights]:
    """Every weights entry whose file ships under assets/weights/, in model order."""
    return [w for key in list_models() for w in zoo_weights.available(key) if w.source == "shipped"]


def has_shipped_weights(key: str) -> bool:
    try:
        return any(w.source == "shipped" for w in zoo_weights.available(key))
    except KeyError:
        return False


def evaluation(w: zoo_weights.Weights) -> Evaluation:
    if w.file not in EVALUATIONS:
        raise KeyError(f"{w.file}: no evaluation registered in zoo.compress.EVALUATIONS")
    return EVALUATIONS[w.file]


# ----------------------------------------------------------------------------- the transformations


def quantize(model: nn.Module) -> tuple[nn.Module, dict[str, int]]:
    """Dynamic int8 quantisation of a copy of `model`: (quantised copy, {layer type: count quantised}).
    An empty count means the model has none of Linear / LSTM / GRU and the copy is unchanged."""
    counts: dict[str, int] = {}
    for m in model.modules():
        if type(m) in QUANTISED_TYPES:
            counts[type(m).__name__] = counts.get(type(m).__name__, 0) + 1
    with warnings.catch_warnings():  # torch.ao.quantization announces its move to torchao on every call
        warnings.simplefilter("ignore")
        from torch.ao.quantization import quantize_dynamic

        quantised = quantize_dynamic(copy.deepcopy(model), set(QUANTISED_TYPES), dtype=torch.qint8)
    return quantised.eval(), counts


def prunable(model: nn.Module) -> list[tuple[nn.Module, str]]:
    """(module, parameter name) of every weight matrix or filter (≥ 2 dims), each tensor once (tied
    tensors, e.g. GPT's embedding and LM head, are one tensor)."""
    seen: set[int] = set()
    out = []
    for module in model.modules():
        for name, p in module.named_parameters(recurse=False):
            if p.dim() >= 2 and id(p) not in seen:
                seen.add(id(p))
                out.append((module, name))
    return out


def prune_global(model: nn.Module, fraction: float) -> nn.Module:
    """A copy of `model` with the `fraction` of smallest-magnitude weights of all prunable tensors together
    set to zero (global L1 pruning), made permanent (plain parameters again, no masks)."""
    from torch.nn.utils import prune

    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"pruning fraction must be in [0, 1), got {fraction}")
    pruned = copy.deepcopy(model)
    params = prunable(pruned)
    prune.global_unstructured(params, pruning_method=prune.L1Unstructured, amount=fraction)
    for module, name in params:
        prune.remove(module, name)  # writes the masked values into the original Parameter: ties survive
    return pruned.eval()


def sparsity(model: nn.Module) -> float:
    """Fraction of zeros over the prunable tensors (what `prune_global` targets)."""
    tensors = [getattr(m, n) for m, n in prunable(model)]
    return sum(int((t == 0).sum()) for t in tensors) / sum(t.numel() for t in tensors)


# ----------------------------------------------------------------------------- storage and sizes


def _float_dtype_of(path: Path) -> torch.dtype:
    """The float dtype a shipped safetensors file stores (float16 for a half-precision file)."""
    from safetensors import safe_open

    with safe_open(str(path), "pt") as f:
        dtypes = {f.get_slice(k).get_dtype() for k in f.keys()}
    return torch.float16 if "F16" in dtypes else torch.float32


def _unique(tensors: Iterable[tuple[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """First name of each tensor (tied tensors stored once, as `safetensors.torch.save_model` does)."""
    seen: set[tuple[int, tuple[int, ...]]] = set()
    out = {}
    for name, t in tensors:
        ident = (t.untyped_storage().data_ptr(), tuple(t.shape)) if t.numel() else (id(t), ())
        if ident not in seen:
            seen.add(ident)
            out[name] = t
    return out


def state_tensors(model: nn.Module, float_dtype: torch.dtype = torch.float32) -> dict[str, torch.Tensor]:
    """Plain tensors that store `model`, quantised or not. A dynamically quantised Linear / LSTM / GRU gives,
    per weight, `<name>.int8` (int8 values), `<name>.scale` (float32) and `<name>.zero_point` (int64), as
    per-tensor affine int8 means: w ≈ scale × (int8 − zero_point); its biases stay float."""
    from torch.ao.nn.quantized import dynamic as qd
    from torch.ao.nn.quantized.dynamic.modules import rnn as qd_rnn

    pairs: list[tuple[str, torch.Tensor]] = []  # stored in float_dtype where floating point
    packed: dict[str, torch.Tensor] = {}  # int8 values with their float32 scales, stored as they are
    for prefix, module in model.named_modules():
        dot = f"{prefix}." if prefix else ""
        if isinstance(module, qd.Linear):
            w, b = module.weight(), module.bias()
            packed.update(_int8(f"{dot}weight", w))
            if b is not None:
                pairs.append((f"{dot}bias", b))
        elif isinstance(module, qd_rnn.RNNBase):
            for name, w in module.get_weight().items():
                packed.update(_int8(f"{dot}{name}", w))
            pairs += [(f"{dot}{name}", b) for name, b in module.get_bias().items()]
        else:
            pairs += [(f"{dot}{n}", t) for n, t in module.named_parameters(recurse=False)]
            pairs += [(f"{dot}{n}", t) for n, t in module.named_buffers(recurse=False) if t is not None]
    plain = {n: (t.detach().to(float_dtype) if t.is_floating_point() else t.detach()).contiguous()
             for n, t in _unique(pairs).items()}
    return {**plain, **packed}


def _int8(name: str, w: torch.Tensor) -> dict[str, torch.Tensor]:
    if w.qscheme() != torch.per_tensor_affine:
        raise ValueError(f"{name}: expected per-tensor int8, got {w.qscheme()}")
    return {f"{name}.int8": w.int_repr().contiguous(),
            f"{name}.scale": torch.tensor([w.q_scale()], dtype=torch.float32),
            f"{name}.zero_point": torch.tensor([w.q_zero_point()], dtype=torch.int64)}


def safetensors_bytes(tensors: dict[str, torch.Tensor]) -> bytes:
    from safetensors.torch import save

    return save(tensors)


def sparse_tensors(tensors: dict[str, torch.Tensor], names: Iterable[str]) -> dict[str, torch.Tensor]:
    """The tensors `names` stored sparsely: `<name>.values` (the non-zeros in row-major order),
    `<name>.mask` (one bit per element, `numpy.packbits` order) and `<name>.shape`; others unchanged."""
    out = dict(tensors)
    for name in names:
        t = out.pop(name)
        nonzero = (t != 0).flatten()
        out[f"{name}.values"] = t.flatten()[nonzero].contiguous()
        out[f"{name}.mask"] = torch.from_numpy(np.packbits(nonzero.numpy()))
        out[f"{name}.shape"] = torch.tensor(t.shape, dtype=torch.int64)
    return out


def dense_from_sparse(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Inverse of `sparse_tensors`."""
    out = {}
    for name, t in tensors.items():
        if name.endswith(".values"):
            base = name.removesuffix(".values")
            shape = tuple(tensors[f"{base}.shape"].tolist())
            n = int(np.prod(shape))
            mask = torch.from_numpy(np.unpackbits(tensors[f"{base}.mask"].numpy(), count=n).astype(bool))
            dense = torch.zeros(n, dtype=t.dtype)
            dense[mask] = t
            out[base] = dense.reshape(shape)
        elif not name.endswith((".mask", ".shape")):
            out[name] = t
    return out


def load_int8(key: str, path: str | Path, weights: str = "default") -> nn.Module:
    """Read an int8 file written by `python -m zoo compress KEY --int8 FILE` (the `state_tensors` layout)
    back into a dynamically quantised model, ready to run."""
    from safetensors.torch import load_file
    from torch.ao.nn.quantized import dynamic as qd
    from torch.ao.nn.quantized.dynamic.modules import rnn as qd_rnn

    model, _ = quantize(zoo_weights.load(key, weights))
    stored = load_file(str(path))

    def dequantised(name: str) -> torch.Tensor:
        return torch.quantize_per_tensor(stored[f"{name}.int8"].float().sub(stored[f"{name}.zero_point"]).mul(
            stored[f"{name}.scale"]), float(stored[f"{name}.scale"]), int(stored[f"{name}.zero_point"]), torch.qint8)

    with torch.no_grad():
        for prefix, module in model.named_modules():
            dot = f"{prefix}." if prefix else ""
            if isinstance(module, qd.Linear):
                module.set_weight_bias(dequantised(f"{dot}weight"), stored.get(f"{dot}bias"))
            elif isinstance(module, qd_rnn.RNNBase):
                raise NotImplementedError("reading int8 LSTM/GRU files back is not supported; export ONNX instead")
            else:
                for n, p in module.named_parameters(recurse=False):
                    if f"{dot}{n}" in stored:
                        p.copy_(stored[f"{dot}{n}"])
                for n, b in module.named_buffers(recurse=False):
                    if b is not None and f"{dot}{n}" in stored:
                        b.copy_(stored[f"{dot}{n}"])
    return model.eval()


# ----------------------------------------------------------------------------- latency and ONNX


def call(model: nn.Module, ev: Evaluation, args: tuple) -> Any:
    with torch.inference_mode():
        return getattr(model, ev.method)(*args)


def interleaved_latency_ms(calls: dict[str, Callable[[], Any]], repeats: int = REPEATS,
                           warmup: int = WARMUP) -> dict[str, dict[str, float]]:
    """Median and quartiles (ms) of `repeats` timed calls of each, after `warmup` untimed ones. The variants
    take turns call by call, so a burst of load from elsewhere on a shared machine slows them all alike and
    their ratios stay comparable; each round starts with the next variant, so none always runs first (on
    caches another variant left cold)."""
    for fn in calls.values():
        for _ in range(warmup):
            fn()
    times: dict[str, list[float]] = {name: [] for name in calls}
    order = list(calls.items())
    for round_ in range(repeats):
        shift = round_ % len(order)
        for name, fn in order[shift:] + order[:shift]:
            start = time.perf_counter()
            fn()
            times[name].append(1000 * (time.perf_counter() - start))
    out = {}
    for name, ts in times.items():
        q1, median, q3 = statistics.quantiles(ts, n=4) if len(ts) > 1 else (ts[0],) * 3
        out[name] = {"median": median, "q1": q1, "q3": q3}
    return out


class _Request(nn.Module):
    """`model.<method>(*args)` as a forward, so the exporter sees one request's computation."""

    def __init__(self, model: nn.Module, method: str, constants: dict[int, Any]):
        super().__init__()
        self.model, self.method, self.constants = model, method, constants

    def forward(self, *tensors: torch.Tensor):
        it = iter(tensors)
        n = len(tensors) + len(self.constants)
        args = [self.constants[i] if i in self.constants else next(it) for i in range(n)]
        return getattr(self.model, self.method)(*args)


def _flat_tensors(out: Any) -> list[torch.Tensor]:
    if isinstance(out, torch.Tensor):
        return [out]
    if isinstance(out, dict):
        return [t for v in out.values() for t in _flat_tensors(v)]
    if isinstance(out, (tuple, list)):
        return [t for v in out for t in _flat_tensors(v)]
    return []


def export_onnx(model: nn.Module, ev: Evaluation, args: tuple, path: Path
                ) -> tuple[dict[str, Any], Callable[[], Any] | None]:
    """Export one request of `model` to `path` with torch's dynamo exporter and check it in ONNX Runtime.
    Returns ({"bytes", "export_seconds", "max_abs_diff", "matches"} or with {"error": reason}, and a function
    that runs the request in ONNX Runtime, or None)."""
    tensors = tuple(a for a in args if isinstance(a, torch.Tensor))
    constants = {i: a for i, a in enumerate(args) if not isinstance(a, torch.Tensor)}
    wrapper = _Request(model, ev.method, constants).eval()
    start = time.perf_counter()
    onnx_log = logging.getLogger("torch.onnx")
    level = onnx_log.level
    try:
        # torch's dynamo exporter (the TorchScript one is deprecated); it prints progress and warns that
        # torchvision's operators are not registered, neither of which concerns these models
        onnx_log.setLevel(logging.ERROR)
        quiet = contextlib.ExitStack()
        quiet.enter_context(warnings.catch_warnings())
        quiet.enter_context(contextlib.redirect_stdout(io.StringIO()))
        quiet.enter_context(contextlib.redirect_stderr(io.StringIO()))  # torch.export prints the graph it failed on
        with quiet:
            warnings.simplefilter("ignore")
            torch.onnx.export(wrapper, tensors, str(path), dynamo=True, external_data=False)
    except Exception as e:  # noqa: BLE001 — a model the exporter cannot trace is a result, not a crash
        return {"error": f"export failed: {_first_line(e)}"}, None
    finally:
        onnx_log.setLevel(level)
    result: dict[str, Any] = {"bytes": path.stat().st_size, "export_seconds": round(time.perf_counter() - start, 1)}
    try:
        import onnxruntime as ort
    except ImportError:
        result["error"] = "onnxruntime is not installed: the file was not checked"
        return result, None
    options = ort.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()  # the same thread budget as the torch figures
    options.inter_op_num_threads = 1
    try:
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        feed = {i.name: t.numpy() for i, t in zip(session.get_inputs(), tensors)}
        got = session.run(None, feed)
    except Exception as e:  # noqa: BLE001
        result["error"] = f"ONNX Runtime failed: {_first_line(e)}"
        return result, None
    want = [t.detach().float().numpy() for t in _flat_tensors(call(model, ev, args))]
    if len(got) != len(want) or any(g.shape != w.shape for g, w in zip(got, want)):
        result["error"] = "ONNX Runtime's outputs differ in number or shape from torch's"
        return result, None
    result["max_abs_diff"] = max((float(np.abs(g.astype(np.float32) - w).max()) for g, w in zip(got, want) if w.size),
                                 default=0.0)
    result["matches"] = all(np.allclose(g, w, atol=ONNX_ATOL, rtol=ONNX_RTOL) for g, w in zip(got, want))
    return result, lambda: session.run(None, feed)


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _first_line(e: BaseException) -> str:
    """The first line of the innermost cause: torch.onnx wraps the reason (e.g. a data-dependent shape that
    torch.export cannot trace) in a generic "Failed to export" error."""
    while e.__cause__ is not None:
        e = e.__cause__
    text = _ANSI.sub("", str(e)).strip()
    return f"{type(e).__name__}: {(text.splitlines() or [''])[0][:300]}"


# ----------------------------------------------------------------------------- one weights file, every variant


def measure(
    key: str,
    weights: str = "default",
    fractions: Iterable[float] = PRUNE_FRACTIONS,
    onnx_path: str | Path | None = None,
    int8_path: str | Path | None = None,
    repeats: int = REPEATS,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Every variant of one shipped weights file, measured here. `onnx_path` / `int8_path` keep the
    exported ONNX file and the int8 safetensors there (else the ONNX file goes to a temporary folder)."""
    import tempfile

    from safetensors.torch import save_file

    w = zoo_weights.get(key, weights)
    if w.source != "shipped":
        raise zoo_weights.WeightsUnavailable(f"{key}/{w.name} does not ship as a file under assets/weights")
    ev = evaluation(w)
    say = progress or (lambda _: None)
    float_dtype = _float_dtype_of(w.path)
    original = zoo_weights.load(key, w.name)
    args = ev.request()

    rows: list[dict[str, Any]] = []
    calls: dict[str, Callable[[], Any]] = {}  # variant → one request, timed together below

    def add(variant: str, model: nn.Module, tensors: dict[str, torch.Tensor], **extra) -> None:
        say(variant)
        size = len(safetensors_bytes(tensors))
        rows.append({"variant": variant, "bytes": size, "metric": ev.measure(model), **extra})
        calls[variant] = lambda: call(model, ev, args)

    add("original", original, state_tensors(original, float_dtype), file_bytes=w.path.stat().st_size)
    quantised, counts = quantize(original)
    if counts:
        tensors = state_tensors(quantised, float_dtype)
        add("int8_dynamic", quantised, tensors, quantised_layers=counts)
        if int8_path:
            save_file(tensors, str(int8_path), metadata={"deepzoo": f"{key}/{w.name} int8 dynamic, zoo.compress"})
    else:
        rows.append({"variant": "int8_dynamic", "skipped": "no Linear, LSTM or GRU layer: nothing to quantise"})
    prunable_names = None
    for fraction in fractions:
        pruned = prune_global(original, fraction)
        tensors = state_tensors(pruned, float_dtype)
        if prunable_names is None:
            ids = {id(getattr(m, n)) for m, n in prunable(pruned)}
            named = dict(pruned.named_parameters(remove_duplicate=True))
            prunable_names = [n for n, p in named.items() if id(p) in ids and n in tensors]
        sparse = sparse_tensors(tensors, prunable_names)
        add(f"pruned_{round(fraction * 100)}", pruned, tensors, sparsity=sparsity(pruned),
            sparse_bytes=len(safetensors_bytes(sparse)))
    say("onnx")
    with tempfile.TemporaryDirectory(prefix="deepzoo-onnx-") as tmp:
        path = Path(onnx_path) if onnx_path else Path(tmp) / f"{key}.onnx"
        onnx, run_onnx = export_onnx(original, ev, args, path)
        rows.append({"variant": "onnx", **onnx})
        if run_onnx is not None:
            calls["onnx"] = run_onnx
        say("latency")
        timed = interleaved_latency_ms(calls, repeats)
    for row in rows:
        if row["variant"] in timed:
            row["latency_ms"] = timed[row["variant"]]
    manifest = zoo_weights.manifest()[w.file]
    return {
        "model": key, "weights": w.name, "file": w.file, "recipe": w.recipe,
        "metric": ev.metric, "higher_is_better": ev.higher_is_better,
        "manifest_metric": manifest["metric"][ev.metric],
        "float_dtype": str(float_dtype).removeprefix("torch."),
        "request": ev.request_note, "method": ev.method,
        "threads": torch.get_num_threads(), "repeats": repeats,
        "variants": rows,
    }


# ----------------------------------------------------------------------------- where results live


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    from .runtime import cpu_name

    cpu = cpu_name()
    try:
        import onnxruntime

        ort_version = onnxruntime.__version__
    except ImportError:
        ort_version = None
    from .runtime import usable_cores

    return {"cpu": cpu, "cores": usable_cores(), "python": platform.python_version(), "torch": torch.__version__,
            "onnxruntime": ort_version, "platform": platform.platform(), "load_average": runtime.load_average()}


def fingerprint(w: zoo_weights.Weights) -> str:
    """Changes when the weights file, this module or the torch / onnxruntime versions change."""
    h = hashlib.sha256()
    h.update(w.path.read_bytes())
    h.update(Path(__file__).read_bytes())
    h.update(json.dumps({k: v for k, v in machine().items() if k not in ("load_average",)}, sort_keys=True).encode())
    return h.hexdigest()[:16]


def cache_dir() -> Path:
    if os.environ.get("DEEPZOO_CACHE_DIR"):
        return Path(os.environ["DEEPZOO_CACHE_DIR"]) / "compress"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "deepzoo" / "compress"


def cached_paths(key: str, weights: str = "default") -> dict[str, Path]:
    """Where a measurement made on this machine keeps its result and files."""
    w = zoo_weights.get(key, weights)
    stem = f"{w.file.removesuffix('.safetensors')}-{fingerprint(w)}"
    d = cache_dir()
    return {"result": d / f"{stem}.json", "onnx": d / f"{stem}.onnx", "int8": d / f"{stem}.int8.safetensors"}


def cached(key: str, weights: str = "default") -> dict[str, Any] | None:
    """The measurement made on this machine for the current weights and code, if any."""
    path = cached_paths(key, weights)["result"]
    return json.loads(path.read_text()) if path.is_file() else None


def committed() -> dict[str, Any]:
    """assets/compress/results.json: the figures measured when DeepZoo was built (see its "machine")."""
    return json.loads(RESULTS.read_text()) if RESULTS.is_file() else {"results": {}}


def committed_result(key: str, weights: str = "default") -> dict[str, Any] | None:
    w = zoo_weights.get(key, weights)
    return committed()["results"].get(w.file)


def measure_and_cache(key: str, weights: str = "default", repeats: int = REPEATS,
                      progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    paths = cached_paths(key, weights)
    paths["result"].parent.mkdir(parents=True, exist_ok=True)
    result = measure(key, weights, onnx_path=paths["onnx"], int8_path=paths["int8"], repeats=repeats, progress=progress)
    result["machine"] = machine()
    result["measured"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    paths["result"].write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    return result


# ----------------------------------------------------------------------------- the table


def delta(result: dict[str, Any], row: dict[str, Any]) -> dict[str, float | None]:
    """Changes against the original: size ratio, latency ratio and metric difference (None if not measured)."""
    base = result["variants"][0]
    out: dict[str, float | None] = {"size": None, "sparse_size": None, "latency": None, "metric": None}
    if "bytes" in row:
        out["size"] = row["bytes"] / base["bytes"]
    if "sparse_bytes" in row:
        out["sparse_size"] = row["sparse_bytes"] / base["bytes"]
    if "latency_ms" in row:
        out["latency"] = row["latency_ms"]["median"] / base["latency_ms"]["median"]
    if "metric" in row:
        out["metric"] = row["metric"] - base["metric"]
    return out


def table(result: dict[str, Any]) -> str:
    """The result as a plain-text table (the CLI's output)."""
    lines = [
        f"{result['model']} / {result['weights']} ({result['file']}), floats stored as {result['float_dtype']}",
        f"metric: {result['metric']} ({'higher' if result['higher_is_better'] else 'lower'} is better; "
        f"manifest says {result['manifest_metric']})",
        f"latency: median of {result['repeats']} calls of {result['method']}() on {result['request']}, "
        f"{result['threads']} torch thread(s)",
        "",
        f"{'variant':<14}{'size':>12}{'sparse':>12}{'latency ms':>12}{'×':>7}{'metric':>12}{'Δ':>10}  note",
    ]
    for row in result["variants"]:
        d = delta(result, row)
        size = f"{row['bytes']:,}" if "bytes" in row else "—"
        sparse = f"{row['sparse_bytes']:,}" if "sparse_bytes" in row else ""
        lat = f"{row['latency_ms']['median']:.3f}" if "latency_ms" in row else "—"
        ratio = f"{d['latency']:.2f}" if d["latency"] is not None else ""
        metric = f"{row['metric']:.4g}" if "metric" in row else ""
        change = f"{d['metric']:+.3g}" if d["metric"] is not None and row["variant"] != "original" else ""
        notes = []
        if "sparsity" in row:
            notes.append(f"sparsity {row['sparsity']:.1%}")
        if "quantised_layers" in row:
            notes.append("int8: " + ", ".join(f"{n} {k}" for k, n in row["quantised_layers"].items()))
        if "matches" in row:
            verdict = "matches" if row["matches"] else "DIFFERS"
            notes.append(f"ONNX Runtime {verdict} (max |Δ| {row['max_abs_diff']:.2g})")
        for k in ("skipped", "error"):
            if k in row:
                notes.append(row[k])
        cells = f"{row['variant']:<14}{size:>12}{sparse:>12}{lat:>12}{ratio:>7}{metric:>12}{change:>10}"
        lines.append(f"{cells}  {'; '.join(notes)}")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- CLI


def add_commands(subparsers) -> None:
    p = subparsers.add_parser("compress", help="int8 quantisation, pruning and ONNX export of shipped weights")
    p.add_argument("key", nargs="?", help="model key (one with shipped weights)")
    p.add_argument("--weights", default="default", help="weights name (default: the model's first)")
    p.add_argument("--all", action="store_true", help="every model with shipped weights")
    p.add_argument("--prune", default=",".join(str(f) for f in PRUNE_FRACTIONS), help="fractions, e.g. 0.3,0.5,0.7")
    p.add_argument("--onnx", metavar="FILE", help="keep the exported ONNX file here")
    p.add_argument("--int8", metavar="FILE", help="keep the int8 safetensors here (read with zoo.compress.load_int8)")
    p.add_argument("--threads", type=int, default=1, help="torch (and ONNX Runtime) threads for latency (default 1)")
    p.add_argument("--repeats", type=int, default=REPEATS, help="timed calls per variant")
    p.add_argument("--save", action="store_true", help="with --all: write assets/compress/results.json")
    p.add_argument("--cache", action="store_true", help="keep result and files in this machine's cache (the app's)")
    p.add_argument("--json", action="store_true", help="print the result as JSON instead of a table")
    p.set_defaults(func=_cmd_compress)


def _cmd_compress(args) -> int:
    fractions = tuple(float(f) for f in args.prune.split(",") if f.strip())
    if args.all:
        entries = [(w.model, w.name) for w in shipped_weights()]
    elif args.key:
        entries = [(args.key, args.weights)]
    else:
        print("error: name a model or pass --all", file=sys.stderr)
        return 2
    if args.save and not args.all:
        print("error: --save writes the committed file for every model: use it with --all", file=sys.stderr)
        return 2
    previous = torch.get_num_threads()
    runtime.size_own_process(args.threads)  # the command's own process measures; restored for callers in-process
    try:
        return _measure_entries(entries, fractions, args)
    finally:
        runtime.size_own_process(previous)


def _measure_entries(entries: list[tuple[str, str]], fractions: tuple[float, ...], args) -> int:
    load_before = runtime.load_average()
    results = {}
    for key, name in entries:
        print(f"measuring {key}/{name} ...", file=sys.stderr, flush=True)
        try:
            if args.cache:
                result = measure_and_cache(key, name, args.repeats)
            else:
                result = measure(key, name, fractions, args.onnx, args.int8, args.repeats)
        except zoo_weights.WeightsUnavailable as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        results[result["file"]] = result
        print(json.dumps(result, ensure_ascii=False) if args.json else table(result) + "\n", flush=True)
    if args.save:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        doc = {
            "made_with": "python -m zoo compress --all --save",
            "measured": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "machine": {**machine(), "load_average": {"before": load_before, "after": runtime.load_average()}},
            "caveat": "latency measured on a shared machine: compare variants of one model, not absolute times",
            "threads": max(1, args.threads),
            "results": results,
        }
        RESULTS.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
        print(f"wrote {RESULTS}", file=sys.stderr)
    return 0
