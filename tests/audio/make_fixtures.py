#!/usr/bin/python3
"""Reference outputs for tests/audio, computed independently of seqflow.

Run with Debian 12's /usr/bin/python3 (python3-torch 1.13, python3-torchaudio 0.13, python3-numpy):
    /usr/bin/python3 tests/audio/make_fixtures.py
It rewrites tests/audio/fixtures/: cases.json (one entry per case: function, options, input, expected
shape, tolerance) and little-endian float32 files *.f32 (inputs and expected outputs, row-major).

References:
  * Kaldi features: torchaudio.compliance.kaldi.{spectrogram,fbank,mfcc} run in float64 (the float32 run
    of the same code loses low-energy bins to rounding, see plugins/audio/README.md), with its mel bank
    as it is (computed in float32, as Kaldi's) and its MFCC DCT matrix computed in float64 (as Kaldi's;
    see exact_dct_matrix).
  * Whisper log-mel: openai/whisper's log_mel_spectrogram formula written with torch.stft and
    torchaudio.functional.melscale_fbanks(norm="slaney", mel_scale="slaney"), float64.
  * General log-mel: torch.stft + melscale_fbanks + the log, float64.
Inputs: seeded random signals (white noise, a tone with a stretch of digital silence), and the first
seconds of real recordings in ../shared/data/audio (read there by the test; only expected outputs here).
"""
import json
import math
import os

import numpy as np
import torch
import torchaudio
import torchaudio.compliance.kaldi as K
import torchaudio.functional as AF

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")
SHARED = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "data", "audio"))
torch.set_default_dtype(torch.float32)

cases = []


def save(name, array):
    a = np.ascontiguousarray(np.asarray(array, dtype="<f4"))
    a.tofile(os.path.join(OUT, name))
    return name


def signal(kind, rate, seconds, scale, seed):
    rng = np.random.default_rng(seed)
    n = int(round(rate * seconds))
    if kind == "noise":
        x = rng.standard_normal(n)
    else:  # a tone plus a little noise, with 0.05 s of exact zeros in the middle
        t = np.arange(n) / rate
        x = np.sin(2 * math.pi * 440.0 * t) + 0.05 * rng.standard_normal(n)
        mid = n // 2
        x[mid:mid + int(0.05 * rate)] = 0.0
    x = (x / np.max(np.abs(x)) * 0.5 * scale).astype(np.float32)
    return x


def kaldi_case(name, func, wave, rate, options, tol, source):
    w = torch.from_numpy(np.asarray(wave, dtype=np.float32)).double().unsqueeze(0)
    f = getattr(K, func)(w, sample_frequency=float(rate), **options)
    out = f.numpy()
    if out.ndim == 1:
        out = out.reshape(0, 0)
    entry = {"name": name, "function": func, "options": options, "sample_rate": rate, "rows": int(out.shape[0]),
             "cols": int(out.shape[1]) if out.ndim == 2 else 0, "tolerance": tol, "expected": save(name + ".f32", out)}
    entry.update(source)
    cases.append(entry)


def melscale_fbanks64(*args, **kwargs):
    """torchaudio's mel bank computed under a float64 default dtype: librosa's (Whisper's) exact filters
    rather than their float32 rounding."""
    torch.set_default_dtype(torch.float64)
    try:
        return AF.melscale_fbanks(*args, **kwargs)
    finally:
        torch.set_default_dtype(torch.float32)


def exact_dct_matrix(num_ceps, num_mel_bins):
    """torchaudio.compliance.kaldi._get_dct_matrix with the cosines in float64, as Kaldi's ComputeDctMatrix
    computes them: torchaudio's float32 cos((pi / N) * (n + 0.5) * k) is off by up to ~2e-6 at large k,
    which the lifter turns into up to 3e-4 in MFCC."""
    torch.set_default_dtype(torch.float64)
    try:
        return _stock_dct(num_ceps, num_mel_bins)
    finally:
        torch.set_default_dtype(torch.float32)


_stock_dct = K._get_dct_matrix
K._get_dct_matrix = exact_dct_matrix


def whisper_reference(audio, n_mels):
    a = torch.from_numpy(np.asarray(audio, dtype=np.float32)).double()
    window = torch.hann_window(400, dtype=torch.float64)
    stft = torch.stft(a, 400, 160, window=window, return_complex=True)
    magnitudes = stft[..., :-1].abs() ** 2
    filters = melscale_fbanks64(201, 0.0, 8000.0, n_mels, 16000, norm="slaney", mel_scale="slaney").T
    mel_spec = filters @ magnitudes
    log_spec = torch.clamp(mel_spec, min=1e-10).log10()
    log_spec = torch.maximum(log_spec, log_spec.max() - 8.0)
    log_spec = (log_spec + 4.0) / 4.0
    return log_spec.T.numpy()  # [frames, n_mels]


