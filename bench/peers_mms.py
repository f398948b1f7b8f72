"""mcp-memory-service for bench.peers: its venv, its model provided offline, its env and replies.

MMS 12.4.0 comes from PyPI with its `sqlite` extra (sqlite-vec, onnxruntime, tokenizers: the
torch-free install its README offers), into a venv of its own under bench/.cache/peers, made on
first use with a Python whose sqlite3 can load extensions (sqlite-vec needs it). Its ONNX
embedder (`embeddings/onnx_embeddings.py`) loads `~/.cache/mcp_memory/onnx_models/
all-MiniLM-L6-v2/onnx/{model.onnx,tokenizer.json}` and downloads Chroma's archive from S3 when
they are missing; here that folder is filled from vault-mcp's packaged copy of the same model
(exported to ONNX with its last_hidden_state output, which MMS mean-pools itself, and the
model's own tokenizer.json), HOME points at a fresh folder per run, downloads are switched off
(`MCP_MEMORY_ONNX_ALLOW_DOWNLOAD=0`, `HF_HUB_OFFLINE=1`) and every proxy variable points at a
closed loopback port, so a fetch fails at once instead of reaching out.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.corpus import CACHE

VERSION = "12.4.0"
HOME = CACHE / "peers"
VENV = HOME / "mms-venv"
MODEL = HOME / "mms-model" / "onnx"  # the layout MMS's ONNX embedder reads
COMMAND = str(VENV / "bin" / "memory")
# The folder MMS looks in for its default model, relative to HOME.
MODEL_HOME = Path(".cache/mcp_memory/onnx_models/all-MiniLM-L6-v2")
CLOSED_PORT = "http://127.0.0.1:9"  # discard: nothing listens, so any fetch fails fast

_STORED = re.compile(r"Memory stored successfully \(hash: ([0-9a-f]{64})\)")
_HASH = re.compile(r"^\s+Hash: ([0-9a-f]{64})\s*$", re.MULTILINE)
_DUPLICATE = "Duplicate content detected"


def _progress(message: str) -> None:
    print(f"[mms] {message}", file=sys.stderr, flush=True)


def _loads_extensions(python: str) -> bool:
    probe = "import sqlite3; sqlite3.connect(':memory:').enable_load_extension(True)"
    try:
        return (
            subprocess.run([python, "-c", probe], capture_output=True, timeout=60).returncode == 0
        )
    except (OSError, subprocess.TimeoutExpired):
        return False


def _base_python() -> str:
    candidates = [
        os.environ.get("PEERS_MMS_PYTHON", ""),
        "/usr/bin/python3",
        getattr(sys, "_base_executable", ""),
        shutil.which("python3") or "",
    ]
    for python in candidates:
        if python and Path(python).exists() and _loads_extensions(python):
            return python
    raise SystemExit(
        "no Python here can load sqlite extensions, which MMS's sqlite-vec backend needs; "
        "set PEERS_MMS_PYTHON to one that can"
    )


def _installed_version() -> str | None:
    python = VENV / "bin" / "python"
    if not python.exists():
        return None
    probe = "import importlib.metadata as m; print(m.version('mcp-memory-service'))"
    done = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, timeout=60)
    return done.stdout.strip() if done.returncode == 0 else None


def ensure_venv() -> float:
    """Creates the venv with MMS in it when missing; returns the seconds that took (0: there)."""
    if _installed_version() == VERSION:
        return 0.0
    started = time.perf_counter()
    shutil.rmtree(VENV, ignore_errors=True)
    python = _base_python()
    _progress(f"creating {VENV} with {python}")
    subprocess.run([python, "-m", "venv", str(VENV)], check=True, timeout=300)
    _progress(f"pip install mcp-memory-service[sqlite]=={VERSION} (a minute or two)")
    subprocess.run(
        [str(VENV / "bin" / "pip"), "install", "--quiet", f"mcp-memory-service[sqlite]=={VERSION}"],
        check=True,
        timeout=1800,
    )
    if _installed_version() != VERSION:
        raise SystemExit(f"the install in {VENV} does not report mcp-memory-service {VERSION}")
    return time.perf_counter() - started


def ensure_model() -> float:
    """Exports the model for MMS when missing; returns the seconds that took (0: there)."""
    if (MODEL / "model.onnx").is_file() and (MODEL / "tokenizer.json").is_file():
        return 0.0
    from vault_mcp.embeddings.sentence_transformer import packaged_model_path
    from vault_mcp.embeddings.torch_export import export_onnx

    started = time.perf_counter()
    folder = Path(packaged_model_path())
    _progress(f"exporting {folder.name} to ONNX for MMS in {MODEL}")
    MODEL.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(folder / "tokenizer.json", MODEL / "tokenizer.json")
    export_onnx(folder, MODEL / "model.onnx")
    return time.perf_counter() - started


def server_env(run_dir: Path) -> dict[str, str]:
    """A fresh HOME (its model folder linked to the offline copy) and data dir under run_dir."""
    home = run_dir / "home"
    (home / MODEL_HOME).mkdir(parents=True, exist_ok=True)
    link = home / MODEL_HOME / "onnx"
    if not link.exists():
        link.symlink_to(MODEL.resolve(), target_is_directory=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MCP_", "VAULT_"))}
    env.pop("PYTHONPATH", None)  # its venv, not ours
    env.update(
        HOME=str(home),
        MCP_MEMORY_STORAGE_BACKEND="sqlite_vec",  # its default, said out loud
        MCP_MEMORY_BASE_DIR=str(run_dir / "mms-data"),
        MCP_MEMORY_USE_ONNX="1",  # its default, said out loud
        MCP_MEMORY_ONNX_ALLOW_DOWNLOAD="0",
        MCP_MEMORY_ONNX_PROVIDERS="CPUExecutionProvider",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        HTTP_PROXY=CLOSED_PORT,
        HTTPS_PROXY=CLOSED_PORT,
        http_proxy=CLOSED_PORT,
        https_proxy=CLOSED_PORT,
        ALL_PROXY=CLOSED_PORT,
        NO_PROXY="",
        no_proxy="",
    )
    return env


# What its log says when it did not embed with the model given (it then falls back, silently
# to a client, to hash "embeddings") or when it reached for the network.
_NOT_THE_MODEL = (
    "Failed to initialize ONNX",
    "ONNX model creation failed",
    "ONNX dependencies not available",
    "using hash embeddings",
    "Downloading ONNX model",
    "Could not download",
)


def check_run(run_dir: Path, stderr: str) -> None:
    """Fails loudly if MMS fetched (or tried to) or did not embed with the model given."""
    fetched = [p for p in (run_dir / "home").rglob("*") if p.suffix in {".gz", ".incomplete"}]
    if fetched:
        raise SystemExit(f"MMS tried to download a model: {fetched}")
    said = [line for line in stderr.splitlines() if any(m in line for m in _NOT_THE_MODEL)]
    if said:
        raise SystemExit("MMS did not embed with the model provided:\n" + "\n".join(said[:5]))


def text_of(result: Any) -> str:
    return "\n".join(getattr(c, "text", "") for c in result.content)


def stored_hash(result: Any) -> tuple[str | None, str]:
    """(the stored memory's hash or None, why not) from a memory_store reply."""
    text = text_of(result)
    if result.is_error:
        if _DUPLICATE in text:
            kind = "exact" if "exact match" in text else "semantic"
            return None, kind
        raise RuntimeError(f"memory_store failed: {text[:500]}")
    found = _STORED.search(text)
    if found is None:
        raise RuntimeError(f"memory_store reply not understood: {text[:500]}")
    return found.group(1), "quarantined" if "Filed as a contradiction" in text else ""


def result_hashes(result: Any) -> list[str]:
    text = text_of(result)
    if result.is_error or text.startswith("Error"):
        raise RuntimeError(f"memory_search failed: {text[:500]}")
    return _HASH.findall(text)
