"""DeepZoo — one command, one port: `streamlit run app.py`.

This file plays two parts:
- imported as a module (by `streamlit run`, which finds the ASGI `app` below, or by
  `uvicorn app:app`), it builds the server: FastAPI + every Gradio widget under /gradio/<name>/ +
  the Streamlit app mounted last at "/";
- executed by Streamlit as the app script (`__name__ == "__main__"`), it draws the navigation.
"""

import streamlit as st

if __name__ == "__main__":
    from ui.navigation import run

    run()
else:
    from fastapi import FastAPI
    from streamlit.runtime.pages_manager import PagesManager

    from ui.server import add_routes
    from zoo import runtime

    # Once, before any request: how many heavy jobs run at once and on how many torch threads each. Every
    # thread the server starts later inherits the thread count (see zoo/runtime.py).
    runtime.configure()

    # Our pages live in pages/ (as the client asked) but are wired with st.navigation. Streamlit
    # would otherwise treat pages/ as old-style auto-pages until the first session reaches
    # st.navigation — so a first visit straight to /model would run that page alone, for everyone.
    PagesManager.uses_pages_directory = False

    st_app = st.App(__file__)
    app = FastAPI(title="DeepZoo", lifespan=st_app.lifespan(), docs_url=None, redoc_url=None)
    add_routes(app)
    app.mount("/", st_app)  # last: Streamlit catches every path the routes above don't
