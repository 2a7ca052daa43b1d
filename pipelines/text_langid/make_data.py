#!/usr/bin/python3
"""Language identification data from the gettext catalogs of the installed Debian packages.

Every .mo file under /usr/share/locale/<locale>/LC_MESSAGES is turned back into a PO file by
`msgunfmt`; its translated messages (msgstr, every plural form) are split into lines and cleaned
(see clean_line), and each line is labelled with the catalog's language. The split is by Debian
SOURCE package (several binary packages of one source share strings, e.g. binutils' bfd, gas and ld
catalogs): a fixed fraction of the source packages, chosen by a hash of their name, gives the
evaluation text and is never seen in training. Evaluation lines that also occur in the training
text of the same language (gnulib's messages are in many packages) are removed, so the evaluation
measures text the model has not seen.

Writes into OUT (default /work/langid-data):
  train.tsv, eval.tsv   label <TAB> source package <TAB> text, one line each
  sources.tsv           every catalog used: locale, label, binary package, source package, version, split
  packages.tsv          the binary packages of those catalogs with their versions (committed as
                        pipelines/text_langid/packages.tsv)
  stats.tsv             lines per language and split
The output is a pure function of the installed packages (recorded in sources.tsv) and SEED.
"""
import argparse
import collections
import hashlib
import os
import random
import re
import subprocess
import sys
import unicodedata

# Locale folder -> label. Chosen among the locales with the most catalog text here (see the README):
# closely related varieties are merged (pt and pt_BR) or left out where the catalogs do not tell them
# apart reliably (nb/nn/da are kept as da only; sr, sr@latin, hr and bs are left out); he has too
# little text in the held-out packages (26 lines).
LANGUAGES = {
    "ar": "ar", "be": "be", "bg": "bg", "ca": "ca", "cs": "cs", "da": "da", "de": "de", "el": "el",
    "eo": "eo", "es": "es", "et": "et", "eu": "eu", "fi": "fi", "fr": "fr", "ga": "ga", "gl": "gl",
    "hu": "hu", "id": "id", "it": "it", "ja": "ja", "ka": "ka", "ko": "ko", "lt": "lt",
    "nl": "nl", "pl": "pl", "pt": "pt", "pt_BR": "pt", "ro": "ro", "ru": "ru", "sk": "sk", "sl": "sl",
    "sv": "sv", "th": "th", "tr": "tr", "uk": "uk", "vi": "vi", "zh_CN": "zh_CN", "zh_TW": "zh_TW",
}

# Source packages left out: iso-codes holds lists of names (countries, currencies, languages, scripts),
# mostly proper names that are the same in many languages.
EXCLUDED_SOURCES = {"iso-codes"}

EVAL_PERCENT = 25        # share of source packages (by hash of the name) held out for evaluation
MAX_TRAIN_PER_LANG = 12000
MAX_EVAL_PER_LANG = 600  # evaluation lines of at least MIN_EVAL_CHARS characters
MIN_EVAL_CHARS = 20

LOCALE_DIR = "/usr/share/locale"


def parse_po(text):
    """Yields (msgid, [msgstr...]) of a PO file as msgunfmt writes it (no obsolete entries)."""
    entry = {}
    key = None

    def unquote(s):
        s = s.strip()
        if not (s.startswith('"') and s.endswith('"')):
            raise ValueError("bad PO string: " + s[:60])
        return bytes(s[1:-1], "utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")

    def flush():
        if "msgid" in entry:
            strs = [v for k, v in sorted(entry.items()) if k.startswith("msgstr")]
            yield entry["msgid"], strs

    for line in text.split("\n"):
        if not line or line.startswith("#"):
            if line == "" and entry:
                yield from flush()
                entry = {}
            continue
        if line.startswith('"'):
            entry[key] += unquote(line)
            continue
        word, _, rest = line.partition(" ")
        key = word
        entry[key] = unquote(rest)
    if entry:
        yield from flush()


FORMAT = re.compile(
    r"%(\d+\$)?[-+ #0']*(\d+|\*)?(\.(\d+|\*))?(hh|h|ll|l|L|q|j|z|t|I64|I32|I)?[diouxXeEfFgGaAcspnmC%]"
    r"|%\([A-Za-z_0-9]+\)[sdifrx]"     # Python's %(name)s
    r"|%<PRI[a-zA-Z0-9]+>"             # gettext's <inttypes.h> macros
    r"|\$\{[^}]*\}|\{[^}]*\}"          # ${var}, {0}, {name}
    r"|<[^<>]{1,40}>"                  # markup and placeholders such as <file>
    r"|\b[a-z]+://\S+|\S+@\S+\.\S+"    # URLs, e-mail addresses
    r"|(?<!\w)[~.]?/[\w./*~-]*"        # paths
    r"|(?<!\w)--?[\w][\w=,\[\]-]*"     # command-line options
    r"|\b[A-Z][A-Z0-9_]{1,}\b"         # placeholders such as FILE, NUM (ASCII capitals)
    r"|&(?=\w)|_(?=\w)"                # mnemonic markers
)


