"""The Dockerfile read as data (with `dockerfile-parse`), so that checks use what the image really does: the port
the CMD serves on, the user it runs as, and the build steps in order (the CI rehearsal replays them)."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from .repo import ROOT


@dataclass(frozen=True)
class Step:
    instruction: str  # RUN, ENV, USER, WORKDIR, COPY, ARG, ...
    value: str  # as written (continuations joined), variables not expanded


@dataclass(frozen=True)
class Dockerfile:
    base: str
    steps: tuple[Step, ...]
    cmd: tuple[str, ...]  # exec form, exactly as written

    @property
    def user(self) -> str | None:
        users = [s.value for s in self.steps if s.instruction == "USER"]
        return users[-1] if users else None

    @property
    def workdir(self) -> str | None:
        dirs = [s.value for s in self.steps if s.instruction == "WORKDIR"]
        return dirs[-1] if dirs else None

    @property
    def exposed(self) -> tuple[int, ...]:
        return tuple(int(p.split("/")[0]) for s in self.steps if s.instruction == "EXPOSE" for p in s.value.split())

    @property
    def cmd_port(self) -> int | None:
        """The port the CMD's Streamlit serves on (`--server.port=N` or `--server.port N`)."""
        for i, arg in enumerate(self.cmd):
            if arg.startswith("--server.port="):
                return int(arg.split("=", 1)[1])
            if arg == "--server.port" and i + 1 < len(self.cmd):
                return int(self.cmd[i + 1])
        return None

    @property
    def user_id(self) -> int | None:
        """The uid the image runs as, from the `useradd -u N <user>` step that creates USER."""
        for s in self.steps:
            if s.instruction == "RUN" and "useradd" in s.value:
                args = shlex.split(s.value)
                if self.user in args and "-u" in args:
                    return int(args[args.index("-u") + 1])
        return int(self.user) if self.user and self.user.isdigit() else None


def env_pairs(value: str) -> list[tuple[str, str]]:
    """`ENV A=1 B="x y"` → [("A", "1"), ("B", "x y")]; the legacy `ENV A 1` form too."""
    words = shlex.split(value, posix=True)
    if words and "=" not in words[0]:
        return [(words[0], " ".join(words[1:]))]
    return [tuple(w.split("=", 1)) for w in words]  # type: ignore[misc]


def expand(value: str, env: dict[str, str]) -> str:
    """$VAR and ${VAR} as Docker expands them in ENV/WORKDIR (unset → empty)."""
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: env.get(m.group(1) or m.group(2), ""), value)


def read(path: Path = ROOT / "Dockerfile") -> Dockerfile:
    from dockerfile_parse import DockerfileParser

    parser = DockerfileParser(str(path), env_replace=False)
    steps = tuple(
        Step(s["instruction"], s["value"].strip())
        for s in parser.structure
        if s["instruction"] not in ("COMMENT", "FROM", "CMD")
    )
    cmd_value = next((s["value"] for s in reversed(parser.structure) if s["instruction"] == "CMD"), "")
    try:
        cmd = json.loads(cmd_value)
    except json.JSONDecodeError:
        cmd = ["/bin/sh", "-c", cmd_value]  # shell form, as Docker runs it
    return Dockerfile(base=parser.baseimage or "", steps=steps, cmd=tuple(cmd))


def context_files(root: Path = ROOT) -> list[str]:
    """The files `COPY . .` copies: the work tree (as `repo.work_tree_files` lists it) less .dockerignore."""
    from .repo import work_tree_files

    ignore = root / ".dockerignore"
    patterns = [line.strip() for line in (ignore.read_text().splitlines() if ignore.exists() else [])]
    patterns = [p.strip("/") for p in patterns if p and not p.startswith("#")]
    if any(p.startswith("!") for p in patterns):
        raise NotImplementedError(".dockerignore exceptions (!pattern) are not supported here")
    rules = [re.compile(_docker_glob(p)) for p in patterns]

    def ignored(path: str) -> bool:
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]  # a matched folder excludes its contents
        return any(rule.fullmatch(prefix) for rule in rules for prefix in prefixes)

    return [p for p in work_tree_files(root) if not ignored(p)]


def _docker_glob(pattern: str) -> str:
    """A .dockerignore pattern as a regex: `**` any number of folders, `*` and `?` within one path part."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return out
