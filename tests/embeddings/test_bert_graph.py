"""The graph written from the weights without torch: a valid ONNX model, encoded as onnx would."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import helper, numpy_helper

from vault_mcp.embeddings import onnx_proto as proto
from vault_mcp.embeddings.bert_graph import INPUTS, OUTPUT, build_bert_graph, is_plain_bert
from vault_mcp.embeddings.sentence_transformer import packaged_model_path


def test_the_packaged_models_graph_passes_the_onnx_checker() -> None:
    folder = Path(packaged_model_path())
    assert is_plain_bert(folder)
    model = onnx.load_from_string(build_bert_graph(folder))
    onnx.checker.check_model(model, full_check=True)  # types and shapes inferred throughout
    assert [i.name for i in model.graph.input] == list(INPUTS)
    assert [o.name for o in model.graph.output] == [OUTPUT]
    assert model.opset_import[0].version == 17


def test_hand_encoded_messages_read_back_as_the_onnx_package_writes_them() -> None:
    weights = np.arange(6, dtype=np.float32).reshape(2, 3)
    written = proto.model(
        "g",
        [
            proto.node("Transpose", ["x"], "y", perm=[1, 0]),
            proto.node("Softmax", ["y"], "z", axis=-1),
        ],
        [proto.tensor("w", weights), proto.tensor("scalar", np.array(-7))],
        [proto.value_info("x", proto.FLOAT, ["batch", 3])],
        [proto.value_info("z", proto.FLOAT, [3, "batch"])],
        opset=17,
        ir_version=8,
    )
    expected = helper.make_model(
        helper.make_graph(
            [
                helper.make_node("Transpose", ["x"], ["y"], name="y", perm=[1, 0]),
                helper.make_node("Softmax", ["y"], ["z"], name="z", axis=-1),
            ],
            "g",
            [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, ["batch", 3])],
            [helper.make_tensor_value_info("z", onnx.TensorProto.FLOAT, [3, "batch"])],
            [
                numpy_helper.from_array(weights, "w"),
                numpy_helper.from_array(np.array(-7), "scalar"),
            ],
        ),
        opset_imports=[helper.make_opsetid("", 17)],
        ir_version=8,
    )
    expected.ClearField("producer_name")
    assert onnx.load_from_string(written) == expected
    assert numpy_helper.to_array(onnx.load_from_string(written).graph.initializer[1]).shape == ()


def test_a_model_that_is_not_bert_is_left_to_torch(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text('{"model_type": "roberta", "hidden_act": "gelu"}')
    (tmp_path / "model.safetensors").write_bytes(b"")
    assert not is_plain_bert(tmp_path)
    assert not is_plain_bert(tmp_path / "missing")
