#!/usr/bin/env bash
# Makes bench/text/.venv with the peers of the text benchmark, from PyPI: tokenizers, tiktoken,
# sentencepiece, tokendagger and gigatoken. A peer that does not install is reported and left out.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python3 -m venv "$here/.venv"
pip="$here/.venv/bin/pip"
"$pip" install -q --upgrade pip >/dev/null 2>&1
for p in tokenizers tiktoken sentencepiece tokendagger gigatoken; do
  if "$pip" install -q "$p" >/dev/null 2>"$here/.venv/$p.install.log"; then
    echo "installed $p $("$pip" show "$p" 2>/dev/null | sed -n 's/^Version: //p')"
  else
    echo "NOT installed: $p (see $here/.venv/$p.install.log)"
  fi
done
