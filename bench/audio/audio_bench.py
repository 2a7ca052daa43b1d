"""audio module benchmark: seqflow side by side with its peers, one thread, in one run.

  fbank        80-bin Kaldi fbank over an hour of real speech (the shared 16 kHz recordings repeated), in
               60 s records: seqflow (audio.read -> audio.fbank -> io.npy_write, --threads 1; the fbank
               stage's busy time and the whole run's wall time), kaldi-native-fbank (C++ under its Python
               binding), torchaudio.compliance.kaldi.fbank and Lhotse's Fbank (torch, 1 thread).
  log_mel      Whisper's log-mel over the same hour in 30 s records: seqflow audio.log_mel vs openai/whisper's
               log_mel_spectrogram formula in torch (1 thread).
  resample     48 -> 16 kHz over 10 minutes of real 48 kHz speech (the shared alsa recordings repeated):
               seqflow audio.read (libsoxr HQ) vs python-soxr (HQ) and the sox CLI; plus how far
               torchaudio.functional.resample is from libsoxr on that speech.
  memory       peak RSS of audio.read (max_seconds = 30) -> audio.fbank over a 1-hour and a 2-hour file.

Outputs are compared while timing (max abs difference per peer). Every timing is the median of REPS runs,
peers interleaved round by round. Run it through bench/audio/run_audio_bench.sh.
"""
import json
import os
import statistics
import subprocess
import sys
import time
import wave

import numpy as np
import torch
import torchaudio
import torchaudio.compliance.kaldi as K
import torchaudio.functional as AF
import kaldi_native_fbank as knf
import soxr
from lhotse import Fbank, FbankConfig

torch.set_num_threads(1)
SEQFLOW = sys.argv[1]
WORK = sys.argv[2]
SHARED = sys.argv[3]
REPS = int(os.environ.get("REPS", "3"))
results = []


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def read_wav(path):
    with wave.open(path) as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32), w.getframerate()


