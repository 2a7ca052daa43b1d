#!/usr/bin/python3
"""Parity fixtures for the `windows` and `magnitude` layers (Silero VAD's wrapper and STFT), with PyTorch.

Run with /usr/bin/python3 (Debian's python3-torch 1.13):  /usr/bin/python3 tests/onednn/make_fixtures_windows.py
It writes tests/onednn/fixtures/<case>/ in make_fixtures.py's format (write_case), so the same parity
tests run them. Each reference module is the PyTorch code a wrapper such as Silero's writes: F.pad, then
x.unfold(0, size, step) into a batch of windows, the per-window network on that batch, and the windows'
outputs laid end to end in time. CI never runs this script: the fixtures are committed.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

import make_fixtures as mf


class Windowed(nn.Module):
    """windows(size, step, padding, pad_end) around `inner`, then `outer`."""

    def __init__(self, size, step, pad, pad_end, inner, outer=None):
        super().__init__()
        self.size, self.step, self.pad, self.pad_end = size, step, pad, pad_end
        self.inner = inner
        self.outer = outer

    def forward(self, x):  # x: [1, T, C]
        x = x[0]
        T, C = x.shape
        L = T + self.pad[0] + self.pad[1]
        if L < self.size:
            n = 1
        else:
            n = (L - self.size + (self.step - 1 if self.pad_end else 0)) // self.step + 1
        total = max(L, (n - 1) * self.step + self.size)
        x = F.pad(x.t(), (self.pad[0], total - T - self.pad[0]))  # [C, total]
        w = x.unfold(1, self.size, self.step)[:, :n]  # [C, n, size]
        w = w.permute(1, 0, 2)  # [n, C, size]: the wrapper's batch of windows
        y = self.inner(w)  # [n, C', k]
        y = y.permute(0, 2, 1).reshape(1, -1, y.shape[1])  # windows end to end: [1, n * k, C']
        return self.outer(y) if self.outer is not None else y


class Magnitude(nn.Module):
    def forward(self, x):  # [N, 2F, T] (channels first, as the conv gives it)
        h = x.shape[1] // 2
        return torch.sqrt(x[:, :h] ** 2 + x[:, h:] ** 2)


class SileroLikeInner(nn.Module):
    """Silero VAD's per-window network, scaled down: reflect-padded strided STFT conv, magnitude, convs."""

    def __init__(self):
        super().__init__()
        self.stft = nn.Conv1d(1, 18, 16, stride=8, bias=False)
        self.enc0 = nn.Conv1d(9, 8, 3, padding=1)
        self.enc1 = nn.Conv1d(8, 6, 3, stride=2, padding=1)

    def forward(self, w):
        w = F.pad(w, (0, 8), mode="reflect")
        return torch.relu(self.enc1(torch.relu(self.enc0(Magnitude()(self.stft(w))))))


class SileroLikeOuter(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(6, 5, batch_first=True)
        self.head = nn.Conv1d(5, 1, 1)

    def forward(self, y):
        h, _ = self.rnn(y)
        return torch.sigmoid(self.head(torch.relu(h).transpose(1, 2))).transpose(1, 2)


class Plain(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(3, 4, 3)

    def forward(self, w):
        return torch.tanh(self.conv(w))


class LinearMagnitude(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(6, 8)

    def forward(self, x):  # [1, T, 6]
        y = self.lin(x).transpose(1, 2)
        return Magnitude()(y).transpose(1, 2)


def cases():
    torch.manual_seed(1701)
    silero = Windowed(48, 32, (8, 0), True, SileroLikeInner(), SileroLikeOuter())
    # 20000 samples: 625 windows, more than one block of 512.
    silero_inputs = [torch.randn(t, 1) * 0.3 for t in (20, 32, 100, 333, 20000)]
    torch.manual_seed(1702)
    plain = Windowed(10, 5, (0, 0), False, Plain())
    plain_inputs = mf.feats([10, 27, 33, 14], 3)
    torch.manual_seed(1703)
    padded = Windowed(12, 7, (3, 2), True, Plain())
    padded_inputs = mf.feats([1, 7, 12, 30, 41], 3)
    torch.manual_seed(1704)
    mag = LinearMagnitude()
    return [
        mf.Case("windows_silero_like", [
            {"type": "windows", "size": 48, "step": 32, "padding": [8, 0], "pad_end": True, "layers": [
                {"type": "conv1d", "prefix": "inner.stft", "stride": 8, "padding": [0, 8], "padding_mode": "reflect"},
                {"type": "magnitude"},
                {"type": "conv1d", "prefix": "inner.enc0", "padding": 1}, {"type": "relu"},
                {"type": "conv1d", "prefix": "inner.enc1", "stride": 2, "padding": 1}, {"type": "relu"}]},
            {"type": "lstm", "prefix": "outer.rnn"}, {"type": "relu"},
            {"type": "conv1d", "prefix": "outer.head"}, {"type": "sigmoid"}],
            silero, silero_inputs,
            description="Silero VAD's wrapper scaled down: F.pad + unfold into windows, a reflect-padded strided "
                        "STFT conv, magnitude, convs per window, then an LSTM through the record"),
        mf.Case("windows_plain", [
            {"type": "windows", "size": 10, "step": 5, "layers": [
                {"type": "conv1d", "prefix": "inner.conv"}, {"type": "tanh"}]}],
            plain, plain_inputs, description="x.unfold(0, 10, 5) without padding: the windows that fit"),
        mf.Case("windows_padded", [
            {"type": "windows", "size": 12, "step": 7, "padding": [3, 2], "pad_end": True, "layers": [
                {"type": "conv1d", "prefix": "inner.conv"}, {"type": "tanh"}]}],
            padded, padded_inputs, description="F.pad(x, (3, 2)) and zeros completing the last window of 12 every 7"),
        mf.Case("magnitude", [{"type": "linear", "prefix": "lin"}, {"type": "magnitude"}], mag,
                mf.feats(mf.LENGTHS, 6), description="Linear(6, 8) then sqrt(re^2 + im^2) of its two halves"),
    ]


def main():
    for c in cases():
        mf.write_case(c)
        print("wrote", c.name)


if __name__ == "__main__":
    main()
