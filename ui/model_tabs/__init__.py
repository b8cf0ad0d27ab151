"""Parts of the model page that live in their own module, so each feature owns its file.

- `TABS`: extra tabs after the five built-in ones. name → module with `applies(key) -> bool` (is the tab shown
  for this model?) and `render(key, t) -> None`; its label is the locale key `model.tab_<name>`.
- `OVERVIEW` / `CODE`: modules whose `render(key, t)` draws a section at the foot of the Overview tab / the top
  of the Code tab.

Every module is imported only when its tab or section is drawn.
"""

from __future__ import annotations

import importlib

TABS: dict[str, str] = {"train": "ui.model_tabs.train", "deploy": "ui.model_tabs.deploy"}
OVERVIEW: tuple[str, ...] = ("ui.model_tabs.pretrained",)
CODE: tuple[str, ...] = ("ui.model_tabs.notebook",)


def extra_tabs(key: str) -> list[str]:
    """The extra tabs shown for `key`, in order."""
    return [name for name, module in TABS.items() if importlib.import_module(module).applies(key)]


def render_tab(name: str, key: str, t) -> None:
    importlib.import_module(TABS[name]).render(key, t)


def render_sections(modules: tuple[str, ...], key: str, t) -> None:
    for module in modules:
        importlib.import_module(module).render(key, t)