def make_data():
    os.makedirs(WORK, exist_ok=True)
    hour = os.path.join(WORK, "hour16k.wav")
    if not os.path.exists(hour):
        round_ = [os.path.join(SHARED, "silero_vad_test.wav")] + [
            os.path.join(SHARED, "klettres_en_letters", c + ".wav") for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"]
        sh(["sox"] + round_ * 33 + [hour + ".tmp.wav", "trim", "0", "3600"])
        os.rename(hour + ".tmp.wav", hour)
    two = os.path.join(WORK, "two_hours16k.wav")
    if not os.path.exists(two):
        sh(["sox", hour, hour, two])
    r48 = os.path.join(WORK, "ten_min48k.wav")
    if not os.path.exists(r48):
        alsa = sorted(os.path.join(SHARED, "alsa", f) for f in os.listdir(os.path.join(SHARED, "alsa")))
        sh(["sox"] + alsa * 48 + [r48 + ".tmp.wav", "trim", "0", "600"])
        os.rename(r48 + ".tmp.wav", r48)
    return hour, two, r48


def pipeline(path, toml):
    p = os.path.join(WORK, path)
    with open(p, "w") as f:
        f.write(toml)
    return p


def run_seqflow(toml, stage):
    stats = toml + ".stats.json"
    t = time.perf_counter()
    sh([SEQFLOW, "run", toml, "--threads", "1", "--no-progress", "--stats", stats])
    wall = time.perf_counter() - t
    s = json.load(open(stats))
    busy = next(x["busy_seconds"] for x in s["stages"] if x["name"] == stage)
    return wall, busy


def load_npys(folder, stem, n):
    return np.concatenate([np.load(os.path.join(folder, f"{stem}:{i}.npy")) for i in range(n)])


def median(xs):
    return statistics.median(xs)


def fbank_bench(hour):
    samples, rate = read_wav(hour)  # int16 magnitudes, Kaldi's convention
    seconds = len(samples) / rate
    chunk = 60 * rate
    chunks = [samples[i:i + chunk] for i in range(0, len(samples), chunk)]
    out = os.path.join(WORK, "fbank_npy")
    toml = pipeline("fbank.toml", f"""[pipeline]
name = "fbank-bench"
[[stage]]
name = "read"
plugin = "audio.read"
paths = ["{hour}"]
scale = "int16"
max_seconds = 60
[[stage]]
name = "fbank"
plugin = "audio.fbank"
num_mel_bins = 80
[[stage]]
name = "save"
plugin = "io.npy_write"
dir = "{out}"
input = "fbank"
""")

    def knf_run():
        opts = knf.FbankOptions()
        opts.frame_opts.dither = 0.0
        opts.frame_opts.snip_edges = True
        opts.frame_opts.samp_freq = rate
        opts.mel_opts.num_bins = 80
        opts.mel_opts.low_freq = 20.0
        opts.mel_opts.high_freq = 0.0
        feats, t = [], 0.0
        for c in chunks:
            t0 = time.perf_counter()
            f = knf.OnlineFbank(opts)
            f.accept_waveform(rate, c)
            f.input_finished()
            t += time.perf_counter() - t0
            feats.append(np.array([f.get_frame(i) for i in range(f.num_frames_ready)]))
        return t, np.concatenate(feats)

    def torchaudio_run():
        feats, t = [], 0.0
        for c in chunks:
            x = torch.from_numpy(c).unsqueeze(0)
            t0 = time.perf_counter()
            f = K.fbank(x, num_mel_bins=80, dither=0.0, sample_frequency=rate)
            t += time.perf_counter() - t0
            feats.append(f.numpy())
        return t, np.concatenate(feats)

    lhotse_fbank = Fbank(FbankConfig(num_filters=80, dither=0.0, snip_edges=True, high_freq=0.0, low_freq=20.0,
                                     energy_floor=1e-10))

    def lhotse_run():
        feats, t = [], 0.0
        for c in chunks:
            x = c / 32768.0  # Lhotse takes [-1, 1] samples
            t0 = time.perf_counter()
            f = lhotse_fbank.extract(x, rate)
            t += time.perf_counter() - t0
            feats.append(np.asarray(f))
        return t, np.concatenate(feats)

    times = {"seqflow (fbank stage)": [], "seqflow (whole run)": [], "kaldi-native-fbank": [],
             "torchaudio.compliance.kaldi": [], "lhotse Fbank": []}
    outs = {}
    for _ in range(REPS):
        wall, busy = run_seqflow(toml, "fbank")
        times["seqflow (whole run)"].append(wall)
        times["seqflow (fbank stage)"].append(busy)
        for name, fn in [("kaldi-native-fbank", knf_run), ("torchaudio.compliance.kaldi", torchaudio_run),
                         ("lhotse Fbank", lhotse_run)]:
            t, o = fn()
            times[name].append(t)
            outs[name] = o
    ours = load_npys(out, "hour16k", len(chunks))
    rows = []
    base = median(times["seqflow (fbank stage)"])
    for name, ts in times.items():
        m = median(ts)
        diff = ""
        if name in outs:
            o = outs[name]
            if name == "lhotse Fbank":
                o = o + 2 * np.log(32768.0)  # Lhotse's [-1, 1] input: log mel energies lower by ln(32768^2)
            d = np.abs(o.astype(np.float64) - ours) if o.shape == ours.shape else None
            diff = (f"max {d.max():.2e}, 99.9% {np.quantile(d, 0.999):.2e}, within 1e-3: {np.mean(d <= 1e-3):.4%}"
                    if d is not None else f"shape {o.shape} vs {ours.shape}")
        rows.append((name, m, seconds / m, m / base, diff))
    results.append(("fbank, 80 bins, %.0f s of 16 kHz speech, 1 thread" % seconds, rows, ours.shape))


def log_mel_bench(hour):
    samples, rate = read_wav(hour)
    unit = samples / 32768.0
    seconds = len(unit) / rate
    chunk = 30 * rate
    chunks = [unit[i:i + chunk] for i in range(0, len(unit), chunk)]
    out = os.path.join(WORK, "mel_npy")
    toml = pipeline("mel.toml", f"""[pipeline]
name = "mel-bench"
[[stage]]
name = "read"
plugin = "audio.read"
paths = ["{hour}"]
max_seconds = 30
[[stage]]
name = "mel"
plugin = "audio.log_mel"
n_mels = 80
[[stage]]
name = "save"
plugin = "io.npy_write"
dir = "{out}"
input = "log_mel"
""")
    filters = AF.melscale_fbanks(201, 0.0, 8000.0, 80, 16000, norm="slaney", mel_scale="slaney").T
    window = torch.hann_window(400)

    def whisper_run():  # openai/whisper audio.log_mel_spectrogram
        feats, t = [], 0.0
        for c in chunks:
            a = torch.from_numpy(c.astype(np.float32))
            t0 = time.perf_counter()
            stft = torch.stft(a, 400, 160, window=window, return_complex=True)
            magnitudes = stft[..., :-1].abs() ** 2
            mel_spec = filters @ magnitudes
            log_spec = torch.clamp(mel_spec, min=1e-10).log10()
            log_spec = torch.maximum(log_spec, log_spec.max() - 8.0)
            log_spec = (log_spec + 4.0) / 4.0
            t += time.perf_counter() - t0
            feats.append(log_spec.T.numpy())
        return t, np.concatenate(feats)

    times = {"seqflow (log_mel stage)": [], "seqflow (whole run)": [], "whisper formula (torch)": []}
    for _ in range(REPS):
        wall, busy = run_seqflow(toml, "mel")
        times["seqflow (whole run)"].append(wall)
        times["seqflow (log_mel stage)"].append(busy)
        t, o = whisper_run()
        times["whisper formula (torch)"].append(t)
    ours = load_npys(out, "hour16k", len(chunks))
    d = np.abs(o.astype(np.float64) - ours)
    base = median(times["seqflow (log_mel stage)"])
    rows = []
    for name, ts in times.items():
        m = median(ts)
        rows.append((name, m, seconds / m, m / base,
                     f"max {d.max():.2e}, 99.9% {np.quantile(d, 0.999):.2e}" if "whisper" in name else ""))
    results.append(("Whisper log-mel, 80 bins, %.0f s in 30 s records, 1 thread" % seconds, rows, ours.shape))


def resample_bench(r48):
    x48, rate = read_wav(r48)
    x48 = x48 / 32768.0
    seconds = len(x48) / rate
    out = os.path.join(WORK, "res_npy")
    toml = pipeline("resample.toml", f"""[pipeline]
name = "resample-bench"
[[stage]]
name = "read"
plugin = "audio.read"
paths = ["{r48}"]
sample_rate = 16000
[[stage]]
name = "save"
plugin = "io.npy_write"
dir = "{out}"
input = "audio"
""")
    sox_out = os.path.join(WORK, "sox16k.f32")
    times = {"seqflow audio.read stage (decode + soxr HQ)": [], "seqflow whole run (+ write .npy)": [],
             "python-soxr HQ (in memory)": [], "sox -r 16000 (decode + rate + write)": []}
    for _ in range(REPS):
        wall, busy = run_seqflow(toml, "read")
        times["seqflow audio.read stage (decode + soxr HQ)"].append(busy)
        times["seqflow whole run (+ write .npy)"].append(wall)
        t0 = time.perf_counter()
        py = soxr.resample(x48.astype(np.float32), 48000, 16000, quality="HQ")
        times["python-soxr HQ (in memory)"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        sh(["sox", r48, "-t", "f32", "-r", "16000", sox_out])
        times["sox -r 16000 (decode + rate + write)"].append(time.perf_counter() - t0)
    ours = np.load(os.path.join(out, "ten_min48k.npy")).astype(np.float64)
    sx = np.fromfile(sox_out, dtype="<f4").astype(np.float64)
    ta = AF.resample(torch.from_numpy(x48).double(), 48000, 16000).numpy()
    def cmp(o):
        n = min(len(o), len(ours))
        d = o[:n] - ours[:n]
        snr = 10 * np.log10(np.sum(ours[:n] ** 2) / max(np.sum(d ** 2), 1e-300))
        return f"len {len(o)} vs {len(ours)}, max {np.abs(d).max():.2e}, SNR {snr:.1f} dB"
    base = median(times["seqflow audio.read stage (decode + soxr HQ)"])
    rows = []
    for name, ts in times.items():
        m = median(ts)
        diff = cmp(py.astype(np.float64)) if "python" in name else cmp(sx) if "sox -r" in name else ""
        rows.append((name, m, seconds / m, m / base, diff))
    rows.append(("torchaudio.functional.resample (default sinc, float64): not timed", float("nan"), float("nan"),
                 float("nan"), cmp(ta)))
    results.append(("resample 48 -> 16 kHz, %.0f s of 48 kHz speech, 1 thread" % seconds, rows, ours.shape))


def memory_bench(hour, two):
    rows = []
    for path in (hour, two):
        toml = pipeline("mem.toml", f"""[pipeline]
name = "memory-bench"
max_in_flight = 8
[[stage]]
name = "read"
plugin = "audio.read"
paths = ["{path}"]
scale = "int16"
max_seconds = 30
[[stage]]
name = "fbank"
plugin = "audio.fbank"
num_mel_bins = 80
[[stage]]
name = "sink"
plugin = "io.discard"
""")
        r = subprocess.run(["/usr/bin/time", "-v", SEQFLOW, "run", toml, "--threads", "1", "--no-progress"],
                           capture_output=True, text=True, check=True)
        rss = next(int(l.split(":")[1]) for l in r.stderr.splitlines() if "Maximum resident set size" in l)
        rows.append((os.path.basename(path), os.path.getsize(path) / 1e6, rss / 1024.0))
    results.append(("memory", rows, None))


def main():
    hour, two, r48 = make_data()
    cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    print(f"CPU: {cpu}; load at start {open('/proc/loadavg').read().split()[:3]}; REPS={REPS}")
    print(f"torch {torch.__version__}, torchaudio {torchaudio.__version__}, kaldi-native-fbank "
          f"{getattr(knf, '__version__', '?')}, soxr {soxr.__version__}")
    fbank_bench(hour)
    log_mel_bench(hour)
    resample_bench(r48)
    memory_bench(hour, two)
    print(f"load at end {open('/proc/loadavg').read().split()[:3]}")
    for title, rows, shape in results:
        print(f"\n### {title}" + (f" (output {shape})" if shape else ""))
        if title == "memory":
            print("| input | MB | peak RSS (MB) |\n|---|---|---|")
            for r in rows:
                print(f"| {r[0]} | {r[1]:.0f} | {r[2]:.0f} |")
            continue
        print("| implementation | median s | x real time | time / seqflow | output vs seqflow |\n|---|---|---|---|---|")
        for name, m, rt, ratio, diff in rows:
            print(f"| {name} | {m:.3f} | {rt:.0f} | {ratio:.2f} | {diff} |")


main()
