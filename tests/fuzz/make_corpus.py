#!/usr/bin/env python3
"""Builds the seed corpora of tests/fuzz/corpus/<target>/ from the repository's own test inputs.

Each target reads option bytes before its payload (see the comment at the top of fuzz_<target>.cpp);
this script prefixes each test input with a few choices of them, so that the seeds reach every mode.
Inputs are cut to MAX_BYTES so that the corpora stay small. Run from anywhere: it writes next to itself.
Regression inputs (crashes found by fuzzing, named crash-*) are kept: only seed-*.bin files are rewritten.
"""
import gzip
import pathlib
import struct

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent
CASES = REPO / "tests" / "e2e" / "cases"
MAX_BYTES = 4096


def files(pattern, root=CASES):
    return sorted(p for p in root.glob(pattern) if p.is_file())


def write(target, seeds):
    out = HERE / "corpus" / target
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("seed-*.bin"):
        old.unlink()
    for i, data in enumerate(seeds):
        (out / f"seed-{i:03d}.bin").write_bytes(data[:MAX_BYTES])


def jsonl():
    seeds = []
    for p in files("io/jsonl_*/*.jsonl") + files("io/*/data.jsonl"):
        for columns in range(5):
            seeds.append(bytes([columns, 0]) + p.read_bytes())
    seeds.append(bytes([2, 0]) + b'{"id": "x", "t": [[1, 2], [3, 4]]}\n{"id": 1, "t": [1e39, -0.0]}')
    seeds.append(bytes([4, 1]) + b'{"key": "k", "h": [65504, 1e-8], "g": [3e38], "k": [-128, 127], "j": [1]}')
    return seeds


def tsv():
    seeds = []
    for p in files("io/*/*.tsv"):
        seeds.append(bytes([0x3f]) + p.read_bytes())
        seeds.append(bytes([0x02]) + p.read_bytes())
        seeds.append(bytes([0x00]) + gzip.compress(p.read_bytes(), mtime=0))
    seeds.append(bytes([0x40]) + b"a\\tb\t+1\t-0.5e3\tnan\t0x10\r\n" + b"x" * 100 + b"\n")
    for p in files("io/*/data/*.gz"):
        seeds.append(bytes([0x05]) + p.read_bytes())
    return seeds


def npy():
    seeds = [p.read_bytes() for p in files("io/npy_*/arrays/*.npy")]
    # A header that claims more data than follows, and a Fortran-order 2x3.
    hdr = b"{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }"
    hdr += b" " * (64 - 10 - len(hdr) - 1) + b"\n"
    seeds.append(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr + struct.pack("<6f", *range(6)))
    return seeds


def fastx():
    seeds = []
    for p in files("dna/*/*.f*") + files("dna/*/*/*.f*") + files("dna/*/input.bin"):
        data = p.read_bytes()
        fastq = 1 if b"@" in data[:1] or p.suffix == ".fq" or ".fq" in p.name else 0
        if len(data) > 512:  # a compressed file: only as is, where its own bytes matter
            seeds.append(bytes([fastq | 1 << 4, 7, 3]) + data)
            continue
        for mode in range(4):
            seeds.append(bytes([fastq | mode << 4, 7, 3]) + data)
        seeds.append(bytes([fastq | 4 | 8, 1, 1]) + data)
    return seeds


def audio_file():
    seeds = []
    for i, p in enumerate(files("audio/*/*.wav") + files("audio/*/*.flac")):
        data = p.read_bytes()
        if len(data) > 2048:
            continue
        seeds.append(bytes([i * 37 % 256, i * 11 % 256]) + data)
    return seeds


def audio_manifest():
    segments = b"utt1 a 0.01 0.05\nutt2 b 0 -1\nutt3 a 0.2 0.1\nutt4 b x y\nutt5 c 0 1\n"
    return [
        bytes([0]) + b"a a.wav\nb b.wav\n\nc\nd cmd |\na again.wav\n",
        bytes([1]) + b"a a.wav\nb b.wav\n\n--segments--\n" + segments,
        bytes([3]) + b"a a.wav\nb b.wav\n\n--segments--\nu a 0 0.5 extra\n",
        bytes([6]) + b'{"audio_filepath": "a.wav"}\n{"audio_filepath": "b.wav", "offset": 0.05, "duration": 0.1}\n'
        + b'{"id": "x", "audio_filepath": "a.wav", "duration": 9}\n{"offset": 1}\nnot json\n[1]\n',
    ] + [bytes([0]) + p.read_bytes() for p in files("audio/*/wav.scp") + files("audio/*/*.jsonl")]


TEXT = b"\n--text--\nHello world, <s> [CLS] caf\xc3\xa9 \xf0\x9f\x98\x80 \xff\xfe 123"


def tokenizer_file():
    seeds = []
    small = [p for p in files("text/*/tok.json") + files("text/*/*.tiktoken") + files("text/*/*.model")
             + files("text/*/*.txt") if p.stat().st_size <= 2048]
    for i, p in enumerate(small):
        option = 1 if p.suffix == ".tiktoken" else (i * 0x34) & 0xf4
        seeds.append(bytes([option]) + p.read_bytes() + TEXT)
    for p in files("decode/*/pieces.txt"):
        seeds.append(bytes([4]) + p.read_bytes() + TEXT)
    return seeds


def tokenize():
    texts = [b"Hello, world! The quick brown fox.", b"caf\xc3\xa9 na\xc3\xafve \xe4\xb8\xad\xe6\x96\x87",
             b"\xf0\x9f\x98\x80 emoji  double  spaces\t\n", b"\xff\xfe\xc3 invalid", b"[CLS] <s> </s> <unk>",
             b"don't 1234567 x" * 3]
    return [bytes([(i * 0x13 + j) & 0xff]) + t for i, t in enumerate(texts) for j in range(0, 9, 4)]