def general_reference(audio, rate, o):
    a = torch.from_numpy(np.asarray(audio, dtype=np.float32)).double()
    n_fft = o["n_fft"]
    win_length = o.get("win_length", 0) or n_fft
    make = {"hann": torch.hann_window, "hamming": torch.hamming_window, "blackman": torch.blackman_window,
            "rectangular": lambda n, dtype: torch.ones(n, dtype=dtype)}[o.get("window", "hann")]
    window = make(win_length, dtype=torch.float64)
    stft = torch.stft(a, n_fft, o["hop_length"], win_length=win_length, window=window, center=o.get("center", True),
                      pad_mode=o.get("pad_mode", "reflect"), return_complex=True)
    spec = stft.abs() ** o.get("power", 2.0)
    f_max = o.get("f_max", 0.0) or rate / 2
    fb = melscale_fbanks64(n_fft // 2 + 1, o.get("f_min", 0.0), f_max, o["n_mels"], rate,
                            norm=None if o.get("norm", "slaney") == "none" else "slaney",
                            mel_scale=o.get("mel_scale", "slaney"))
    mel = (spec.T @ fb)  # [frames, n_mels]
    floor = o.get("log_floor", 1e-10)
    log = o.get("log", "log10")
    if log == "ln":
        mel = torch.clamp(mel, min=floor).log()
    elif log == "log10":
        mel = torch.clamp(mel, min=floor).log10()
    elif log == "db":
        mel = (20.0 if o.get("power", 2.0) == 1.0 else 10.0) * torch.clamp(mel, min=floor).log10()
    return mel.numpy()


