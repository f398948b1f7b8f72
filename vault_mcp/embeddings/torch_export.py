"""The model exported to ONNX by torch: for models the graph builder does not write (not BERT).

Seconds of work (importing torch and transformers, tracing), done once per data dir; the
packaged model never takes this path (bert_graph writes its graph without torch).
"""

from __future__ import annotations

import logging
import time
import warnings
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def export_onnx(folder: Path, target: Path) -> None:
    """Export the transformer in `folder` to the ONNX file `target` (needs torch and
    transformers). Inputs input_ids, attention_mask, token_type_ids; output last_hidden_state."""
    started = time.perf_counter()
    import torch
    from transformers import AutoModel

    # Eager attention exports as plain MatMul/Softmax, which onnxruntime runs ~25% faster on
    # these CPUs than the graph of the SDPA path (measured: 45 vs 36 notes/s, same vectors).
    model = AutoModel.from_pretrained(str(folder), attn_implementation="eager").eval()

    class LastHiddenState(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, ids: Any, mask: Any, types: Any) -> Any:
            return self.inner(
                input_ids=ids, attention_mask=mask, token_type_ids=types
            ).last_hidden_state

    sample = torch.ones((2, 8), dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    with warnings.catch_warnings():
        # The legacy (TorchScript) exporter is deprecated and chatty, but it is the one that
        # needs nothing beyond torch; its warnings say nothing a user can act on.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            LastHiddenState(model),
            (sample, sample, torch.zeros_like(sample)),
            str(target),
            dynamo=False,
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["last_hidden_state"],
            dynamic_axes={
                "input_ids": axes,
                "attention_mask": axes,
                "token_type_ids": axes,
                "last_hidden_state": axes,
            },
            opset_version=17,
        )
    log.info("exported the embedding model with torch in %.1f s", time.perf_counter() - started)
