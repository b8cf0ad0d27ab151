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

    from ui.server import add_routes

    st_app = st.App(__file__)
    app = FastAPI(title="DeepZoo", lifespan=st_app.lifespan(), docs_url=None, redoc_url=None)
    add_routes(app)
    app.mount("/", st_app)  # last: Streamlit catches every path the routes above don't
