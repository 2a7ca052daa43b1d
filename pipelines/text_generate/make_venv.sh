#!/bin/sh
# The reference environment of reference.py: Hugging Face transformers 4.36.2 (the last release series
# that runs on Debian's python3-torch 1.13) over Debian's /usr/bin/python3 and its torch, numpy and
# sentencepiece. Made outside the repo; CI never needs it.
set -eu
VENV=${1:-/work/venv-textgen}
/usr/bin/python3 -m venv --system-site-packages "$VENV"
"$VENV/bin/pip" install transformers==4.36.2
