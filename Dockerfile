# vault-mcp: the HTTP server (web view, REST API, MCP at /mcp) with the embedding model baked in.
# Build: docker build -t vault-mcp .        Run: see docker-compose.prod.yml and docs/deploy.md

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
# CPU-only torch first, from PyTorch's CPU index: otherwise sentence-transformers pulls the
# multi-GB CUDA build. pyproject pins the same version, so the next step keeps this one.
# TORCH_SOURCE: pip's arguments for where that wheel comes from (a mirror, a wheel house).
ARG TORCH_SOURCE="--index-url https://download.pytorch.org/whl/cpu"
# hadolint ignore=SC2086,DL3013
RUN pip install $TORCH_SOURCE torch==2.13.0
WORKDIR /src
COPY pyproject.toml README.md ./
COPY vault_mcp ./vault_mcp
# Export the model to ONNX now (this also proves it loads offline), so the container never
# imports torch: it starts in well under a second and embeds a query in milliseconds.
RUN pip install . \
 && HF_HUB_OFFLINE=1 python -c "from pathlib import Path; from vault_mcp.embeddings.onnx import load_onnx; load_onnx(None, Path('/opt/models'), 384)"

FROM python:3.11-slim
# uid 1001: a fixed, non-root id that volume permissions can rely on.
RUN useradd --uid 1001 --create-home --shell /usr/sbin/nologin vault
COPY --from=build /opt/venv /opt/venv
COPY --from=build /opt/models /opt/models
ENV PATH=/opt/venv/bin:$PATH \
    VAULT_MODEL_CACHE=/opt/models \
    PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    VAULT_DATA_DIR=/home/vault/data
USER 1001
WORKDIR /home/vault
EXPOSE 8000
# /health is 503 until the database answers; start-period covers the model load.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status != 200)"]
CMD ["vault-mcp", "serve", "--host", "0.0.0.0", "--port", "8000"]