def clean_line(line):
    """The natural-language text of one line of a message, or None when too little is left."""
    line = unicodedata.normalize("NFC", line)
    line = FORMAT.sub(" ", line)
    line = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in line)
    line = re.sub(r"\s+", " ", line).strip(" \t:;,.-=*|'\"`()[]")
    letters = sum(1 for c in line if c.isalpha())
    visible = sum(1 for c in line if not c.isspace())
    if letters < 4 or letters < 0.6 * visible:
        return None
    return line


def lines_of(message):
    for line in message.split("\n"):
        c = clean_line(line)
        if c:
            yield c


def folded(s):
    return re.sub(r"\W+", "", s.casefold())


def in_eval(source):
    return int(hashlib.sha1(source.encode()).hexdigest(), 16) % 100 < EVAL_PERCENT


def packages_of(paths):
    """path -> (binary package, source package, version) from dpkg's database."""
    out = {}
    for i in range(0, len(paths), 500):
        res = subprocess.run(["dpkg", "-S"] + paths[i:i + 500], capture_output=True, text=True)
        for line in res.stdout.splitlines():
            pkgs, _, path = line.partition(": ")
            out[path] = pkgs.split(",")[0].strip().split(":")[0]
    info = {}
    for pkg in sorted(set(out.values())):
        res = subprocess.run(["dpkg-query", "-W", "-f", "${source:Package}\t${Version}", pkg],
                             capture_output=True, text=True, check=True)
        src, ver = res.stdout.split("\t")
        info[pkg] = (src, ver)
    return {p: (b,) + info[b] for p, b in out.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="/work/langid-data")
    ap.add_argument("--seed", type=int, default=18)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    catalogs = []
    for loc in sorted(LANGUAGES):
        d = os.path.join(LOCALE_DIR, loc, "LC_MESSAGES")
        if os.path.isdir(d):
            catalogs += [os.path.join(d, f) for f in sorted(os.listdir(d)) if f.endswith(".mo")]
    owners = packages_of(catalogs)

    # Every English msgid line: a translation line equal to one of them is untranslated text.
    english = set()
    texts = collections.defaultdict(lambda: collections.defaultdict(list))  # split -> label -> [(src, line)]
    sources = []
    for path in catalogs:
        loc = path.split("/")[4]
        label = LANGUAGES[loc]
        if path not in owners:
            print(f"warning: {path} belongs to no package, skipped", file=sys.stderr)
            continue
        binary, source, version = owners[path]
        if source in EXCLUDED_SOURCES:
            continue
        split = "eval" if in_eval(source) else "train"
        sources.append((loc, label, os.path.basename(path), binary, source, version, split))
        po = subprocess.run(["msgunfmt", "--no-wrap", path], capture_output=True, check=True).stdout
        po = po.decode("utf-8", errors="replace")
        for msgid, strs in parse_po(po):
            if not msgid:
                continue  # the header
            ids = set(folded(line) for line in lines_of(msgid))
            english |= ids
            for s in strs:
                if not s or folded(s) == folded(msgid):
                    continue
                for line in lines_of(s):
                    if folded(line) not in ids:
                        texts[split][label].append((source, line))

    rng = random.Random(args.seed)
    stats = []
    train_seen = collections.defaultdict(set)
    for split in ("train", "eval"):
        rows = []
        for label in sorted(texts[split]):
            seen = set()
            keep = []
            for source, line in texts[split][label]:
                f = folded(line)
                if f in english or f in seen or not f:
                    continue
                if split == "eval" and (len(line) < MIN_EVAL_CHARS or f in train_seen[label]):
                    continue
                seen.add(f)
                keep.append((source, line))
            rng.shuffle(keep)
            keep = keep[:MAX_TRAIN_PER_LANG if split == "train" else MAX_EVAL_PER_LANG]
            if split == "train":
                train_seen[label] = set(folded(l) for _, l in texts["train"][label])
            stats.append((label, split, len(keep), len(set(s for s, _ in keep))))
            rows += [(label, s, l) for s, l in keep]
        rows.sort()
        with open(os.path.join(args.out, f"{split}.tsv"), "w", encoding="utf-8") as f:
            for label, source, line in rows:
                f.write(f"{label}\t{source}\t{line}\n")

    with open(os.path.join(args.out, "sources.tsv"), "w") as f:
        f.write("locale\tlabel\tcatalog\tbinary_package\tsource_package\tversion\tsplit\n")
        for row in sources:
            f.write("\t".join(row) + "\n")
    with open(os.path.join(args.out, "packages.tsv"), "w") as f:
        f.write("binary_package\tsource_package\tversion\tsplit\n")
        for row in sorted(set(r[3:] for r in sources)):
            f.write("\t".join(row) + "\n")
    with open(os.path.join(args.out, "stats.tsv"), "w") as f:
        f.write("label\tsplit\tlines\tsource_packages\n")
        for row in stats:
            f.write("\t".join(map(str, row)) + "\n")
            print("\t".join(map(str, row)))


if __name__ == "__main__":
    main()
