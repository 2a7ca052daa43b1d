"""Bad input in a stream: each case with its exception type and message."""
import numpy as np
import pytest

import seqflow

TYPED = """
[[stage]]
name = "in"
plugin = "embed.input"
fields = { x = "tensor:f32", label = "string" }

[[stage]]
name = "out"
plugin = "embed.output"
"""


def first_error(records, toml=TYPED):
    with pytest.raises(seqflow.RecordError) as e:
        list(seqflow.Pipeline(toml).stream(records))
    return e.value


def test_missing_field():
    e = first_error([{"label": "a"}])
    assert str(e) == "record 1 pushed to stage 'in': field 'x' is missing (the stage declares it tensor<f32>)"
    assert e.field == "x"


def test_undeclared_field_suggests_the_closest():
    e = first_error([{"x": np.zeros(2, np.float32), "lable": "a"}])
    assert "field 'lable' is not declared in the stage's `fields` (id, x, label); did you mean 'label'?" in str(e)


def test_array_of_the_wrong_dtype():
    e = first_error([{"x": np.zeros(2, np.int32), "label": "a"}])
    assert str(e) == ("record 1 pushed to stage 'in': field 'x' is a tensor of dtype i32, the stage declares "
                      "tensor<f32>: convert it before pushing")
    e = first_error([{"x": np.zeros(2, np.float64), "label": "a"}])
    assert str(e) == ("field 'x': NumPy dtype float64 is not a seqflow tensor dtype (float32, float16, int64, "
                      "int32, uint8, int8): convert it with .astype(...)")


def test_wrong_python_types():
    assert "field 'label' is an int, the stage declares it a string" in str(
        first_error([{"x": np.zeros(2, np.float32), "label": 3}]))
    assert "field 'label' is a list: a field is a str, bytes, int, float or NumPy array" in str(
        first_error([{"x": np.zeros(2, np.float32), "label": [1]}]))
    assert "a record is a dict" in str(first_error(["not a dict"]))


def test_the_third_record_is_named_by_position():
    good = {"x": np.zeros(2, np.float32), "label": "a"}
    e = first_error([good, good, {"label": "b"}])
    assert str(e).startswith("record 3 pushed to stage 'in'")


def test_pipeline_error_in_the_middle_of_a_stream(test_plugins):
    p = seqflow.Pipeline("""
[[stage]]
name = "in"
plugin = "embed.input"
fields = { text = "string" }

[[stage]]
name = "check"
plugin = "faulty.boom"

[[stage]]
name = "out"
plugin = "embed.output"
""")
    got = []
    with pytest.raises(seqflow.PipelineError) as e:
        for r in p.stream({"id": f"r{i}", "text": "boom" if i == 700 else "fine"} for i in range(2000)):
            got.append(r["id"])
    assert str(e.value) == "stage 'check' (faulty.boom) record 'r700': record text 'boom' contains boom"
    assert (e.value.stage, e.value.plugin, e.value.record) == ("check", "faulty.boom", "r700")
    assert e.value.reason == "record text 'boom' contains boom"
    assert isinstance(e.value, RuntimeError)
    assert got == [f"r{i}" for i in range(len(got))] and len(got) <= 700


def test_streaming_an_endless_pipeline_needs_embed_stages(tmp_path):
    (tmp_path / "in.txt").write_text("a\n")
    p = seqflow.Pipeline('[[stage]]\nname = "r"\nplugin = "io.lines_read"\npaths = ["in.txt"]\n'
                         '[[stage]]\nname = "w"\nplugin = "io.discard"\n', base_dir=tmp_path)
    with pytest.raises(Exception, match="neither an embed.input nor an embed.output"):
        list(p.stream())
