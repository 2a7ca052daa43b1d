"""The examples of python/README.md and of the repository README run as written (each ```python block in
its own namespace)."""
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BLOCKS = [b for readme in (ROOT / "python" / "README.md", ROOT / "README.md")
          for b in re.findall(r"```python\n(.*?)```", readme.read_text(), re.S)]


def test_readme_has_examples():
    assert len(BLOCKS) >= 4


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_example(index):
    exec(compile(BLOCKS[index], f"README.md example {index + 1}", "exec"), {})
