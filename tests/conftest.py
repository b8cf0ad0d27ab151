import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# Introspection artifacts of this test session: built fresh (never a developer's stale cache), shared by
# the tests, the AppTest pages and the real server the browser tests start (it inherits the variable).
_ARTIFACTS = Path(tempfile.mkdtemp(prefix="deepzoo-test-artifacts-"))
os.environ["DEEPZOO_CACHE_DIR"] = str(_ARTIFACTS)
# Gradio's cache of uploads and outputs for this session (the server inherits it too): its growth is
# measured (test_browser_limits.py) without other servers on the machine writing into /tmp/gradio.
_GRADIO_CACHE = Path(tempfile.mkdtemp(prefix="deepzoo-test-gradio-"))
os.environ["GRADIO_TEMP_DIR"] = str(_GRADIO_CACHE)

from ui.devserver import CHROMIUM, CHROMIUM_ARGS, chromium_missing, free_port, start_server, stop_server  # noqa: E402

# ----------------------------------------------------------------------------- browser fixtures
# One real server and one Chromium for the whole session, shared by every tests/test_browser*.py.


def require_chromium() -> None:
    """Skip without Chromium — except in CI, where a missing browser is a failure."""
    why = chromium_missing()
    if why and os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI must run the browser tests: {why}")
    if why:
        pytest.skip(why)


_PREBUILD: subprocess.Popen | None = None
_PREBUILD_CMD = [sys.executable, "-m", "zoo", "introspect", "--all", "--quiet"]


def pytest_collection_modifyitems(session, config, items):
    """Tests that read artifacts run last, so the background build below has the whole suite to finish."""
    items.sort(key=lambda item: "artifacts" in getattr(item, "fixturenames", ()))


def pytest_collection_finish(session):
    """Start building the introspection artifacts as soon as the tests are known, the way the Dockerfile
    builds them (`python -m zoo introspect --all`), in the background: the tests that need no artifact run
    meanwhile, and the build is not charged to one test's timeout. When every selected test that needs
    artifacts names its model (`-k resnet50` on test_models.py), only those models are built."""
    global _PREBUILD
    users = [item for item in session.items if "artifacts" in getattr(item, "fixturenames", ())]
    if not users:
        return
    keys = {getattr(getattr(item, "callspec", None), "params", {}).get("key") for item in users}
    # a developer running a few browser tests can name the models they open: DEEPZOO_TEST_PREBUILD=lenet5,resnet50
    # (the server builds any other model on demand, as it would for a new model on the Space)
    named = [k for k in os.environ.get("DEEPZOO_TEST_PREBUILD", "").split(",") if k.strip()]
    if named and None in keys:  # the keyed tests' models, and those named
        keys = (keys - {None}) | {k.strip() for k in named}
    cmd = _PREBUILD_CMD if None in keys else [*_PREBUILD_CMD[:-2], *sorted(keys), "--quiet"]
    # one intra-op thread: the tests run beside it on the same cores, and two processes each spinning two OpenMP
    # threads on 2 cores made small models' steps up to 100× slower
    _PREBUILD = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, "OMP_NUM_THREADS": "1"})


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """The artifacts of the models the selected tests need (every model's, for a whole run), on disk: pages
    then read them instead of building them."""
    proc = _PREBUILD or subprocess.Popen(_PREBUILD_CMD, cwd=ROOT)
    assert proc.wait() == 0, "python -m zoo introspect failed: see its output above"
    return _ARTIFACTS


def pytest_sessionfinish(session, exitstatus):
    if _PREBUILD is not None and _PREBUILD.poll() is None:
        _PREBUILD.kill()
    shutil.rmtree(_ARTIFACTS, ignore_errors=True)
    shutil.rmtree(_GRADIO_CACHE, ignore_errors=True)


@pytest.fixture(scope="session")
def base_url(artifacts):
    require_chromium()
    port = free_port()
    proc = start_server(port)
    yield f"http://127.0.0.1:{port}"
    stop_server(proc)


@pytest.fixture(scope="session")
def browser(base_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    pg = ctx.new_page()
    pg.set_default_timeout(60_000)
    pg.console_lines = []  # what the page logged, shown if the test fails
    pg.on("console", lambda msg: pg.console_lines.append(f"[{msg.type}] {msg.text}"))
    pg.on("pageerror", lambda err: pg.console_lines.append(f"[pageerror] {err}"))
    yield pg
    ctx.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed browser test reports what is needed to tell a slow page from a broken one: a screenshot
    (bench/results/failed-<test>.png), the page's console, and the end of the server's log."""
    outcome = yield
    rep = outcome.get_result()
    if rep.when != "call" or not rep.failed or "base_url" not in item.funcargs:
        return
    pg = item.funcargs.get("page")
    if pg is not None:
        shots = ROOT / "bench" / "results"
        shots.mkdir(parents=True, exist_ok=True)
        try:
            pg.screenshot(path=str(shots / f"failed-{item.name}.png"), full_page=True)
        except Exception as e:  # noqa: BLE001 — diagnostics must not hide the real failure
            rep.sections.append(("screenshot", f"not taken: {e}"))
        rep.sections.append(("browser console", "\n".join(pg.console_lines[-40:]) or "(empty)"))
    port = item.funcargs["base_url"].rsplit(":", 1)[-1]
    log = ROOT / f".server-{port}.log"
    if log.exists():
        rep.sections.append(("server log (end)", log.read_text(errors="replace")[-4000:]))


