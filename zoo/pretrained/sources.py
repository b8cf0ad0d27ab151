"""Where a pretrained checkpoint comes from: a local file, a local Hugging Face-layout folder, or a hub id.

- a file: `.safetensors`, or `.pth` / `.pt` / `.bin` read with `torch.load(weights_only=True)` (never unpickled);
  a training checkpoint that wraps its weights in {"state_dict": …} or {"model": …} is unwrapped;
- a folder: `config.json` (optional) + `model.safetensors`, or shards listed by `model.safetensors.index.json`,
  or `pytorch_model.bin`;
- `hf://org/name[@revision]`: a Hugging Face Hub repository, taken from huggingface_hub's own cache, and
  downloaded into it when the server is online. Offline (no route, or HF_HUB_OFFLINE=1) an uncached id fails at
  once with what to download and where to put it — never huggingface_hub's retries (≈46 s here).
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import torch

from ..weights import WeightsUnavailable

HUB_PREFIX = "hf://"
WEIGHT_SUFFIXES = (".safetensors", ".pth", ".pt", ".bin")
HUB_FILES = ["config.json", "*.safetensors", "model.safetensors.index.json"]  # what a hub load downloads


class PretrainedError(ValueError):
    """A source that cannot be read or does not fit the model (the message says which file or tensors)."""


class PretrainedUnavailable(WeightsUnavailable):
    """A hub checkpoint that is not cached while the server is offline (the message says what to download)."""


@dataclass(frozen=True)
class CheckpointFiles:
    state: dict[str, torch.Tensor]
    config: dict[str, Any] | None  # config.json, when the source has one
    origin: str  # what was read, for messages


def is_source(text: str) -> bool:
    """Does `text` name a pretrained source (rather than the name of shipped weights)?"""
    return text.startswith(HUB_PREFIX) or text.endswith(WEIGHT_SUFFIXES) or os.sep in text or Path(text).exists()


def parse_hub(source: str) -> tuple[str, str | None]:
    """"hf://org/name@rev" → ("org/name", "rev")."""
    repo = source[len(HUB_PREFIX) :].strip("/")
    repo, _, revision = repo.partition("@")
    if not repo or repo.count("/") > 1 or any(c.isspace() for c in repo):
        raise PretrainedError(f"{source!r} is not a hub id; write hf://org/name or hf://org/name@revision")
    return repo, revision or None


def read(source: str) -> CheckpointFiles:
    if source.startswith(HUB_PREFIX):
        return read_path(hub_snapshot(*parse_hub(source)), origin=source)
    path = Path(source).expanduser()
    if not path.exists():
        raise PretrainedError(f"{source}: no such file or folder")
    return read_path(path, origin=source)


def read_path(path: Path, origin: str) -> CheckpointFiles:
    if path.is_file():
        return CheckpointFiles(read_weights(path), None, origin)
    config = None
    if (path / "config.json").is_file():
        try:
            config = json.loads((path / "config.json").read_text())
        except ValueError as e:
            raise PretrainedError(f"{origin}: config.json is not valid JSON ({e})") from e
    if (path / "model.safetensors.index.json").is_file():
        return CheckpointFiles(read_shards(path / "model.safetensors.index.json"), config, origin)
    for name in ("model.safetensors", "pytorch_model.bin"):
        if (path / name).is_file():
            return CheckpointFiles(read_weights(path / name), config, origin)
    files = sorted(p for p in path.iterdir() if p.name.endswith(WEIGHT_SUFFIXES))
    if len(files) == 1:
        return CheckpointFiles(read_weights(files[0]), config, origin)
    raise PretrainedError(
        f"{origin}: no weights found (expected model.safetensors, model.safetensors.index.json with its shards, "
        f"pytorch_model.bin, or a single weights file; found {[p.name for p in files] or 'none'})"
    )


def read_weights(path: Path) -> dict[str, torch.Tensor]:
    """One weights file as {name: tensor}; a clear error for anything unreadable."""
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            obj: Any = load_file(str(path), device="cpu")
        else:
            obj = torch.load(path, map_location="cpu", weights_only=True)  # refuses anything but tensors and containers
    except Exception as e:
        raise PretrainedError(f"cannot read {path.name}: the file is damaged or not a weights file ({type(e).__name__}: {e})") from e
    for wrapper in ("state_dict", "model", "module"):  # training checkpoints nest the weights
        if isinstance(obj, dict) and isinstance(obj.get(wrapper), dict):
            obj = obj[wrapper]
            break
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise PretrainedError(f"{path.name} does not hold a state dict (name → tensor)")
    return dict(obj)


def read_shards(index_path: Path) -> dict[str, torch.Tensor]:
    """A sharded safetensors checkpoint: every tensor the index lists must be in the shard it names."""
    try:
        weight_map: dict[str, str] = json.loads(index_path.read_text())["weight_map"]
    except (ValueError, KeyError) as e:
        raise PretrainedError(f"{index_path.name} has no readable weight_map ({e})") from e
    state: dict[str, torch.Tensor] = {}
    for shard in sorted(set(weight_map.values())):
        if not (index_path.parent / shard).is_file():
            raise PretrainedError(f"shard {shard} listed in {index_path.name} is missing")
        state.update(read_weights(index_path.parent / shard))
    missing = sorted(name for name in weight_map if name not in state)
    if missing:
        raise PretrainedError(f"{len(missing)} tensors listed in {index_path.name} are in no shard: {missing[:5]}")
    return state


# --------------------------------------------------------------------------- the Hub


def hub_snapshot(repo_id: str, revision: str | None = None) -> Path:
    """The local folder of a hub repository's config and safetensors: from the cache, else downloaded if online."""
    cached = (hub_cache() / _cache_folder(repo_id)).is_dir()
    if not cached and not hub_online():  # decided without even importing huggingface_hub
        raise PretrainedUnavailable(offline_message(repo_id, revision))
    from huggingface_hub import snapshot_download

    if cached:
        try:
            return Path(snapshot_download(repo_id, revision=revision, allow_patterns=HUB_FILES, local_files_only=True))
        except Exception:  # a revision never fetched, or a partial download
            if not hub_online():
                raise PretrainedUnavailable(offline_message(repo_id, revision)) from None
    try:
        return Path(snapshot_download(repo_id, revision=revision, allow_patterns=HUB_FILES, etag_timeout=10))
    except Exception as e:
        raise PretrainedUnavailable(f"hf://{repo_id}: download failed ({type(e).__name__}: {e})") from e


