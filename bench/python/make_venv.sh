#!/usr/bin/env bash
# The peers of bench_python.py: a venv over Debian's python3 (numpy, torch, torchaudio come from the system)
# with Hugging Face `tokenizers` from PyPI. Usage: bench/python/make_venv.sh [VENV] (default /work/venv-python-bench).
set -euo pipefail
venv="${1:-/work/venv-python-bench}"
/usr/bin/python3 -m venv --system-site-packages "$venv"
"$venv/bin/pip" install --quiet "tokenizers==0.21.*"
echo "$venv"
