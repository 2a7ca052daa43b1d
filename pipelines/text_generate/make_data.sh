#!/bin/sh
# The text_generate data and tokenizer from Debian packages (see make_data.py for what is read).
# Usage: pipelines/text_generate/make_data.sh [OUT]   (default /work/textgen-data, outside the repo)
# Copies the SentencePiece model to model/tokenizer.model; spm_train is Debian's sentencepiece package.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-/work/textgen-data}
/usr/bin/python3 "$HERE/make_data.py" "$OUT"
# BPE, 3000 pieces (unk 0, <s> 1, </s> 2, 256 byte pieces for characters outside the 99.95% coverage),
# digits split so that numbers do not take vocabulary; one thread and a fixed seed for the same model.
spm_train --input="$OUT/train.txt" --model_prefix="$OUT/spm" --model_type=bpe --vocab_size=3000 \
  --character_coverage=0.9995 --num_threads=1 --random_seed=1 --max_sentence_length=100000 \
  --byte_fallback=true --split_digits=true
cp "$OUT/spm.model" "$HERE/model/tokenizer.model"
