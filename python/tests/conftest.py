"""Shared helpers: the repository, the CLI to compare messages with, the test-only plugins (faulty.boom)."""
import os
import pathlib
import subprocess

import pytest

import seqflow

SOURCE_DIR = pathlib.Path(os.environ.get("SEQFLOW_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))
_test_plugins = os.environ.get("SEQFLOW_TEST_PLUGIN_DIR", "")
if _test_plugins:
    seqflow._seqflow.add_plugin_dir(_test_plugins)


def _cli():
    here = pathlib.Path(seqflow.__file__).resolve().parent
    for c in (here.parent.parent / "bin" / "seqflow", here / "bin" / "seqflow"):
        if c.exists():
            return c
    return None


@pytest.fixture
def cli():
    """Runs the `seqflow` CLI of the same build: (exit code, stderr)."""
    exe = _cli()
    if exe is None:
        pytest.skip("the seqflow CLI of this build is not beside the package (an installed wheel)")

    def run(*args, cwd=None):
        p = subprocess.run([str(exe), *map(str, args)], cwd=cwd, capture_output=True, text=True)
        return p.returncode, p.stderr

    return run


@pytest.fixture
def test_plugins():
    if not _test_plugins:
        pytest.skip("SEQFLOW_TEST_PLUGIN_DIR is not set (ctest sets it to <build>/test_plugins)")
    return _test_plugins


def revcomp(s: str) -> str:
    return s[::-1].translate(str.maketrans("ACGT", "TGCA"))


def seq_of(i: int) -> str:
    s = ""
    k = i
    while k > 0 or len(s) < 4:
        s += "ACGT"[k % 4]
        k //= 4
    return s