ARPA = b"""\\data\\
ngram 1=5
ngram 2=4
ngram 3=2

\\1-grams:
-1.0 <s> -0.5
-1.0 </s>
-2.0 <unk>
-0.7 hello -0.3
-0.9 world -0.2

\\2-grams:
-0.3 <s> hello -0.1
-0.2 hello world -0.1
-0.4 world </s>
-0.6 hello </s>

\\3-grams:
-0.1 <s> hello world
-0.05 hello world </s>

\\end\\
"""


def arpa():
    return [ARPA, ARPA.replace(b"ngram 3=2", b"ngram 3=3")] + [p.read_bytes() for p in files("decode/*/lm.arpa")]


def safetensors():
    seeds = []
    for p in sorted((REPO / "tests" / "onednn" / "fixtures").glob("*/model.safetensors")):
        if p.stat().st_size <= 1024:
            seeds.append(p.read_bytes())
    header = b'{"a":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"F64","shape":[1],' \
             b'"data_offsets":[4,12]},"__metadata__":{"format":"pt"}}'
    seeds.append(struct.pack("<Q", len(header)) + header + bytes(12))
    return seeds[:24]


def pipeline_toml():
    seeds = []
    for p in files("spec/*/pipeline.toml") + files("io/*/pipeline.toml") + files("dna/*/pipeline.toml"):
        data = p.read_bytes()
        args = p.parent / "args"
        sets = []
        if args.exists():
            words = args.read_text().split()
            sets = [words[i + 1] for i, w in enumerate(words[:-1]) if w == "--set"]
        if sets:
            data += b"\n#--set\n" + "\n".join(sets).encode()
        seeds.append(data)
    seeds.append(LAYERS)
    return seeds


# The spectest plugin's parameters of every type, with a list of tables as a model's `layers` is written.
LAYERS = b"""[pipeline]
name = "demo"
threads = 3
max_in_flight = 64
on_error = "skip"
error_log = "logs/errors.jsonl"

[resources.words]
plugin = "spectest.vocab"
file = "vocab.txt"

[[stage]]
name = "read"
plugin = "spectest.source"

[[stage]]
name = "enc"
plugin = "spectest.encode"
batch = { size = 8, by_length = true }

[[stage]]
name = "p"
plugin = "spectest.params"
after = ["read"]
level = 2
ratio = 2
mode = "slow"
files = ["a.txt", "/abs/b.txt"]
options = { z = 1, a = "x", nested = { deep = [1, 2.5, "s"] } }
layers = [
  { type = "conv1d", prefix = "conv", kernel_size = 3, stride = 2 },
  { type = "lstm", prefix = "rnn", num_layers = 2, bidirectional = true },
  { type = "residual", layers = [{ type = "linear" }, { type = "relu" }] },
]

[[stage]]
name = "look"
plugin = "spectest.lookup"
after = ["enc", "p"]
vocab = "words"

[[stage]]
name = "write"
plugin = "spectest.write"
path = "out/x.tsv"
fields = ["id", "text", "ids"]

#--set
p.level=7
p.layers=[{type = "gru", hidden_size = 4}]
p.options={a = "y"}
enc.batch={size = 2}
write.fields=["id"]
"""


def plugin_descriptor():
    # 0x40: right values, names "fz", tables present, no entries; 0x41..0x43: 1..3 entries of each table.
    seeds = [bytes([b]) * 600 for b in (0x40, 0x41, 0x42, 0x43)]
    seeds.append(bytes([0x41, 0x41, 0x41, 0x41, 0xF0, 1, 2, 3, 4]) + bytes([0x41]) * 300)  # wrong magic
    seeds.append(bytes([0x41]) * 30 + bytes([0x05]) + bytes([0x41]) * 300)  # a null somewhere
    seeds.append(bytes([0x41]) * 10 + b"\xd0other\x00" + bytes([0x41]) * 300)  # another name
    return seeds


def plugin_elf():
    def patch(at, data):
        return struct.pack("<HB", at, len(data)) + data
    return [
        bytes(4),
        struct.pack("<I", 63), struct.pack("<I", 64), struct.pack("<I", 1000), struct.pack("<I", 20000),
        bytes(4) + patch(16, struct.pack("<H", 2)),  # ET_EXEC
        bytes(4) + patch(18, struct.pack("<H", 183)),  # EM_AARCH64
        bytes(4) + patch(4, b"\x01"),  # ELFCLASS32
        bytes(4) + patch(32, struct.pack("<Q", 1 << 40)),  # e_phoff far away
        bytes(4) + patch(56, struct.pack("<H", 0xFFFF)),  # e_phnum = PN_XNUM
        bytes(4) + patch(64 + 8, struct.pack("<Q", 1 << 33)),  # first program header's offset
        bytes(4) + patch(64 + 32, struct.pack("<Q", 1 << 33)),  # first program header's file size
    ]


def main():
    write("jsonl", jsonl())
    write("tsv", tsv())
    write("npy", npy())
    write("fastx", fastx())
    write("audio_file", audio_file())
    write("audio_manifest", audio_manifest())
    write("tokenizer_file", tokenizer_file())
    write("tokenize", tokenize())
    write("arpa", arpa())
    write("safetensors", safetensors())
    write("pipeline_toml", pipeline_toml())
    write("plugin_descriptor", plugin_descriptor())
    write("plugin_elf", plugin_elf())


if __name__ == "__main__":
    main()
