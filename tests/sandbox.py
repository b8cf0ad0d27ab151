"""Run commands as a non-root user, the way a Space's container runs them, without Docker.

Each call is one `unshare --mount --net` shell: a private mount namespace (nothing it mounts is seen outside)
and a private network with only loopback (nothing reaches or leaves the machine; a server can take its fixed
port even if the machine's is busy). Inside it:
- the Python that runs the tests is mounted at its own path under a world-readable tmpfs laid over /root
  (where pyenv keeps it, mode 0700), so the other user runs the very same interpreter and packages — the
  shebangs of `streamlit` and `pip` keep working — instead of a fresh multi-GB install;
- folders can be made read-only (the app directory, as `COPY` leaves it for a running container);
- `as_user(...)` switches to the uid with no supplementary groups and only the environment given.

Needs root (CI runs as root) and util-linux's `unshare`/`setpriv`, iproute2's `ip`.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PY_HOME = Path(sys.base_prefix).resolve()


def unavailable() -> str | None:
    """Why a sandbox cannot be made here, or None."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "needs root to switch users in a private mount namespace (CI runs as root)"
    for tool in ("unshare", "setpriv", "ip", "mount"):
        if not shutil.which(tool):
            return f"{tool} not found"
    probe = subprocess.run(["unshare", "--mount", "--net", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        return f"unshare is not permitted here: {probe.stderr.strip()}"
    return None


def require() -> None:
    """Skip without a sandbox — except in CI, where the Dockerfile rehearsal must run."""
    why = unavailable()
    if why and os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI must rehearse the Dockerfile: {why}")
    if why:
        pytest.skip(why)


def as_user(uid: int, argv: list[str] | str, env: dict[str, str], cwd: Path | None = None) -> str:
    """A shell line that runs `argv` (a list, or a shell command) as `uid` with exactly `env`."""
    command = ["sh", "-c", argv] if isinstance(argv, str) else argv
    line = shlex.join(["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "env", "-i",
                       *(f"{k}={v}" for k, v in env.items()), *command])
    return f"cd {shlex.quote(str(cwd))} && {line}" if cwd else line


def run(script: str, scratch: Path, read_only: tuple[Path, ...] = (), timeout: float = 600) -> subprocess.CompletedProcess:
    """Run `script` (sh) in a fresh sandbox; `scratch` is a folder of the caller's for the mount points."""
    stage = scratch / ".python-stage"
    stage.mkdir(parents=True, exist_ok=True)
    prologue = [
        "mount --make-rprivate /",
        "ip link set lo up",
        f"mount --bind {shlex.quote(str(PY_HOME))} {shlex.quote(str(stage))}",
        "mount -t tmpfs -o mode=755 deepzoo-root /root",  # hides root's files; only the interpreter comes back
        f"mkdir -p {shlex.quote(str(PY_HOME))}",
        f"mount --bind {shlex.quote(str(stage))} {shlex.quote(str(PY_HOME))}",
    ]
    for path in read_only:
        p = shlex.quote(str(path))
        prologue += [f"mount --bind {p} {p}", f"mount -o remount,bind,ro {p}"]
    return subprocess.run(["unshare", "--mount", "--net", "sh", "-euc", "\n".join([*prologue, script])],
                          capture_output=True, text=True, timeout=timeout)
