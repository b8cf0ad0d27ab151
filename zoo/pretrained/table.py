"""The README's "Pretrained weights" table, generated from the layout and checkpoint registry:

    python -m zoo.pretrained.table
"""

from __future__ import annotations

from .layouts import LAYOUT_TITLES, known_checkpoints, layouts, models_with_layouts


def markdown_table() -> str:
    rows = ["| zoo key | layouts | published checkpoints the maps target |", "| --- | --- | --- |"]
    for key in models_with_layouts():
        names = ", ".join(LAYOUT_TITLES.get(lay.name, lay.name) for lay in layouts(key))
        sources = "<br>".join(f"`{c.source}` ({LAYOUT_TITLES.get(c.layout, c.layout)})" for c in known_checkpoints(key))
        rows.append(f"| `{key}` | {names} | {sources or '—'} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table())
