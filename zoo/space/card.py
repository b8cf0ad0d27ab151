"""The README's front matter, which the Hub reads as the Space's configuration, checked offline.

The Hub rejects or misconfigures a Space whose front matter is wrong in ways that only show after a push: a
Docker Space needs `sdk: docker` and `app_port` equal to the port the container listens on; the short
description is cut at 60 characters; `license` must be one of the Hub's identifiers; `models`/`datasets` link
the Space to repositories on the Hub (checked to exist when deploying, since that needs the network).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from . import dockerfile
from .repo import ROOT

SHORT_DESCRIPTION_MAX = 60
COLORS = ("red", "yellow", "green", "blue", "indigo", "purple", "pink", "gray")
# The Hub's license identifiers (its "Licenses" documentation page)
LICENSES = frozenset("""
apache-2.0 mit openrail bigscience-openrail-m creativeml-openrail-m bigscience-bloom-rail-1.0 bigcode-openrail-m
afl-3.0 artistic-2.0 bsl-1.0 bsd bsd-2-clause bsd-3-clause bsd-3-clause-clear c-uda cc cc0-1.0 cc-by-2.0
cc-by-2.5 cc-by-3.0 cc-by-4.0 cc-by-sa-3.0 cc-by-sa-4.0 cc-by-nc-2.0 cc-by-nc-3.0 cc-by-nc-4.0 cc-by-nd-4.0
cc-by-nc-nd-3.0 cc-by-nc-nd-4.0 cc-by-nc-sa-2.0 cc-by-nc-sa-3.0 cc-by-nc-sa-4.0 cdla-sharing-1.0
cdla-permissive-1.0 cdla-permissive-2.0 wtfpl ecl-2.0 epl-1.0 epl-2.0 eupl-1.1 agpl-3.0 gfdl gpl gpl-2.0 gpl-3.0
lgpl lgpl-2.1 lgpl-3.0 isc lppl-1.3c ms-pl mpl-2.0 odc-by odbl openrail++ osl-3.0 postgresql ofl-1.1 ncsa
unlicense zlib pddl lgpl-lr unknown other
""".split())
REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


@dataclass(frozen=True)
class Problem:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


def front_matter(readme: Path = ROOT / "README.md") -> dict:
    """The README's YAML front matter as the Hub reads it ({} if there is none)."""
    from huggingface_hub import SpaceCard

    return SpaceCard.load(readme).data.to_dict()


def hub_links(meta: dict) -> dict[str, list[str]]:
    """{"models": [...], "datasets": [...]} named by the front matter."""
    return {kind: _as_list(meta.get(kind)) for kind in ("models", "datasets")}


def check(readme: Path = ROOT / "README.md", docker: Path = ROOT / "Dockerfile") -> list[Problem]:
    """Everything wrong with the front matter, as far as can be told without the network ([] if nothing)."""
    meta = front_matter(readme)
    if not meta:
        return [Problem("front matter", "README.md has no YAML front matter (--- ... --- at the top)")]
    problems = []

    def need(ok: bool, field: str, message: str) -> None:
        if not ok:
            problems.append(Problem(field, message))

    need(bool(meta.get("title")), "title", "missing")
    need(meta.get("sdk") == "docker", "sdk", f"must be 'docker' (the app is a Dockerfile), not {meta.get('sdk')!r}")
    image = dockerfile.read(docker)
    port = image.cmd_port
    need(port is not None, "app_port", "the Dockerfile's CMD names no --server.port")
    need(meta.get("app_port") == port, "app_port", f"{meta.get('app_port')!r} but the Dockerfile's CMD serves on {port}")
    need(port in image.exposed, "app_port", f"the Dockerfile does not EXPOSE {port}")
    short = meta.get("short_description") or ""
    need(bool(short), "short_description", "missing")
    need(len(short) <= SHORT_DESCRIPTION_MAX, "short_description",
         f"{len(short)} characters; the Hub allows {SHORT_DESCRIPTION_MAX}")
    need(meta.get("license") in LICENSES, "license", f"{meta.get('license')!r} is not one of the Hub's license identifiers")
    tags = _as_list(meta.get("tags"))
    need(bool(tags) and all(isinstance(t, str) and t.strip() for t in tags), "tags", "a list of words people search for")
    for kind, ids in hub_links(meta).items():
        for repo_id in ids:
            need(isinstance(repo_id, str) and bool(REPO_ID.match(repo_id)), kind, f"{repo_id!r} is not an owner/name id")
    for field in ("colorFrom", "colorTo"):
        need(meta.get(field) in COLORS, field, f"{meta.get(field)!r}; one of {', '.join(COLORS)}")
    need(bool(meta.get("emoji")), "emoji", "missing")
    return problems


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]
