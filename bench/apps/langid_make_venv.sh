#!/usr/bin/env bash
# The peer for bench/apps/langid_bench.sh: PyPI's sentencepiece in /work/venv-langid (outside the repo;
# VENV overrides). The venv sees Debian's python3-torch 1.13 (--system-site-packages): PyPI's torch wheels
# are 700 MB+ with their CUDA libraries.
set -euo pipefail
venv=${VENV:-/work/venv-langid}
/usr/bin/python3 -m venv --system-site-packages "$venv"
"$venv/bin/pip" install -q "sentencepiece>=0.2"
"$venv/bin/python" -c "import sentencepiece, torch; print('sentencepiece', sentencepiece.__version__, 'torch', torch.__version__)"
