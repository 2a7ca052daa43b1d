#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages seqflow needs to build and test. Runs apt-get only when a
# package is missing, and sudo only when not already root. Safe to run again.
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config
  libtbb-dev libboost-dev libboost-filesystem-dev libtomlplusplus-dev libcli11-dev libfmt-dev
  nlohmann-json3-dev zlib1g-dev libdeflate-dev libisal-dev
  catch2 libbenchmark-dev libdnnl-dev libsimdjson-dev
  libsndfile1-dev libsoxr-dev libpcre2-dev libutf8proc-dev libfftw3-dev libicu-dev libssl-dev
  clang-14 libfuzzer-14-dev libclang-rt-14-dev libomp-14-dev
  pybind11-dev python3-dev python3-numpy python3-pytest
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages are installed"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup: missing packages: ${missing[*]}" >&2
  echo "setup: apt-get not found; install the equivalents with your system's package manager" >&2
  exit 1
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "setup: missing packages: ${missing[*]}; run this script as root or install sudo" >&2
    exit 1
  fi
  sudo=(sudo)
fi

echo "setup: installing ${missing[*]}"
"${sudo[@]}" apt-get update
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
