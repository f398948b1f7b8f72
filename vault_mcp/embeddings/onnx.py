"""OnnxEmbedder: the same model on onnxruntime, with no torch at run time.

The model's ONNX graph is written once per data dir and cached there: for a BERT model (the
packaged all-MiniLM-L6-v2) straight from its weights by bert_graph, in well under a second;
for any other model by torch's exporter, in seconds. A later start loads the cached file.
A short query embeds in a few milliseconds, with vectors equal to sentence-transformers'.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from vault_mcp.embeddings.background import BackgroundEmbedder
from vault_mcp.embeddings.batching import EncodeFn
from vault_mcp.embeddings.bert_graph import build_bert_graph, is_plain_bert
from vault_mcp.embeddings.sentence_transformer import OFFLINE_ENV, packaged_model_path
from vault_mcp.embeddings.window import within_window
from vault_mcp.errors import EmbedderUnavailable
from vault_mcp.service import PREPARING

log = logging.getLogger(__name__)

# Part of the cached file's name: a change to the graph written makes a new file. "graph1":
# bert_graph's, from the weights; "eager1": torch's export (eager attention).
EXPORT_VERSION = "graph1"
TORCH_EXPORT_VERSION = "eager1"

# Texts are encoded in length-sorted chunks of this size, so short texts are not padded to
# the length of a long one.
CHUNK = 32


def _model_dir(model: str | None) -> Path:
    folder = Path(model).expanduser() if model else Path(packaged_model_path())
    if not (folder / "tokenizer.json").is_file():
        raise EmbedderUnavailable(
            f"{folder} is not a local sentence-transformers model folder (no tokenizer.json); "
            "set VAULT_EMBEDDING_MODEL to one, or VAULT_EMBEDDER=sentence-transformers"
        )
    return folder


def _check_mean_pooling(folder: Path) -> None:
    pooling = folder / "1_Pooling" / "config.json"
    if pooling.is_file() and not json.loads(pooling.read_text()).get("pooling_mode_mean_tokens"):
        raise EmbedderUnavailable(
            f"the model in {folder} does not use mean pooling, which the ONNX path implements; "
            "use VAULT_EMBEDDER=sentence-transformers for it"
        )


def _max_tokens(folder: Path) -> int:
    config = folder / "sentence_bert_config.json"
    if config.is_file():
        return int(json.loads(config.read_text()).get("max_seq_length", 256))
    return 256


def _fingerprint(folder: Path) -> str:
    """Names the cached export after the weights it came from (size and first MiB)."""
    weights = next(
        (folder / n for n in ("model.safetensors", "pytorch_model.bin") if (folder / n).is_file()),
        None,
    )
    if weights is None:
        raise EmbedderUnavailable(f"no model weights in {folder}")
    digest = hashlib.sha256(str(weights.stat().st_size).encode())
    with weights.open("rb") as f:
        digest.update(f.read(1 << 20))
    return digest.hexdigest()[:16]


def _write(target: Path, graph: bytes) -> None:
    """`graph` as the file `target`, whole or not at all."""
    target.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the target and renamed: a reader never sees half a file, and two
    # processes building at once simply both succeed.
    fd, temp = tempfile.mkstemp(dir=target.parent, suffix=".onnx.tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(graph)
        # mkstemp made it 0600: readable by the building user alone. The image builds as
        # root and serves as uid 1001, which then could not read it (and fell back to torch).
        os.chmod(temp, 0o644)  # the weights are public; nothing here is secret
        os.replace(temp, target)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)


# The cache's file names: <model folder>-<fingerprint>-<how it was made>.onnx.
_CACHED = re.compile(r"-[0-9a-f]{16}-[a-z0-9]+\.onnx")
# A build's temporary file older than this was left by a process that died mid-write.
_ABANDONED_SECONDS = 3600


def _remove_stale(cache_dir: Path, model_name: str, keep: Path) -> None:
    """Older graphs of the same model (~90 MB each nobody will read) and temporary files of
    builds that died mid-write; never another model's graph, nor a build under way."""
    for path in cache_dir.glob(f"{model_name}-*.onnx"):
        name = path.name[len(model_name) :]
        if path != keep and _CACHED.fullmatch(name):
            path.unlink(missing_ok=True)
    for path in cache_dir.glob("*.onnx.tmp"):
        try:
            if time.time() - path.stat().st_mtime > _ABANDONED_SECONDS:
                path.unlink(missing_ok=True)
        except OSError:  # another process renamed or removed it meanwhile
            continue


def _torch_export(folder: Path, target: Path) -> None:
    from vault_mcp.embeddings.torch_export import export_onnx

    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=target.parent, suffix=".onnx.tmp")
    os.close(fd)
    try:
        export_onnx(folder, Path(temp))
        _write(target, Path(temp).read_bytes())
    finally:
        Path(temp).unlink(missing_ok=True)


