#!/usr/bin/env bash
# Fetches tiktoken's rank files without tiktoken's run-time download: the npm package `tiktoken`
# (1.0.22) ships them as JSON ({"bpe_ranks": "! <first rank> <base64> <base64> ...\n..."}); this turns
# each into the .tiktoken format ("<base64> <rank>" per line) under tests/text/.cache/tiktoken/.
# make_tiktoken_fixtures.py checks each file's sha256 against the hash tiktoken itself expects.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="$here/.cache/tiktoken"
mkdir -p "$cache"
cd "$cache"
if [ ! -f tiktoken-1.0.22.tgz ]; then npm pack tiktoken@1.0.22 >/dev/null 2>&1; fi
tar xzf tiktoken-1.0.22.tgz package/encoders
python3 - "$cache" <<'PY'
import json, os, sys
cache = sys.argv[1]
for name in ["r50k_base", "p50k_base", "cl100k_base", "o200k_base"]:
    j = json.load(open(os.path.join(cache, "package", "encoders", name + ".json")))
    out = []
    for line in j["bpe_ranks"].split("\n"):
        if not line:
            continue
        parts = line.split(" ")
        rank = int(parts[1])
        for k, tok in enumerate(parts[2:]):
            out.append("%s %d\n" % (tok, rank + k))
    open(os.path.join(cache, name + ".tiktoken"), "w").write("".join(out))
    print(name, len(out), "tokens")
PY
