"""Routes the one-port server adds beside Streamlit: Gradio widgets and a health check."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import JSONResponse


def add_routes(app: FastAPI) -> None:
    import gradio as gr

    import zoo

    from .gradio_apps import blocks
    from .gradio_demos import i18n

    mounted = []
    for name, demo in blocks().items():
        gr.mount_gradio_app(app, demo, path=f"/gradio/{name}", i18n=i18n(), footer_links=["api"])
        mounted.append(name)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok", "models": len(zoo.list_models()), "gradio": mounted})
