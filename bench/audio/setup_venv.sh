#!/usr/bin/env bash
# Makes bench/audio/.venv (git ignores it) with the peers of the audio benchmark, from PyPI:
#   kaldi-native-fbank   the Kaldi-compatible C++ extractor under its Python binding (k2-fsa)
#   torch, torchaudio    current releases (PyPI's Linux wheels bring the CUDA libraries too, some GB;
#                        the benchmark runs them on the CPU, one thread)
#   lhotse               its Fbank extractor (pure PyTorch, Kaldi-compatible)
#   soxr                 python-soxr, the libsoxr binding librosa uses for resampling
# Usage: bench/audio/setup_venv.sh   (again: reuses the venv)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=$here/.venv
python=${PYTHON:-python3}
[[ -x $venv/bin/python ]] || "$python" -m venv "$venv"
"$venv/bin/pip" install -q --upgrade pip
"$venv/bin/pip" install -q torch torchaudio kaldi-native-fbank lhotse soxr numpy urllib3
"$venv/bin/python" - <<'PY'
import importlib.metadata as m
for p in ["torch", "torchaudio", "kaldi-native-fbank", "lhotse", "soxr", "numpy", "urllib3"]:
    print(f"{p} {m.version(p)}")
PY
