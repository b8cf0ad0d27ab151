"""Routes the one-port server adds beside Streamlit: Gradio widgets and a health check."""

from __future__ import annotations

import logging

from fastapi import FastAPI
from fastapi.responses import JSONResponse


def add_routes(app: FastAPI) -> None:
    import gradio as gr

    import zoo
    from zoo import runtime
    from zoo.demos import all_demos
    from zoo.demos.inputs import upload_limit

    from .gradio_apps import blocks
    from .gradio_demos import i18n

    _log_to_stderr()
    input_kind = {d.name: d.input_kind for d in all_demos()}  # widgets that are not demos (explorer) take no file
    mounted = []
    for name, demo in blocks().items():
        gr.mount_gradio_app(
            app,
            demo,
            path=f"/gradio/{name}",
            i18n=i18n(),
            footer_links=["api"],
            # refused with 413 while the upload streams in, before it is read into memory or kept on disk
            max_file_size=upload_limit(input_kind.get(name, "")),
            show_error=False,  # an unexpected error's own text stays in the server log; gr.Error is still shown
        )
        mounted.append(name)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        return JSONResponse(
            {"status": "ok", "models": len(zoo.list_models()), "gradio": mounted, "heavy_jobs": runtime.heavy_jobs()}
        )


def _log_to_stderr() -> None:
    """The app's own log (`deepzoo`: refused inputs, errors with their tracebacks) on the server's stderr,
    beside Streamlit's and uvicorn's; without a handler only warnings would show, unformatted."""
    log = logging.getLogger("deepzoo")
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
