"""Routes the one-port server adds beside Streamlit: Gradio widgets and a health check.

/healthz answers 200 with `"status": "ok"` or `"status": "degraded"` and `"problems"` naming each failure
(a widget that did not build or mount, an artifact source that failed its check), plus every widget's and
source's state. Degraded is still 200: the app serves — every model page, the other widgets — and a 503 would
make a proxy or an orchestrator take the whole Space out of service (or restart it in a loop) for a fault a
restart does not fix. Monitors and the Space's logs read the status and the problems (logged at start-up).
"""

from __future__ import annotations

import logging
import os
import re
import sys
import tempfile
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import JSONResponse

log = logging.getLogger("deepzoo")


def gradio_temp_dir() -> Path:
    """Where Gradio keeps uploads and outputs: $GRADIO_TEMP_DIR if set, else `<temp>/deepzoo-<uid>/gradio`, a
    folder of this process's user. Gradio's default, `<temp>/gradio`, is shared by every user of the machine:
    one left there by another user (root, an earlier container) made a widget fail to build with a
    PermissionError. A folder of ours that someone else owns, or that cannot be written, is not used either.
    Sets GRADIO_TEMP_DIR, which Gradio reads when it is imported, so call this before the first
    `import gradio`."""
    if "gradio" in sys.modules:  # too late: Gradio has read the folder into module constants already
        log.warning("gradio_temp_dir() called after `import gradio`: Gradio keeps the folder it read then")
    if os.environ.get("GRADIO_TEMP_DIR"):
        return Path(os.environ["GRADIO_TEMP_DIR"])
    uid = os.getuid() if hasattr(os, "getuid") else "user"
    base = Path(tempfile.gettempdir()) / f"deepzoo-{uid}"
    try:
        base.mkdir(mode=0o700, exist_ok=True)
        folder = base / "gradio"
        folder.mkdir(mode=0o700, exist_ok=True)
        if not (_ours(base) and _ours(folder) and os.access(folder, os.W_OK | os.X_OK)):
            raise PermissionError(f"{folder} belongs to another user or cannot be written")
    except OSError as e:
        folder = Path(tempfile.mkdtemp(prefix=f"deepzoo-{uid}-gradio-"))  # a fresh one of ours, whatever is left there
        log.warning("Gradio's files go to %s (%s)", folder, e)
    os.environ["GRADIO_TEMP_DIR"] = str(folder)
    return folder


def _ours(path: Path) -> bool:
    return not hasattr(os, "getuid") or path.stat().st_uid == os.getuid()


def add_routes(app: FastAPI) -> None:
    temp_dir = gradio_temp_dir()  # before Gradio is imported: it reads the folder then

    import gradio as gr

    import zoo
    from zoo import runtime
    from zoo.demos import all_demos
    from zoo.demos.inputs import upload_limit
    from zoo.space.health import SourceChecks

    from .gradio_apps import blocks
    from .gradio_demos import CSS, i18n, page_script, theme

    _log_to_stderr()
    input_kind = {d.name: d.input_kind for d in all_demos()}  # widgets that are not demos (explorer) take no file
    failed: dict[str, str] = {}
    mounted = []
    look = {"theme": theme(), "css": CSS}
    for name, demo in blocks(failed).items():
        try:
            gr.mount_gradio_app(
                app,
                demo,
                path=f"/gradio/{name}",
                i18n=i18n(),
                footer_links=["api"],
                # refused with 413 while the upload streams in, before it is read into memory or kept on disk
                max_file_size=upload_limit(input_kind.get(name, "")),
                show_error=False,  # an unexpected error's own text stays in the server log; gr.Error is still shown
                **look,
            )
            mounted.append(name)
        except Exception as e:  # noqa: BLE001 — the other widgets still mount
            log.exception("Gradio widget %r failed to mount", name)
            failed[name] = f"{type(e).__name__}: {e}"
    app.add_middleware(WidgetPageScript, script=page_script())
    sources = SourceChecks().start()  # packaged weights are loaded once, in the background

    def health() -> dict:
        widgets = {name: {"state": "ok", "path": f"/gradio/{name}/"} for name in mounted}
        widgets |= {name: {"state": "failed", "reason": reason} for name, reason in failed.items()}
        states = sources.states()
        problems = [f"widget {name}: {reason}" for name, reason in failed.items()]
        problems += [f"{s['kind']} {s['name']}: {s['reason']}" for s in states if s["state"] == "failed"]
        return {
            "status": "degraded" if problems else "ok",
            "problems": problems,
            "models": len(zoo.list_models()),
            "gradio": mounted,
            "widgets": widgets,
            "sources": states,
            "gradio_temp_dir": str(temp_dir),
            "heavy_jobs": runtime.heavy_jobs(),
        }

    for name, reason in failed.items():  # in the Space's logs at start-up, not only when someone asks
        log.error("degraded: widget %s is not served (%s)", name, reason)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        return JSONResponse(health())


class WidgetPageScript:
    """ASGI middleware: puts `script` at the top of the <head> of each widget's page (GET /gradio/<name>/),
    before Gradio's own scripts, which choose the page's language as they start (see
    `ui.gradio_demos.page_script`). Every other request — Gradio's API and queue streams, Streamlit's pages and
    websocket — passes through untouched."""

    PAGE = re.compile(r"^/gradio/[^/]+/?$")

    def __init__(self, app, script: str) -> None:
        self.app = app
        self.script = script.encode()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or not self.PAGE.match(scope["path"]):
            await self.app(scope, receive, send)
            return
        start: dict = {}
        body: list[bytes] = []

        async def buffered(message) -> None:
            if message["type"] not in ("http.response.start", "http.response.body"):
                await send(message)  # e.g. the test client's "http.response.debug"
                return
            if message["type"] == "http.response.start":
                start.update(message)
                return
            body.append(message.get("body", b""))
            if message.get("more_body"):
                return
            page = b"".join(body)
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
            content_type = dict(headers).get(b"content-type", b"")
            if start.get("status") == 200 and content_type.startswith(b"text/html") and b"<head>" in page:
                page = page.replace(b"<head>", b"<head>" + self.script, 1)
            headers.append((b"content-length", str(len(page)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": page})

        await self.app(scope, receive, buffered)


def _log_to_stderr() -> None:
    """The app's own log (`deepzoo`: refused inputs, errors with their tracebacks) on the server's stderr,
    beside Streamlit's and uvicorn's; without a handler only warnings would show, unformatted."""
    log = logging.getLogger("deepzoo")
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