def hub_cache() -> Path:
    """huggingface_hub's cache folder, found as it finds it (HF_HUB_CACHE, else HF_HOME/hub, else
    $XDG_CACHE_HOME/huggingface/hub), without importing it."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(os.environ.get("HF_HOME") or os.path.join(xdg, "huggingface")).expanduser() / "hub"


def _cache_folder(repo_id: str) -> str:
    return "models--" + repo_id.replace("/", "--")


def offline_message(repo_id: str, revision: str | None) -> str:
    rev = f" --revision {revision}" if revision else ""
    return (
        f"hf://{repo_id} is not in the Hugging Face cache and this server cannot reach the Hub "
        f"({'HF_HUB_OFFLINE is set' if _offline_by_env() else 'no route to ' + _hub_host()}). "
        f"On a machine with network run `hf download {repo_id}{rev} --include config.json '*.safetensors' "
        f"model.safetensors.index.json`, then copy its cache folder {_cache_folder(repo_id)} into "
        f"{hub_cache()} here; or put config.json and model.safetensors in a folder and pass that "
        f"folder's path as weights=."
    )


def _offline_by_env() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().upper() in {"1", "ON", "YES", "TRUE"}


def _hub_host() -> str:
    return urlparse(os.environ.get("HF_ENDPOINT") or "https://huggingface.co").hostname or "huggingface.co"


_PROBE_TTL = 60.0  # seconds a probe result is trusted
_probe_lock = threading.Lock()
_probe: tuple[float, bool] | None = None


def hub_online(timeout: float = 1.5) -> bool:
    """Can this server reach the Hub? False at once under HF_HUB_OFFLINE; otherwise one TCP connection (name
    lookup included) that may take at most `timeout` seconds, its answer kept for a minute."""
    global _probe
    if _offline_by_env():
        return False
    with _probe_lock:
        if _probe is not None and time.monotonic() - _probe[0] < _PROBE_TTL:
            return _probe[1]
    answer: list[bool] = []

    def connect() -> None:  # in a thread: a DNS lookup ignores socket timeouts and can hang
        try:
            socket.create_connection((_hub_host(), 443), timeout=timeout).close()
            answer.append(True)
        except OSError:
            answer.append(False)

    probe = threading.Thread(target=connect, name="hub-probe", daemon=True)
    probe.start()
    probe.join(timeout)
    online = bool(answer and answer[0])
    with _probe_lock:
        _probe = (time.monotonic(), online)
    return online
