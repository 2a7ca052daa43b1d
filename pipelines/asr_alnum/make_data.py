#!/usr/bin/env python3
"""Synthetic spoken alphanumeric strings for asr_alnum: espeak-ng speaks, SoX and numpy augment.

Each utterance is 1-8 tokens drawn from the 36 words (zero..nine, the letter names a..z), spoken by an
espeak-ng voice and variant at a random speed, pitch and word gap, then changed by SoX (speed
perturbation, reverberation, a telephone band) and numpy (level, leading and trailing silence,
white/pink/brown noise at a random SNR), written as 16 kHz mono 16-bit WAV.

Held out: the evaluation set uses voices (accents) and variants that the training set never uses, so
its accuracy is on speakers the model has not heard.

Reproducible: utterance i of a split draws everything from numpy's PCG64 seeded with (seed, split, i),
espeak-ng and SoX are deterministic (SoX runs with -D, no dither), so the same command writes the same
bytes whatever the number of worker processes.

Usage: make_data.py OUT_DIR [--train N] [--eval N] [--seed S] [--jobs J] [--resume]
The shipped model: make_data.py /work/asr-data --train 5000 --eval 600 (the defaults).
Writes OUT_DIR/{train,eval}/<id>.wav and OUT_DIR/{train,eval}.jsonl (id, path, text, and how it was made).
"""
import argparse
import json
import os
import subprocess
import sys
import wave
from multiprocessing import Pool

import numpy as np

DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
LETTERS = [chr(c) for c in range(ord("a"), ord("z") + 1)]
WORDS = DIGITS + LETTERS

