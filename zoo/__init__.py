"""DeepZoo: deep-learning architectures written from scratch in readable PyTorch.

    import zoo
    zoo.list_models(domain="vision")
    m = zoo.create_model("resnet50", num_classes=10)
    y = m(zoo.example_input("resnet50"))
"""

from .card import DOMAINS, LEVELS, Figure, Metric, ModelCard, Paper
from . import registry
from .registry import call_model, card, create_model, entry, example_input, list_models, register_model, suggest
from .measurement import benchmark
from .learn.engine import FitConfig, fit

__all__ = [
    "DOMAINS",
    "LEVELS",
    "Figure",
    "Metric",
    "ModelCard",
    "Paper",
    "FitConfig",
    "benchmark",
    "call_model",
    "card",
    "create_model",
    "entry",
    "example_input",
    "fit",
    "list_models",
    "register_model",
    "suggest",
]