def _build(folder: Path, target: Path, torch_export: bool) -> None:
    """The model's ONNX graph written to `target`: from its weights, or by torch for a model
    bert_graph does not write. Failures are told as EmbedderUnavailable."""
    started = time.perf_counter()
    try:
        if torch_export:
            _torch_export(folder, target)
        else:
            _write(target, build_bert_graph(folder))
    except EmbedderUnavailable:
        raise
    except Exception as exc:
        raise EmbedderUnavailable(f"could not write {folder}'s ONNX graph: {exc}") from exc
    log.info(
        "wrote the embedding model's graph %s in %.2f s", target, time.perf_counter() - started
    )


def load_onnx(
    model: str | None,
    cache_dir: Path,
    dimension: int,
    on_export: Callable[[], None] = lambda: None,
    *,
    force_torch_export: bool = False,
    threads: int = 0,
) -> EncodeFn:
    """The encode function, writing the model's graph first if this data dir has no copy yet
    (`on_export` is told when a slow one-time step, torch's export, begins).
    `force_torch_export`: export with torch even a model bert_graph writes (to compare);
    `threads`: onnxruntime's intra-op threads (0: its default, one per core)."""
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
    started = time.perf_counter()
    folder = _model_dir(model)
    _check_mean_pooling(folder)
    torch_export = force_torch_export or not is_plain_bert(folder)
    fingerprint = _fingerprint(folder)

    def target_for(by_torch: bool) -> Path:
        version = TORCH_EXPORT_VERSION if by_torch else EXPORT_VERSION
        return cache_dir / f"{folder.name}-{fingerprint}-{version}.onnx"

    target = target_for(torch_export)

    def build() -> None:
        nonlocal torch_export, target
        how = "exporting it to ONNX with torch" if torch_export else "writing its ONNX graph"
        log.warning("%s: %s", PREPARING, how)
        on_export()
        try:
            _build(folder, target, torch_export)
        except EmbedderUnavailable as exc:
            if torch_export:
                raise
            # A BERT config whose weights bert_graph cannot read (keys under another prefix,
            # bf16 tensors): torch's export reads them, as it did before bert_graph.
            log.warning("%s; exporting it with torch instead", exc)
            torch_export, target = True, target_for(True)
            if not target.is_file():
                _build(folder, target, True)

    if not target.is_file():
        build()
        _remove_stale(cache_dir, folder.name, target)

    import onnxruntime
    from tokenizers import Tokenizer

    max_tokens = _max_tokens(folder)
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=max_tokens)
    tokenizer.enable_padding()
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3  # errors only: its warnings are noise on stderr
    options.intra_op_num_threads = threads
    # onnxruntime's worker threads otherwise spin for a while after every run, waiting for
    # the next: on two cores they then hold a core that PostgreSQL and the event loop need
    # right after an embedding (a search's statement, a note's insert). Measured at 1,000
    # notes, encode then search statement, alternating: encode p50 19.8 -> 7.6 ms, both
    # 44.6 -> 23.6 ms on a loaded machine (and 27.5 / 56.4 -> 13.8 / 39.9 in a second pair).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")

    def open_session() -> Any:
        return onnxruntime.InferenceSession(
            str(target), options, providers=["CPUExecutionProvider"]
        )

    log.info("loading the embedding model (onnxruntime)…")
    try:
        session = open_session()
    except Exception as exc:  # a cached graph cut short (a full disk, a copy) or corrupted
        log.warning("the cached ONNX graph %s cannot be read (%s); writing it again", target, exc)
        target.unlink(missing_ok=True)
        build()
        session = open_session()
    # The weights' graph takes no token_type_ids (always zeros for one sentence); torch's does.
    wants_types = any(i.name == "token_type_ids" for i in session.get_inputs())

    def run(texts: list[str]) -> npt.NDArray[np.float32]:
        encodings = tokenizer.encode_batch(within_window(texts, max_tokens))
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask}
        if wants_types:
            feed["token_type_ids"] = np.zeros_like(ids)
        (hidden,) = session.run(None, feed)
        summed = (hidden * mask[..., None]).sum(axis=1)
        vectors = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1)  # mean pooling
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return np.asarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)

    def encode(texts: list[str]) -> npt.NDArray[np.float32]:
        out = np.empty((len(texts), dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), CHUNK):
            chunk = order[start : start + CHUNK]
            out[chunk] = run([texts[i] for i in chunk])
        return out

    probe = encode(["warm up"])  # the first run allocates; pay it now
    if probe.shape[1] != dimension:
        raise EmbedderUnavailable(
            f"the model in {folder} makes {probe.shape[1]}-dimensional vectors; the vault "
            f"stores {dimension}. Pick a {dimension}-dimensional model."
        )
    log.info(
        "embedding model ready in %.2f s (onnxruntime, %s)", time.perf_counter() - started, folder
    )
    return encode


class OnnxEmbedder(BackgroundEmbedder):
    """all-MiniLM-L6-v2 (or VAULT_EMBEDDING_MODEL) on onnxruntime, cached under `cache_dir`."""

    def __init__(
        self, cache_dir: Path, model: str | None = None, dimension: int = 384, max_batch: int = 64
    ) -> None:
        super().__init__(
            lambda: load_onnx(model, cache_dir, dimension, self.mark_preparing),
            dimension,
            max_batch,
        )
