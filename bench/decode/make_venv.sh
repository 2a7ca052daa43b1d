#!/usr/bin/env bash
# Makes bench/decode/.venv with the peers of the decode benchmark and of its reference fixtures:
# PyTorch (CPU wheels), Hugging Face transformers (generate()), pyctcdecode and kenlm (CTC beam search
# with an ARPA LM). kenlm builds from source (it needs cmake, a C++ compiler, zlib and Boost headers).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python3 -m venv "$here/.venv"
py="$here/.venv/bin/python"
"$py" -m pip install --upgrade pip wheel
"$py" -m pip install --index-url https://download.pytorch.org/whl/cpu torch ||
  "$py" -m pip install torch
"$py" -m pip install numpy transformers safetensors pyctcdecode
"$py" -m pip install kenlm || echo "kenlm did not build: pyctcdecode runs without an LM only"
