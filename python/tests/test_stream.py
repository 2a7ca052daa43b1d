"""Pipeline.stream(): records in push order through a real transform at 1 and 2 threads, NumPy arrays both
ways, bounded input consumption, cancellation by closing the generator, the GIL released."""
import os
import threading
import time

import numpy as np
import pytest

import seqflow
from conftest import revcomp, seq_of

REVCOMP = """
[pipeline]
name = "py-revcomp"
max_in_flight = 32

[[stage]]
name = "in"
plugin = "embed.input"
fields = { seq = "string", n = "int" }

[[stage]]
name = "rc"
plugin = "dna.revcomp"
output = "rc"

[[stage]]
name = "out"
plugin = "embed.output"
fields = ["id", "n", "rc"]
"""

TENSORS = """
[[stage]]
name = "in"
plugin = "embed.input"
fields = { x = "tensor", label = "string", blob = "bytes", w = "float" }

[[stage]]
name = "out"
plugin = "embed.output"
"""


@pytest.mark.parametrize("threads", [1, 2])
def test_stream_keeps_push_order(threads):
    p = seqflow.Pipeline(REVCOMP)
    n = 3000
    out = list(p.stream(({"id": f"r{i}", "seq": seq_of(i), "n": i} for i in range(n)), threads=threads))
    assert [r["id"] for r in out] == [f"r{i}" for i in range(n)]
    assert [r["n"] for r in out] == list(range(n))
    assert all(r["rc"] == revcomp(seq_of(i)) for i, r in enumerate(out))
    assert all(set(r) == {"id", "n", "rc"} for r in out)  # only the listed fields


def test_stream_numpy_and_scalars_round_trip():
    p = seqflow.Pipeline(TENSORS)
    rng = np.random.default_rng(7)
    arrays = [
        rng.standard_normal((5, 3)).astype(np.float32),
        np.arange(12, dtype=np.int64).reshape(2, 2, 3),
        np.array([1, -2, 3], dtype=np.int32),
        np.array([0, 255], dtype=np.uint8),
        np.array([-128, 127], dtype=np.int8),
        np.array([0.5, -1.25], dtype=np.float16),
        np.zeros((0, 4), dtype=np.float32),
        np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)),  # not C-contiguous: made so
    ]
    recs = [{"x": a, "label": f"a{i}", "blob": bytes([i, 0, 255]), "w": i / 4} for i, a in enumerate(arrays)]
    out = list(p.stream(recs))
    assert len(out) == len(arrays)
    for a, r in zip(arrays, out):
        assert r["x"].dtype == a.dtype
        assert r["x"].shape == a.shape
        np.testing.assert_array_equal(r["x"], a)
        # The engine's buffer itself, owned through the array's base: no copy on the way out.
        assert not r["x"].flags.owndata and r["x"].base is not None
    assert [r["label"] for r in out] == [f"a{i}" for i in range(len(arrays))]
    assert [r["blob"] for r in out] == [bytes([i, 0, 255]) for i in range(len(arrays))]
    assert [r["w"] for r in out] == [i / 4 for i in range(len(arrays))]


def test_pushed_array_is_copied_so_the_caller_may_reuse_it():
    p = seqflow.Pipeline(TENSORS)
    buf = np.zeros(4, dtype=np.float32)

    def gen():
        for i in range(50):
            buf[:] = i  # the same array, changed after each push
            yield {"x": buf, "label": "", "blob": b"", "w": 0.0}

    out = list(p.stream(gen()))
    assert [float(r["x"][0]) for r in out] == [float(i) for i in range(50)]


def test_stream_takes_input_only_a_bounded_way_ahead_and_cancels_on_close():
    p = seqflow.Pipeline(REVCOMP)  # max_in_flight = 32
    taken = 0

    def endless():
        nonlocal taken
        while True:
            yield {"seq": seq_of(taken), "n": taken}
            taken += 1

    it = p.stream(endless())
    got = []
    for r in it:
        got.append(r["n"])
        if len(got) == 100:
            break
    it.close()  # cancels the run: returns at once, no hang
    assert got == list(range(100))
    # Input queue + graph + output queue, each bounded by max_in_flight (+ a chunk at the source).
    assert taken <= 100 + 4 * 32


