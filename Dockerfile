# Hugging Face Docker Space: CPU only, non-root user 1000, one port (7860) for Streamlit + Gradio.
# `python -m zoo deploy OWNER/NAME` uploads the repository; tests/test_dockerfile.py replays every step below
# and the exact CMD as user 1000 without Docker (in CI), so keep steps it can replay (see that file).
FROM python:3.11-slim

# CPU wheel of torch: the default PyPI wheel for Linux bundles CUDA (several GB).
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu

RUN useradd -m -u 1000 user
USER user
ENV HOME=/home/user \
    PATH=/home/user/.local/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 \
    STREAMLIT_BROWSER_GATHER_USAGE_STATS=false
WORKDIR /home/user/app

COPY --chown=user requirements.txt .
RUN pip install --no-cache-dir --user --extra-index-url "$TORCH_INDEX" -r requirements.txt

COPY --chown=user . .

# Every model page's graph, layer table and counts, built now so the Space serves them from disk
# (a model that cannot be inspected fails the build). New or changed models are built on demand.
ENV DEEPZOO_CACHE_DIR=/home/user/app/.artifacts
RUN python -m zoo introspect --all --jobs 2

EXPOSE 7860
# XSRF protection off: Spaces serve the app inside an iframe on another origin, where uploads
# otherwise fail with 403.
CMD ["streamlit", "run", "app.py", "--server.port=7860", "--server.address=0.0.0.0", "--server.enableXsrfProtection=false"]
