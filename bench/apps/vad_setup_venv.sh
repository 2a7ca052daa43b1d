#!/usr/bin/env bash
# The peer for bench/apps/vad_bench.sh (and tests/vad/make_reference.py): the silero-vad package
# (5.1.2: Silero VAD v5) and ONNX Runtime from PyPI in bench/apps/.venv (git-ignored).
# The venv sees Debian's python3-torch 1.13 and python3-torchaudio 0.13 (--system-site-packages):
# silero-vad imports torch for its tensor glue (the model itself runs on ONNX Runtime), and PyPI's torch
# wheels are 700 MB+; hence `--no-deps` for silero-vad, whose other requirement is onnxruntime.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
/usr/bin/python3 -m venv --system-site-packages "$here/.venv"
"$here/.venv/bin/pip" install -q --no-deps silero-vad==5.1.2
"$here/.venv/bin/pip" install -q onnxruntime soundfile soxr
"$here/.venv/bin/python" -c "import silero_vad, onnxruntime, torch; print('silero-vad', silero_vad.__version__, 'onnxruntime', onnxruntime.__version__, 'torch', torch.__version__)"