def test_cancel_mid_stream_leaves_no_output(tmp_path):
    p = seqflow.Pipeline("""
[[stage]]
name = "in"
plugin = "embed.input"
fields = { text = "string" }

[[stage]]
name = "write"
plugin = "io.jsonl_write"
path = "out.jsonl"
fields = ["id", "text"]
""", base_dir=tmp_path)

    class Stop(Exception):
        pass

    def gen():
        for i in range(1000):
            if i == 500:
                raise Stop()
            yield {"id": str(i), "text": "t"}

    with pytest.raises(Stop):
        for _ in p.stream(gen()):
            pass
    assert not (tmp_path / "out.jsonl").exists()
    # The same pipeline completed writes every record.
    assert list(p.stream({"id": str(i), "text": "t"} for i in range(3))) == []
    assert (tmp_path / "out.jsonl").read_text() == "".join(f'{{"id":"{i}","text":"t"}}\n' for i in range(3))


def test_stream_from_a_reader_pipeline(tmp_path):
    (tmp_path / "in.txt").write_text("hello\nworld\n")
    p = seqflow.Pipeline("""
[[stage]]
name = "read"
plugin = "io.lines_read"
paths = ["in.txt"]

[[stage]]
name = "out"
plugin = "embed.output"
fields = ["text"]
""", base_dir=tmp_path)
    assert list(p.stream()) == [{"text": "hello"}, {"text": "world"}]
    with pytest.raises(ValueError, match="no embed.input stage"):
        list(p.stream([{"text": "x"}]))


def test_gil_is_released_while_the_engine_works(tmp_path):
    lines = tmp_path / "in.txt"
    lines.write_text("".join(f"line {i}\n" for i in range(1500000)))
    p = seqflow.Pipeline(f"""
[[stage]]
name = "read"
plugin = "io.lines_read"
paths = ["{lines}"]

[[stage]]
name = "write"
plugin = "io.jsonl_write"
path = "{tmp_path / 'out.jsonl'}"
fields = ["id", "text"]
""")
    ticks = 0
    stop = threading.Event()

    def spin():
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0.001)

    t = threading.Thread(target=spin)
    t.start()
    time.sleep(0.02)
    before = ticks
    t0 = time.perf_counter()
    stats = p.run(threads=1)
    elapsed = time.perf_counter() - t0
    during = ticks - before
    stop.set()
    t.join()
    assert stats["ok"] and stats["stages"][1]["out"] == 1500000
    # With the GIL held for the whole run the other thread could not tick at all.
    assert elapsed > 0.05, "the run was too short to tell"
    assert during >= 5


def rss_kb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)


def test_slow_consumer_keeps_memory_flat_over_a_million_records():
    p = seqflow.Pipeline(REVCOMP)  # max_in_flight = 32
    n = 1_000_000
    taken = 0
    ahead = 0

    def gen():
        nonlocal taken
        for i in range(n):
            taken += 1
            yield {"seq": "ACGTACGTAC", "n": i}

    samples = []
    for k, r in enumerate(p.stream(gen())):
        assert r["n"] == k
        ahead = max(ahead, taken - k)
        if k % 50_000 == 0:
            samples.append(rss_kb())
            time.sleep(0.005)  # the consumer falls behind: the producer must wait, not buffer
    assert k == n - 1
    assert ahead <= 4 * 32 + 1  # never more than the bounds ahead of the consumer
    # Flat: after the first 100k records, resident memory moves by less than 16 MB.
    assert max(samples[2:]) - min(samples[2:]) < 16 * 1024, samples


def test_two_streams_at_once_in_one_thread_and_in_two():
    p = seqflow.Pipeline(REVCOMP)
    q = seqflow.Pipeline(REVCOMP)
    a = p.stream(({"seq": seq_of(i), "n": i} for i in range(2000)), threads=1)
    b = q.stream(({"seq": seq_of(i), "n": -i} for i in range(2000)), threads=2)
    for i, (x, y) in enumerate(zip(a, b)):  # both runs alive, interleaved
        assert (x["n"], y["n"]) == (i, -i)
        assert x["rc"] == y["rc"] == revcomp(seq_of(i))
    results = {}

    def consume(name, pipeline):
        results[name] = [r["n"] for r in pipeline.stream({"seq": "ACGT", "n": i} for i in range(5000))]

    threads = [threading.Thread(target=consume, args=(k, v)) for k, v in (("p", p), ("q", q))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert results == {"p": list(range(5000)), "q": list(range(5000))}
