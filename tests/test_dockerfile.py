"""The Dockerfile, rehearsed without Docker: every step in order, as the image's user, then its exact CMD.

What a Space does with the Dockerfile, replayed here (see tests/sandbox.py for how another user is run):
- `FROM python:3.11-slim`: the Python running the tests, checked to be that version; its installed packages
  stand in for the image's (a fresh install of requirements.txt is ~1 GB and minutes of CI; `RUN pip install`
  still runs as written and must find every requirement satisfied, with no network);
- `RUN useradd -u N` / `USER`: the steps after it run as uid N, with no supplementary groups;
- `ENV`, `ARG`, `WORKDIR`, `COPY --chown`: applied as Docker would, with /home/user moved under a scratch folder;
  `COPY . .` copies the work tree less .dockerignore;
- `RUN python -m zoo introspect --all --jobs 2`: runs as written, on a cache seeded with this test session's
  artifacts (the same fingerprints), so it checks every model's artifact and builds only what is missing;
- `CMD`: exactly as written, with the app directory read-only, in a private network where its port is free.
Then /healthz must say ok and a model page must render in Chromium.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

import sandbox
from ui.devserver import CHROMIUM, CHROMIUM_ARGS, chromium_missing
from zoo.space import dockerfile

ROOT = Path(__file__).resolve().parent.parent
IMAGE_HOME = "/home/user"  # where the Dockerfile's user lives; moved under the scratch folder here

# Run as root inside the sandbox, beside the server: health, then a model page in headless Chromium.
CHECK = r"""
import json, sys, time, urllib.request
from playwright.sync_api import sync_playwright
port, chromium, args = int(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
base = f"http://127.0.0.1:{port}"
deadline, health = time.time() + 240, None
while time.time() < deadline:
    try:
        with urllib.request.urlopen(base + "/healthz", timeout=5) as r:
            health = json.load(r)
            break
    except OSError:
        time.sleep(1)
result = {"health": health}
if health:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=args, headless=True)
        page = browser.new_page()
        page.goto(base + "/model?model=lenet5")
        page.get_by_role("heading", name="LeNet-5").first.wait_for(timeout=120_000)
        result["page"] = page.inner_text("body")[:4000]
        browser.close()
