#!/usr/bin/env bash
# The peer's environment for dna_classify_bench.sh: a virtual environment over Debian's Python 3.11 that
# sees Debian's torch 1.13 (--system-site-packages) and adds pyfastx from PyPI, the FASTQ parser a user
# would pick. Usage: bench/apps/dna_classify_setup_venv.sh [VENV] (default /work/venv-dnaclass).
set -euo pipefail
venv=${1:-/work/venv-dnaclass}
/usr/bin/python3 -m venv --system-site-packages "$venv"
"$venv/bin/pip" install --quiet "pyfastx==2.1.0"
"$venv/bin/python" -c "import pyfastx, torch, numpy; print('pyfastx', pyfastx.__version__, 'torch', torch.__version__, 'numpy', numpy.__version__)"
