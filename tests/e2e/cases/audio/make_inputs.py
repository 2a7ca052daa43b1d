#!/usr/bin/env python3
"""Writes the small malformed (and good) audio inputs of the audio e2e cases, with the standard library
(and Debian's sox for the one FLAC), byte by byte, so that each damage is exactly the one named. Run from
anywhere:
    python3 tests/e2e/cases/audio/make_inputs.py
"""
import math
import os
import struct
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def wav(channels=1, rate=16000, bits=16, fmt_tag=1, samples=b"", fmt_size=16, data_size=None, riff_size=None):
    block = channels * bits // 8
    fmt = struct.pack("<HHIIHH", fmt_tag, channels, rate, rate * block, block, bits)
    body = b"WAVE" + b"fmt " + struct.pack("<I", fmt_size) + fmt + b"data"
    body += struct.pack("<I", len(samples) if data_size is None else data_size) + samples
    return b"RIFF" + struct.pack("<I", len(body) if riff_size is None else riff_size) + body


def pcm16(n, rate=16000):
    return b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate))) for i in range(n))


def put(case, name, data):
    os.makedirs(os.path.join(HERE, case), exist_ok=True)
    with open(os.path.join(HERE, case, name), "wb") as f:
        f.write(data)


good = wav(samples=pcm16(800))
put("truncated_header", "input.wav", good[:20])
put("fmt_chunk_size_wrong", "input.wav", wav(samples=pcm16(800), fmt_size=2000))
put("zero_channels", "input.wav", wav(channels=0, samples=pcm16(800)))
put("zero_sample_rate", "input.wav", wav(rate=0, samples=pcm16(800)))
put("text_named_wav", "input.wav", b"id,text\n1,this is a CSV file, not audio\n")
put("zero_samples", "input.wav", wav(samples=b""))
put("empty_file", "input.wav", b"")
put("nan_float_wav", "input.wav",
    wav(bits=32, fmt_tag=3, samples=struct.pack("<4f", 0.1, 0.2, float("nan"), 0.3)))
put("data_truncated", "input.wav", wav(samples=pcm16(800), data_size=1600)[:44 + 600])
put("manifest_line_without_path", "a.wav", good)
put("segment_past_end", "a.wav", good)
put("jsonl_without_audio_filepath", "a.wav", good)
put("channel_index_missing", "a.wav", good)
put("skip_bad_files", "a.wav", good)
put("skip_bad_files", "b.wav", b"not audio\n")
put("skip_bad_files", "c.wav", wav(samples=pcm16(1600)))
put("chunks_and_fbank", "a.wav", wav(samples=pcm16(4000)))
for case in ("fbank_bad_window_type", "read_overlap_not_below_max", "fbank_high_freq_above_nyquist",
             "log_mel_whisper_needs_16k"):
    put(case, "a.wav", wav(rate=8000, samples=pcm16(1600, 8000)))

# A FLAC of 1 s of tone, cut in the middle of its frames (the STREAMINFO header still says 16000 frames).
with tempfile.TemporaryDirectory() as tmp:
    src = os.path.join(tmp, "tone.wav")
    with open(src, "wb") as f:
        f.write(wav(samples=pcm16(16000)))
    subprocess.run(["sox", src, os.path.join(tmp, "tone.flac")], check=True)
    with open(os.path.join(tmp, "tone.flac"), "rb") as f:
        flac = f.read()
put("flac_truncated", "input.flac", flac[: len(flac) // 2])