print("RESULT " + json.dumps(result))
"""


def _image_path(value: str, home: Path) -> str:
    return value.replace(IMAGE_HOME, str(home))


def _copy(sources: list[str], dest: Path, uid: int) -> None:
    for rel in sources:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, target)
    _chown_tree(dest, uid)


def _chown_tree(dest: Path, uid: int) -> None:
    for folder, dirs, files in os.walk(dest):
        for name in [folder, *(os.path.join(folder, n) for n in dirs + files)]:
            os.chown(name, uid, uid)


def _named_models_only(command: str) -> str:
    """CI replays the steps exactly. A developer who names the models to pre-build (DEEPZOO_TEST_PREBUILD, as for
    the rest of the suite) gets `zoo introspect` for those instead of --all, which would build every model cold."""
    named = [k.strip() for k in os.environ.get("DEEPZOO_TEST_PREBUILD", "").split(",") if k.strip()]
    if not named or os.environ.get("CI", "").lower() == "true" or "zoo introspect" not in command:
        return command
    return command.replace("--all", " ".join(named))


def test_the_image_builds_and_serves_as_its_user_from_a_read_only_app_dir(artifacts):
    sandbox.require()
    why = chromium_missing()
    if why and os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"the rehearsal opens a model page in Chromium: {why}")
    if why:
        pytest.skip(why)
    image = dockerfile.read()
    assert image.base.startswith(f"python:{sys.version_info.major}.{sys.version_info.minor}"), image.base
    uid = image.user_id
    assert uid and uid != 0, "the image must run as a non-root user"

    scratch = Path(tempfile.mkdtemp(prefix="deepzoo-image-"))
    try:
        scratch.chmod(0o755)
        home = scratch / "home" / "user"
        home.mkdir(parents=True)  # what `useradd -m` makes
        os.chown(home, uid, uid)
        env = {"PATH": f"{sandbox.PY_HOME}/bin:/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}
        env |= {k: v for k, v in os.environ.items() if k.startswith("PIP_")}  # where this machine's pip finds wheels
        env["PIP_RETRIES"] = "0"  # no network in the sandbox: a lookup fails at once instead of retrying
        args: dict[str, str] = {}
        workdir, user, log = Path("/"), "root", []
        for step in image.steps:
            kind, value = step.instruction, step.value
            if kind == "ARG":
                name, _, default = value.partition("=")
                args[name] = default
            elif kind == "ENV":
                for name, raw in dockerfile.env_pairs(value):
                    env[name] = _image_path(dockerfile.expand(raw, env), home)
            elif kind == "USER":
                user = value
            elif kind == "WORKDIR":
                workdir = Path(_image_path(dockerfile.expand(value, env), home))
                workdir.mkdir(parents=True, exist_ok=True)
                os.chown(workdir, uid, uid)
            elif kind == "COPY":
                words = [w for w in shlex.split(value) if not w.startswith("--")]
                *sources, dest = words
                assert dest == ".", f"the rehearsal copies into WORKDIR only, not {dest!r}"
                files = dockerfile.context_files(ROOT) if sources == ["."] else sources
                _copy(files, workdir, uid)
            elif kind == "RUN" and user == "root":
                assert "useradd" in value and f"-u {uid}" in value, f"a root step the rehearsal cannot replay: {value}"
            elif kind == "RUN":
                cache = env.get("DEEPZOO_CACHE_DIR")
                if cache and not Path(cache).exists():  # this session's artifacts: the step checks and completes them
                    shutil.copytree(artifacts, cache)
                    _chown_tree(Path(cache), uid)
                value = _named_models_only(value)
                run_env = {**env, **{k: v for k, v in args.items() if k not in env}}
                done = sandbox.run(sandbox.as_user(uid, value, run_env, cwd=workdir), scratch, timeout=1500)
                log.append(f"$ {value}\n{done.stdout[-1500:]}{done.stderr[-1500:]}")
                assert done.returncode == 0, "\n".join(log)
            elif kind == "EXPOSE":
                assert image.cmd_port in image.exposed

        # the container: the exact CMD as the image's user, app directory read-only; the check beside it as root
        port = image.cmd_port
        check = scratch / "check.py"
        check.write_text(CHECK)
        server_log = scratch / "server.log"
        script = "\n".join([
            f"{sandbox.as_user(uid, list(image.cmd), env, cwd=workdir)} > {shlex.quote(str(server_log))} 2>&1 &",
            "server=$!",
            f"HOME={shlex.quote(str(scratch))} {shlex.quote(sys.executable)} {shlex.quote(str(check))} {port} "
            f"{shlex.quote(CHROMIUM)} {shlex.quote(json.dumps(CHROMIUM_ARGS))} || true",
            "kill $server; wait $server || true",
        ])
        done = sandbox.run(script, scratch, read_only=(workdir,), timeout=900)
        out = done.stdout + done.stderr
        server = server_log.read_text(errors="replace")[-4000:] if server_log.exists() else "(no server log)"
        lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
        assert lines, f"the check did not finish:\n{out[-3000:]}\nserver:\n{server}"
        result = json.loads(lines[-1].removeprefix("RESULT "))
        health = result["health"]
        assert health, f"no answer on /healthz:\n{server}"
        assert health["status"] == "ok", health["problems"]
        assert Path(health["gradio_temp_dir"]).is_relative_to(Path(tempfile.gettempdir())), health["gradio_temp_dir"]
        assert "spoken_digits" in health["gradio"]
        assert "LeNet-5" in result["page"] and "Traceback" not in result["page"]
        assert not re.search(r"PermissionError|Read-only file system", server), server
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
