"""The files a Space gets, and which of them must travel through Git LFS.

A Docker Space builds the image from its own repository, so it needs what the Dockerfile copies and runs
(the app, the `zoo` package, `assets/`, requirements, the Dockerfile, the README with the Space's front matter)
and nothing that only serves development: tests, benchmarks and their results, CI scripts, the viewer's npm
sources (the built files under `ui/<component>/static/` are what the app serves), caches.
"""

from __future__ import annotations

import glob
import subprocess
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Relative paths, fnmatch-style as `huggingface_hub.upload_folder` reads them ("dir/" means everything under it).
SPACE_IGNORE: tuple[str, ...] = (
    "tests/",
    "bench/",
    ".ci/",
    "ui/*/frontend/",  # npm sources and node_modules; the app serves the committed builds in ui/*/static/
    ".artifacts/",  # introspection artifacts: the image builds its own (Dockerfile)
    "*.log",
    ".server-*",
    "*/__pycache__/*",
    "__pycache__/*",
    "*.pyc",
    ".pytest_cache/",
    "*.egg-info/",
    ".venv/",
    ".dockerignore",  # the Space builds from its repository as it is; nothing to keep out of the context there
)

# Git's own test for a binary file (a NUL byte in the first 8,000 bytes), plus anything that is not UTF-8
# text: FLAC and Ogg headers can go a long way without a NUL.
_SNIFF = 8000


def is_binary(path: Path) -> bool:
    with open(path, "rb") as f:
        head = f.read(_SNIFF)
    if b"\0" in head:
        return True
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as e:
        return e.start < len(head) - 3  # a multi-byte character cut by the sniff window is still text
    return False


def in_git(root: Path = ROOT) -> bool:
    try:
        out = subprocess.run(["git", "rev-parse", "--is-inside-work-tree"], cwd=root, capture_output=True, text=True)
    except FileNotFoundError:
        return False
    return out.returncode == 0 and out.stdout.strip() == "true"


def tracked_files(root: Path = ROOT) -> list[str]:
    """Files git tracks (as a fresh clone has them), relative posix paths."""
    out = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True)
    return sorted(p for p in out.stdout.decode().split("\0") if p and (root / p).is_file())


def work_tree_files(root: Path = ROOT) -> list[str]:
    """What a push from this tree would carry: tracked files and new files git does not ignore (so a model added
    but not yet committed is listed too; `__pycache__`, `node_modules` and the like never are)."""
    if not in_git(root):
        return sorted(
            p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and ".git" not in p.parts
        )
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=root,
                         capture_output=True, check=True)
    return sorted(p for p in set(out.stdout.decode().split("\0")) if p and (root / p).is_file())


def space_files(root: Path = ROOT) -> list[str]:
    """The files a Space gets: the work tree less `SPACE_IGNORE` (matched as `upload_folder` matches them)."""
    from huggingface_hub.utils import filter_repo_objects

    return sorted(filter_repo_objects(work_tree_files(root), ignore_patterns=list(SPACE_IGNORE)))


def as_allow_patterns(paths: list[str]) -> list[str]:
    """Exact paths as fnmatch patterns, so `upload_folder(allow_patterns=...)` sends exactly the listed files."""
    return [glob.escape(p) for p in paths]


def lfs_filters(paths: list[str], root: Path = ROOT) -> dict[str, str]:
    """{path: the `filter` attribute git gives it} ("lfs" when .gitattributes sends it through Git LFS)."""
    if not paths:
        return {}
    out = subprocess.run(["git", "check-attr", "-z", "--stdin", "filter"], cwd=root,
                         input="\0".join(paths).encode() + b"\0", capture_output=True, check=True)
    fields = out.stdout.decode().split("\0")
    return {fields[i]: fields[i + 2] for i in range(0, len(fields) - 2, 3)}  # path, attribute, value triples


@dataclass(frozen=True)
class SpaceFile:
    path: str
    size: int
    binary: bool
    lfs: bool | None  # None: not a git work tree, so no answer


def inventory(root: Path = ROOT) -> list[SpaceFile]:
    paths = space_files(root)
    binary = {p: is_binary(root / p) for p in paths}
    filters = lfs_filters(paths, root) if in_git(root) else None
    return [
        SpaceFile(p, (root / p).stat().st_size, binary[p], None if filters is None else filters.get(p) == "lfs")
        for p in paths
    ]


def human_size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")

