"""Small helpers the family files share to read a Hugging Face `config.json` into their own config fields."""

from __future__ import annotations

from typing import Any, Mapping

from .sources import PretrainedError


def hf_overrides(config: Mapping[str, Any] | None, fields: Mapping[str, str]) -> dict[str, Any]:
    """{our field: config[their field]} for the fields the config.json has. The Hugging Face layout needs
    config.json: head counts and similar settings cannot be read from tensor shapes."""
    if config is None:
        raise PretrainedError(
            "a Hugging Face checkpoint needs its config.json beside the weights (pass the folder, not the file)"
        )
    return {ours: config[theirs] for ours, theirs in fields.items() if theirs in config and config[theirs] is not None}


def has_tensor(shapes: Mapping[str, Any], suffix: str) -> bool:
    """Does the checkpoint hold a tensor named `suffix`, under any prefix ("bert.pooler…")?"""
    return any(name == suffix or name.endswith("." + suffix) for name in shapes)


def legacy_layer_norm_names(name: str) -> str:
    """Original BERT-era checkpoints name LayerNorm parameters gamma/beta; transformers reads them as weight/bias."""
    if name.endswith("LayerNorm.gamma"):
        return name[: -len("gamma")] + "weight"
    if name.endswith("LayerNorm.beta"):
        return name[: -len("beta")] + "bias"
    return name