def log_mel_case(name, wave, rate, options, tol, source):
    if options.get("whisper", True):
        audio = np.asarray(wave, dtype=np.float32)
        pad = options.get("pad_to_seconds", 0)
        if pad:
            audio = np.pad(audio, (0, int(round(pad * rate)) - len(audio)))
        out = whisper_reference(audio, options.get("n_mels", 80))
    else:
        out = general_reference(wave, rate, options)
    entry = {"name": name, "function": "log_mel", "options": options, "sample_rate": rate, "rows": int(out.shape[0]),
             "cols": int(out.shape[1]), "tolerance": tol, "expected": save(name + ".f32", out)}
    entry.update(source)
    cases.append(entry)


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.remove(os.path.join(OUT, f))
    # Random signals, int16 scale (Kaldi's convention) and unit scale.
    noise16 = signal("noise", 16000, 0.25, 32768, 1)
    tone16 = signal("tone", 16000, 0.3, 32768, 2)
    noise8 = signal("noise", 8000, 0.3, 32768, 3)
    noise441 = signal("noise", 44100, 0.12, 1.0, 4)
    src = {}
    for n, w in [("noise16", noise16), ("tone16", tone16), ("noise8", noise8), ("noise441", noise441)]:
        src[n] = {"input": save("in_" + n + ".f32", w)}
    T = 1e-4  # log features
    fb = [
        ("fbank_default", {}),
        ("fbank_80", {"num_mel_bins": 80}),
        ("fbank_energy", {"use_energy": True, "energy_floor": 0.0}),
        ("fbank_htk", {"use_energy": True, "htk_compat": True, "raw_energy": False}),
        ("fbank_no_snip", {"snip_edges": False, "num_mel_bins": 40}),
        ("fbank_hamming_nodc", {"window_type": "hamming", "remove_dc_offset": False, "preemphasis_coefficient": 0.0}),
        ("fbank_hanning", {"window_type": "hanning"}),
        ("fbank_rect", {"window_type": "rectangular", "round_to_power_of_two": False}),
        ("fbank_blackman", {"window_type": "blackman", "blackman_coeff": 0.4}),
        ("fbank_freqs", {"low_freq": 100.0, "high_freq": -400.0, "num_mel_bins": 30}),
        ("fbank_highfreq", {"high_freq": 7000.0}),
        ("fbank_frames", {"frame_length": 20.0, "frame_shift": 8.0}),
        ("fbank_magnitude", {"use_power": False}),
        ("fbank_vtln_up", {"vtln_warp": 1.1}),
        ("fbank_vtln_down", {"vtln_warp": 0.9, "vtln_low": 200.0, "vtln_high": -800.0}),
        ("fbank_subtract_mean", {"subtract_mean": True}),
        ("fbank_min_duration", {"min_duration": 1.0}),
    ]
    for name, o in fb:
        kaldi_case(name + "_noise16", "fbank", noise16, 16000, o, T, src["noise16"])
    kaldi_case("fbank_default_tone16", "fbank", tone16, 16000, {}, T, src["tone16"])
    kaldi_case("fbank_energy0_tone16", "fbank", tone16, 16000, {"use_energy": True, "energy_floor": 0.0}, T,
               src["tone16"])
    kaldi_case("fbank_default_noise8", "fbank", noise8, 8000, {"num_mel_bins": 15}, T, src["noise8"])
    kaldi_case("fbank_unit_noise441", "fbank", noise441, 44100, {"num_mel_bins": 40, "snip_edges": False}, T,
               src["noise441"])
    # Linear mel energies are compared relative to their size (tolerance is relative here).
    kaldi_case("fbank_linear_noise16", "fbank", noise16, 16000, {"use_log_fbank": False}, -1e-5, src["noise16"])
    for name, o in [
        ("spectrogram_default", {}),
        ("spectrogram_energy0", {"energy_floor": 0.0, "raw_energy": False}),
        ("spectrogram_no_snip", {"snip_edges": False, "window_type": "hamming"}),
        ("spectrogram_sub_mean", {"subtract_mean": True, "round_to_power_of_two": False}),
    ]:
        kaldi_case(name + "_noise16", "spectrogram", noise16, 16000, o, T, src["noise16"])
    kaldi_case("spectrogram_default_tone16", "spectrogram", tone16, 16000, {}, T, src["tone16"])
    for name, o in [
        ("mfcc_default", {}),
        ("mfcc_energy", {"use_energy": True, "energy_floor": 0.0}),
        ("mfcc_htk", {"htk_compat": True}),
        ("mfcc_htk_energy", {"htk_compat": True, "use_energy": True, "raw_energy": False}),
        ("mfcc_ceps", {"num_ceps": 20, "num_mel_bins": 40, "cepstral_lifter": 0.0}),
        ("mfcc_lifter", {"cepstral_lifter": 30.0, "snip_edges": False}),
        ("mfcc_vtln", {"vtln_warp": 1.05}),
        ("mfcc_sub_mean", {"subtract_mean": True}),
    ]:
        kaldi_case(name + "_noise16", "mfcc", noise16, 16000, o, T, src["noise16"])
    kaldi_case("mfcc_default_tone16", "mfcc", tone16, 16000, {}, T, src["tone16"])

    # Whisper and general log-mel.
    unit16 = signal("noise", 16000, 0.5, 1.0, 5)
    tone_unit = signal("tone", 16000, 0.5, 1.0, 6)
    src["unit16"] = {"input": save("in_unit16.f32", unit16)}
    src["tone_unit"] = {"input": save("in_tone_unit.f32", tone_unit)}
    L = 1e-5
    log_mel_case("whisper80_unit16", unit16, 16000, {"whisper": True, "n_mels": 80}, L, src["unit16"])
    log_mel_case("whisper128_tone", tone_unit, 16000, {"whisper": True, "n_mels": 128}, L, src["tone_unit"])
    log_mel_case("whisper80_pad1", tone_unit, 16000, {"whisper": True, "n_mels": 80, "pad_to_seconds": 1.0}, L,
                 src["tone_unit"])
    base = {"whisper": False, "n_fft": 400, "hop_length": 160, "n_mels": 80}
    for name, o in [
        ("general_default", {}),
        ("general_htk_none_ln", {"mel_scale": "htk", "norm": "none", "log": "ln"}),
        ("general_db_power1", {"power": 1.0, "log": "db", "n_mels": 64}),
        ("general_db", {"log": "db", "f_min": 20.0, "f_max": 7600.0}),
        ("general_nocenter", {"center": False, "n_fft": 512, "win_length": 400, "window": "hamming"}),
        ("general_constant", {"pad_mode": "constant", "hop_length": 100, "window": "blackman"}),
        ("general_replicate", {"pad_mode": "replicate", "n_fft": 256, "window": "rectangular", "n_mels": 40}),
        ("general_floor", {"log": "ln", "log_floor": 1e-3}),
    ]:
        opts = dict(base)
        opts.update(o)
        # dB is 10 log10 (20 with power 1): its tolerance scales with it.
        tol = L * (20 if opts.get("power") == 1.0 else 10) if opts.get("log") == "db" else L
        log_mel_case(name + "_tone", tone_unit, 16000, opts, tol, src["tone_unit"])
    log_mel_case("general_8k", noise8 / 32768.0, 8000, dict(base, n_fft=256, hop_length=80, n_mels=40), L,
                 {"input": save("in_noise8_unit.f32", noise8 / 32768.0)})

    # Real recordings: the test reads them from ../shared/data/audio (first `seconds`, `channels` mixed).
    if os.path.isdir(SHARED):
        for rel, seconds in [("jfk.flac", 2.0), ("silero_vad_test.wav", 1.0), ("alsa/Front_Left.wav", 1.0),
                             ("klettres_en_letters/A.wav", 1.0), ("kaldi_ref/test.wav", 1.2)]:
            w, rate = torchaudio.load(os.path.join(SHARED, rel))
            n = min(w.shape[1], int(round(seconds * rate)))
            mono = w[:, :n].double().mean(0).float().numpy()  # audio.read's "mix": mean of the channels
            tag = rel.replace("/", "_").replace(".", "_")
            source = {"shared": rel, "seconds": seconds}
            kaldi_case("real_fbank80_" + tag, "fbank", mono * 32768, rate, {"num_mel_bins": 80}, T,
                       dict(source, scale=32768))
            kaldi_case("real_mfcc_" + tag, "mfcc", mono * 32768, rate, {"use_energy": True}, T,
                       dict(source, scale=32768))
            if rate == 16000:
                log_mel_case("real_whisper_" + tag, mono, rate, {"whisper": True, "n_mels": 80}, L,
                             dict(source, scale=1))
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump({"generator": "tests/audio/make_fixtures.py", "torch": torch.__version__,
                   "torchaudio": torchaudio.__version__, "cases": cases}, f, indent=1)
    print(len(cases), "cases")


main()
