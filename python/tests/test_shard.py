"""shard=(i, n): the records at positions i, i+n, ...; the DataLoader recipe (python/examples) with torch."""
import os
import pathlib
import subprocess
import sys

import pytest

import seqflow

EXAMPLE = pathlib.Path(__file__).resolve().parents[1] / "examples" / "torch_dataloader.py"


def test_shards_split_the_records_by_position(tmp_path):
    (tmp_path / "in.txt").write_text("".join(f"line{i}\n" for i in range(10)))
    p = seqflow.Pipeline('[[stage]]\nname = "r"\nplugin = "io.lines_read"\npaths = ["in.txt"]\n'
                         '[[stage]]\nname = "o"\nplugin = "embed.output"\nfields = ["text"]\n', base_dir=tmp_path)
    s0 = [r["text"] for r in p.stream(shard=(0, 3))]
    s1 = [r["text"] for r in p.stream(shard=(1, 3))]
    s2 = [r["text"] for r in p.stream(shard=(2, 3))]
    assert s0 == ["line0", "line3", "line6", "line9"]
    assert s1 == ["line1", "line4", "line7"]
    assert s2 == ["line2", "line5", "line8"]
    with pytest.raises(seqflow.InvalidPipelineError, match="shard 3/3 does not exist"):
        list(p.stream(shard=(3, 3)))


def test_torch_dataloader_recipe_trains_over_all_shards():
    pytest.importorskip("torch")
    env = dict(os.environ)
    out = subprocess.run([sys.executable, str(EXAMPLE), "--workers", "2", "--steps", "12"], env=env,
                         capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stderr
    line = out.stdout.strip().splitlines()[-1]
    # 12 reads in pipelines/dna_kmer/reads.fastq: the two workers' shards cover all of them.
    assert line.startswith("12 steps") and line.endswith("12 distinct reads seen"), line
    first, last = (float(x) for x in line.split("loss ")[1].split(",")[0].split(" -> "))
    assert last < first