# espeak-ng's English voices (accents). mbrola voices are left out: Debian's mbrola data is non-free.
TRAIN_VOICES = ["en", "en-us", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-rp", "en-us-nyc"]
EVAL_VOICES = ["en-029", "en-gb-x-gbcwmd"]
# espeak-ng 1.51's variants (voices/!v), less "Mr serious" (a space in its file name).
ALL_VARIANTS = """Alex Alicia Andrea Andy Annie AnxiousAndy Demonic Denis Diogo Gene Gene2 Henrique Hugo Jacky
Lee Marco Mario Michael Mike Nguyen RicishayMax RicishayMax2 RicishayMax3 Storm Tweaky UniRobot adam anika
anikaRobot announcer antonio aunty belinda benjamin boris caleb croak david ed edward edward2 f1 f2 f3 f4 f5
fast grandma grandpa gustave iven iven2 iven3 iven4 john kaukovalta klatt klatt2 klatt3 klatt4 klatt5 klatt6
linda m1 m2 m3 m4 m5 m6 m7 m8 marcelo max michel miguel norbert pablo paul pedro quincy rob robert robosoft
robosoft2 robosoft3 robosoft4 robosoft5 robosoft6 robosoft7 robosoft8 sandro shelby steph steph2 steph3
travis victor whisper whisperf zac""".split()
EVAL_VARIANTS = ["Annie", "Gene2", "Michael", "aunty", "benjamin", "f4", "iven3", "klatt4", "m6", "norbert",
                 "robosoft5", "steph2", "travis", "zac"]
TRAIN_VARIANTS = [""] + [v for v in ALL_VARIANTS if v not in EVAL_VARIANTS]

RATE = 16000
SPLIT_CODE = {"train": 1, "eval": 2}


def token_ssml(word):
    # A bare capital "A" is read as the article; say-as characters reads every letter as its name.
    if word in LETTERS:
        return '<say-as interpret-as="characters">' + word.upper() + "</say-as>"
    return word


def colored_noise(rng, n, kind):
    white = rng.standard_normal(n)
    if kind == "white":
        return white
    spectrum = np.fft.rfft(white)
    f = np.arange(len(spectrum), dtype=np.float64)
    f[0] = 1.0
    spectrum /= np.sqrt(f) if kind == "pink" else f
    return np.fft.irfft(spectrum, n)


def synth(spec):
    """espeak-ng | sox -> float64 samples at 16 kHz."""
    voice = spec["voice"] + ("+" + spec["variant"] if spec["variant"] else "")
    espeak = ["espeak-ng", "-m", "-v", voice, "-s", str(spec["wpm"]), "-p", str(spec["pitch"]),
              "-g", str(spec["gap"]), "--stdout", spec["ssml"]]
    effects = []
    if spec["telephone"]:
        effects += ["rate", "8000", "sinc", "300-3400"]
    effects += ["rate", str(RATE)]
    if spec["speed"] != 1.0:
        effects += ["speed", "%.3f" % spec["speed"], "rate", str(RATE)]
    if spec["reverb"]:
        effects += ["reverb", str(spec["reverb"]), "50", str(spec["room"])]
        effects += ["channels", "1"]
    sox = ["sox", "-D", "-t", "wav", "-", "-t", "f32", "-c", "1", "-"] + effects
    wav = subprocess.run(espeak, check=True, capture_output=True).stdout
    raw = subprocess.run(sox, input=wav, check=True, capture_output=True).stdout
    return np.frombuffer(raw, dtype="<f4").astype(np.float64)


def make_spec(split, index, seed):
    rng = np.random.Generator(np.random.PCG64([seed, SPLIT_CODE[split], index]))
    voices = TRAIN_VOICES if split == "train" else EVAL_VOICES
    variants = TRAIN_VARIANTS if split == "train" else EVAL_VARIANTS
    n = int(rng.integers(1, 9))
    p_digit = float(rng.choice([0.0, 0.5, 1.0, rng.random()]))
    words = [DIGITS[rng.integers(10)] if rng.random() < p_digit else LETTERS[rng.integers(26)]
             for _ in range(n)]
    comma = float(rng.random())
    ssml = ""
    for i, w in enumerate(words):
        if i:
            ssml += ", " if rng.random() < comma else " "
        ssml += token_ssml(w)
    return {
        "id": "%s_%06d" % (split, index),
        "text": " ".join(words),
        "voice": str(rng.choice(voices)),
        "variant": str(rng.choice(variants)),
        "wpm": int(rng.integers(120, 231)),
        "pitch": int(rng.integers(15, 91)),
        "gap": int(rng.integers(0, 8)),
        "ssml": ssml,
        "telephone": bool(rng.random() < 0.12),
        "speed": float(np.round(rng.uniform(0.88, 1.12), 3)) if rng.random() < 0.5 else 1.0,
        "reverb": int(rng.integers(10, 80)) if rng.random() < 0.3 else 0,
        "room": int(rng.integers(10, 90)),
        "lead": float(np.round(rng.uniform(0.05, 0.6), 3)),
        "trail": float(np.round(rng.uniform(0.05, 0.6), 3)),
        "peak_db": float(np.round(rng.uniform(-22.0, -1.0), 2)),
        "noise": str(rng.choice(["white", "pink", "brown"])) if rng.random() < 0.7 else "none",
        "snr_db": float(np.round(rng.uniform(5.0, 35.0), 2)),
        "noise_seed": int(rng.integers(2**31)),
    }


def render(job):
    split, index, seed, out_dir, resume = job
    spec = make_spec(split, index, seed)
    rel = os.path.join(split, spec["id"] + ".wav")
    spec["path"] = rel
    if resume and os.path.exists(os.path.join(out_dir, rel)):
        # Utterance i depends only on (seed, split, i): a file left by an earlier run is this one.
        with wave.open(os.path.join(out_dir, rel), "rb") as w:
            spec["seconds"] = round(w.getnframes() / RATE, 3)
        return spec
    x = synth(spec)
    rng = np.random.Generator(np.random.PCG64(spec["noise_seed"]))
    x = np.concatenate([np.zeros(int(spec["lead"] * RATE)), x, np.zeros(int(spec["trail"] * RATE))])
    peak = np.max(np.abs(x))
    if peak > 0:
        x *= 10 ** (spec["peak_db"] / 20) / peak
    if spec["noise"] != "none":
        speech_power = np.mean(x[np.abs(x) > 1e-4] ** 2) if np.any(np.abs(x) > 1e-4) else 1e-6
        noise = colored_noise(rng, len(x), spec["noise"])
        noise *= np.sqrt(speech_power / np.mean(noise ** 2) / 10 ** (spec["snr_db"] / 10))
        x = x + noise
    pcm = np.clip(np.round(x * 32767), -32768, 32767).astype("<i2")
    # Written under a temporary name, then renamed: --resume never sees a half-written file.
    tmp = os.path.join(out_dir, rel + ".part")
    with wave.open(tmp, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm.tobytes())
    os.replace(tmp, os.path.join(out_dir, rel))
    spec["seconds"] = round(len(pcm) / RATE, 3)
    return spec


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--train", type=int, default=5000)
    ap.add_argument("--eval", type=int, default=600)
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--resume", action="store_true",
                    help="keep the WAV files an interrupted run wrote (they are the same bytes)")
    args = ap.parse_args()
    for split, count in (("train", args.train), ("eval", args.eval)):
        os.makedirs(os.path.join(args.out_dir, split), exist_ok=True)
        jobs = [(split, i, args.seed, args.out_dir, args.resume) for i in range(count)]
        with Pool(args.jobs) as pool, open(os.path.join(args.out_dir, split + ".jsonl"), "w") as man:
            for k, spec in enumerate(pool.imap(render, jobs, chunksize=16)):
                man.write(json.dumps(spec, sort_keys=True) + "\n")
                if (k + 1) % 500 == 0:
                    print("%s: %d/%d" % (split, k + 1, count), file=sys.stderr, flush=True)
    print("wrote %s" % args.out_dir, file=sys.stderr)


if __name__ == "__main__":
    main()
