"""stream() results against an independent implementation: fbank against torchaudio.compliance.kaldi
(skipped without torchaudio, as in CI; the Debian python3-torchaudio has it)."""
import numpy as np
import pytest

import seqflow

FBANK = """
[[stage]]
name = "in"
plugin = "embed.input"
fields = { audio = "tensor:f32", sample_rate = "int" }

[[stage]]
name = "fbank"
plugin = "audio.fbank"
num_mel_bins = 40

[[stage]]
name = "out"
plugin = "embed.output"
fields = ["id", "fbank"]
"""


def test_fbank_matches_torchaudio():
    torch = pytest.importorskip("torch")
    kaldi = pytest.importorskip("torchaudio.compliance.kaldi")
    rng = np.random.default_rng(3)
    waves = [(rng.standard_normal(n) * 0.1).astype(np.float32) for n in (4000, 16000, 9123)]
    out = list(seqflow.Pipeline(FBANK).stream(
        {"id": str(i), "audio": w, "sample_rate": 16000} for i, w in enumerate(waves)))
    assert [r["id"] for r in out] == ["0", "1", "2"]
    for w, r in zip(waves, out):
        ref = kaldi.fbank(torch.from_numpy(w).unsqueeze(0), num_mel_bins=40, sample_frequency=16000,
                          dither=0.0).numpy()
        assert r["fbank"].shape == ref.shape
        np.testing.assert_allclose(r["fbank"], ref, atol=1e-4, rtol=1e-4)
