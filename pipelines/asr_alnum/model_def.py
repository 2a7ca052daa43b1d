"""The asr_alnum acoustic model, its units and its features, shared by train.py, eval.py and parity.py.

The module names are the `prefix`es of pipeline.toml's onednn.model layer list; the features are
audio.fbank's (torchaudio.compliance.kaldi.fbank with 80 bins, dither 0, at Kaldi's int16 scale), then
global CMVN with the statistics train.py writes to model/cmvn.json.
"""
import json
import struct

import torch
import torch.nn as nn
import torchaudio

DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
LETTERS = [chr(c) for c in range(ord("a"), ord("z") + 1)]
WORDS = DIGITS + LETTERS
BLANK = "<blank>"
DELIM = "|"
# CTC output units: the blank, the word delimiter, then one unit per word.
LABELS = [BLANK, DELIM] + WORDS
NUM_BINS = 80


class AlnumCTC(nn.Module):
    """Three Conv1d + BatchNorm + ReLU (the first two at stride 2: 40 ms steps), a BiLSTM, a linear,
    log-softmax. Small on purpose: it trains on 2 shared cores, where Debian's torch runs an LSTM at
    about 2 GMAC/s and a convolution at about 5."""

    def __init__(self, channels=160, hidden=128, layers=1):
        super().__init__()
        self.front = nn.Sequential(
            nn.Conv1d(NUM_BINS, channels, 5, stride=2, padding=2), nn.BatchNorm1d(channels), nn.ReLU(),
            nn.Conv1d(channels, channels, 5, stride=2, padding=2), nn.BatchNorm1d(channels), nn.ReLU(),
            nn.Conv1d(channels, channels, 5, stride=1, padding=2), nn.BatchNorm1d(channels), nn.ReLU())
        self.lstm = nn.LSTM(channels, hidden, num_layers=layers, bidirectional=True, batch_first=True)
        self.out = nn.Linear(2 * hidden, len(LABELS))

    @staticmethod
    def out_lengths(lengths):
        for _ in range(2):
            lengths = torch.div(lengths - 1, 2, rounding_mode="floor") + 1
        return lengths

    def forward(self, x, lengths):
        """x [N, T, 80] (CMVN-normalised), lengths [N] -> log-probabilities [N, T', V], lengths [N]."""
        y = self.front(x.transpose(1, 2)).transpose(1, 2)
        out_len = self.out_lengths(lengths)
        packed = nn.utils.rnn.pack_padded_sequence(y, out_len.cpu(), batch_first=True, enforce_sorted=False)
        y, _ = self.lstm(packed)
        y, _ = nn.utils.rnn.pad_packed_sequence(y, batch_first=True, total_length=int(out_len.max()))
        return torch.log_softmax(self.out(y), dim=-1), out_len


def fbank(path):
    """audio.read (scale int16) + audio.fbank (num_mel_bins 80, dither 0) as torchaudio computes them."""
    wav, rate = torchaudio.load(path)
    if rate != 16000:
        raise ValueError("%s: %d Hz; the model takes 16 kHz" % (path, rate))
    return fbank_of(wav.mean(0))


def fbank_of(samples):
    """torchaudio's fbank of float samples [T] at Kaldi's int16 scale, computed in float64 and stored as
    f32: torchaudio's float32 run is off by up to ~5e-3 on weak bins (plugins/audio/README.md), which the
    model would carry into a parity check; audio.fbank computes in double too. (train.py's cached
    features came from the float32 run; the two differ far below what changes a transcript.)"""
    wav = samples.double().unsqueeze(0) * 32768.0
    return torchaudio.compliance.kaldi.fbank(wav, num_mel_bins=NUM_BINS, dither=0.0,
                                             sample_frequency=16000).float()


def load_cmvn(path):
    with open(path) as f:
        j = json.load(f)
    return torch.tensor(j["mean"], dtype=torch.float64), torch.tensor(j["std"], dtype=torch.float64)


def apply_cmvn(feats, mean, std):
    """audio.cmvn with global stats: (x - mean) / std in double, stored as f32."""
    return ((feats.double() - mean) / std).float()


def save_safetensors(tensors, path):
    """A minimal safetensors writer (F32, C order), as safetensors.torch.save_file lays files out."""
    header = {}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().float()
        data = t.numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def load_safetensors(path):
    import numpy as np
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        a, b = e["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[a:b], dtype="<f4").reshape(e["shape"]).copy())
    return out
