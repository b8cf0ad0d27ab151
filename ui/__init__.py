"""The app's rendering layer: Streamlit pages share these helpers; Gradio widgets live here too.
Logic lives in `zoo`; nothing in this package computes anything a test of `zoo` would not cover."""
