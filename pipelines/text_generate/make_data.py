#!/usr/bin/python3
"""Training and held-out text for the text_generate model, made from Debian's English documentation.

Reads (nothing else):
  - man pages /usr/share/man/man{1,5,7,8}/*.gz (English: the top-level sections, not the locale folders),
    except those of the google-cloud-cli* packages (Google's apt repository, not Debian; `dpkg -L` lists
    them), rendered with `groff -man -Tutf8 -rHY=0 -P-cbou` (no hyphenation, no bold/underline overstrikes);
    pages that only redirect (`.so`) or render to nothing are skipped, symlinks to a page already taken too;
  - the licence texts /usr/share/common-licenses/* (regular files, symlinks skipped).
Each paragraph (wrapped lines joined, whitespace collapsed; man page headers, footers and section headings
dropped) becomes one line. A man page goes to the held-out split when the MD5 of its file name is 0 mod 20
(1 in 20 pages): held-out paragraphs come from pages never seen in training. Licences are all training text.

Writes to OUT (default /work/textgen-data): train.txt, heldout.txt (one paragraph per line) and
manifest.tsv (split, source path, paragraphs, sha256 of the source file) so that a rerun on another
machine can be compared file by file. Run: /usr/bin/python3 make_data.py [OUT]
"""
import concurrent.futures
import glob
import hashlib
import os
import re
import subprocess
import sys

SECTIONS = ["man1", "man5", "man7", "man8"]
MIN_CHARS = 20


def name_hash(path):
    return int(hashlib.md5(os.path.basename(path).encode()).hexdigest(), 16)


def render(path):
    import gzip
    with gzip.open(path, "rb") as f:
        src = f.read()
    if src.lstrip().startswith(b".so ") or not src.strip():
        return None
    env = dict(os.environ, LANG="C.UTF-8", LC_ALL="C.UTF-8")
    r = subprocess.run(["groff", "-man", "-Tutf8", "-rHY=0", "-P-cbou"], input=src, capture_output=True,
                       env=env, timeout=60)
    text = r.stdout.decode("utf-8", errors="replace")
    lines = text.split("\n")
    body = [l for l in lines if l.strip()]
    if len(body) < 3:
        return None
    # The first and last non-empty lines are the page's header and footer.
    first, last = lines.index(body[0]), len(lines) - 1 - lines[::-1].index(body[-1])
    return paragraphs(lines[first + 1:last], drop_headings=True)


def paragraphs(lines, drop_headings):
    out, cur = [], []
    for line in lines + [""]:
        if not line.strip():
            if cur:
                out.append(" ".join(cur))
                cur = []
            continue
        # A section heading starts at column 0 in a rendered man page.
        if drop_headings and not line[0].isspace():
            if cur:
                out.append(" ".join(cur))
                cur = []
            continue
        cur.append(re.sub(r"\s+", " ", line.strip()))
    return [p for p in (re.sub(r"\s+", " ", p).strip() for p in out) if len(p) >= MIN_CHARS and "\ufffd" not in p]


def non_debian_files():
    pkgs = subprocess.run(["dpkg-query", "-W", "-f", "${Package}\n"], capture_output=True, text=True).stdout.split()
    files = set()
    for pkg in pkgs:
        if pkg.startswith("google-cloud-cli"):
            files.update(subprocess.run(["dpkg", "-L", pkg], capture_output=True, text=True).stdout.split("\n"))
    return files


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "/work/textgen-data"
    os.makedirs(out_dir, exist_ok=True)
    pages, seen, excluded = [], set(), non_debian_files()
    for sec in SECTIONS:
        for p in sorted(glob.glob(f"/usr/share/man/{sec}/*.gz")):
            if p in excluded:
                continue
            real = os.path.realpath(p)
            if real in seen or not os.path.isfile(real):
                continue
            seen.add(real)
            pages.append(p)
    with concurrent.futures.ThreadPoolExecutor(2) as ex:
        rendered = list(ex.map(render, pages))
    rows = []
    train, held = [], []
    for p, paras in zip(pages, rendered):
        if not paras:
            continue
        split = "heldout" if name_hash(p) % 20 == 0 else "train"
        (held if split == "heldout" else train).extend(paras)
        rows.append((split, p, len(paras), sha256(p)))
    for p in sorted(glob.glob("/usr/share/common-licenses/*")):
        if os.path.islink(p) or not os.path.isfile(p):
            continue
        with open(p, encoding="utf-8", errors="replace") as f:
            paras = paragraphs(f.read().split("\n"), drop_headings=False)
        train.extend(paras)
        rows.append(("train", p, len(paras), sha256(p)))
    for name, paras in (("train.txt", train), ("heldout.txt", held)):
        with open(os.path.join(out_dir, name), "w", encoding="utf-8") as f:
            f.write("\n".join(paras) + "\n")
    with open(os.path.join(out_dir, "manifest.tsv"), "w") as f:
        f.write("split\tsource\tparagraphs\tsha256\n")
        for r in rows:
            f.write("\t".join(map(str, r)) + "\n")
    print(f"{len(rows)} sources, train {len(train)} paragraphs ({sum(map(len, train))} chars), "
          f"held-out {len(held)} paragraphs ({sum(map(len, held))} chars)")


if __name__ == "__main__":
    main()
