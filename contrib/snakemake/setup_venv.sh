#!/usr/bin/env bash
# Makes contrib/snakemake/.venv with Snakemake from PyPI (tests/engine/snakemake_test.cpp uses it when no
# snakemake is on PATH). Debian 12's `apt install snakemake` (7.21) works as well.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python3 -m venv "$here/.venv"
"$here/.venv/bin/pip" install --quiet "snakemake>=7.21"
"$here/.venv/bin/snakemake" --version
