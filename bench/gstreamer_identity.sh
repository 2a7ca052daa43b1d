#!/usr/bin/env bash
# GStreamer's cost per buffer per element, the peer number for engine_bench's ns_rec_stage:
#   gst-launch-1.0 fakesrc num-buffers=N ! identity x K ! fakesink     for K = 1, 5 and 10.
# The slope of time over K (least squares) is the cost of one identity element per buffer; start-up and
# the source and sink cancel out. Each repetition measures K = 1, 5, 10 back to back; the result is the
# median slope of the repetitions, in wall time and in CPU time (user + sys, /usr/bin/time).
# gst-launch pushes every buffer through the chain on fakesrc's one streaming thread (no queues), so
# this is a one-thread number.
#
# Usage: bench/gstreamer_identity.sh [BUFFERS] [REPETITIONS]     (defaults 500000 and 5)
# Prints a table and the lines `RESULT gst_wall_ns_buf_elem=...` and `RESULT gst_cpu_ns_buf_elem=...`.
set -euo pipefail

buffers=${1:-500000}
reps=${2:-5}
counts=(1 5 10)
if ! command -v gst-launch-1.0 >/dev/null; then
  echo "gst-launch-1.0 not found: apt-get install gstreamer1.0-tools" >&2
  exit 2
fi
[[ -x /usr/bin/time ]] || { echo "/usr/bin/time not found: apt-get install time" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# One run: prints "wall_seconds cpu_seconds".
run_chain() {
  local k=$1 chain=() i
  for ((i = 0; i < k; i++)); do chain+=(identity silent=true !); done
  local t0 t1
  t0=$(date +%s%N)
  /usr/bin/time -f "%U %S" -o "$tmp/time" \
    gst-launch-1.0 -q fakesrc num-buffers="$buffers" silent=true ! "${chain[@]}" \
    fakesink sync=false silent=true \
    >/dev/null
  t1=$(date +%s%N)
  awk -v w="$(( t1 - t0 ))" '{ printf "%.6f %.2f\n", w / 1e9, $1 + $2 }' "$tmp/time"
}

# Least-squares slope of y over x, both given as "x y" lines.
slope() { awk '{ n++; sx += $1; sy += $2; sxx += $1 * $1; sxy += $1 * $2 }
               END { printf "%.9f\n", (n * sxy - sx * sy) / (n * sxx - sx * sx) }'; }
median() { sort -g | awk '{ v[NR] = $1 }
                         END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

version=$(gst-launch-1.0 --version | sed -n 's/^GStreamer //p')
echo "gst-launch-1.0 $version, $buffers buffers, identity x ${counts[*]}," \
     "$reps repetitions, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-4s %-8s %-8s %-8s %-8s %-8s %-8s %12s %12s\n" rep wall_1 cpu_1 wall_5 cpu_5 wall_10 cpu_10 \
       wall_ns_slope cpu_ns_slope
for ((r = 1; r <= reps; r++)); do
  : >"$tmp/wall"
  : >"$tmp/cpu"
  row=()
  for k in "${counts[@]}"; do
    read -r wall cpu < <(run_chain "$k")
    echo "$k $wall" >>"$tmp/wall"
    echo "$k $cpu" >>"$tmp/cpu"
    row+=("$wall" "$cpu")
  done
  # seconds per element over all buffers -> ns per buffer per element
  ws=$(slope <"$tmp/wall" | awk -v n="$buffers" '{ printf "%.1f", $1 / n * 1e9 }')
  cs=$(slope <"$tmp/cpu" | awk -v n="$buffers" '{ printf "%.1f", $1 / n * 1e9 }')
  echo "$ws" >>"$tmp/wall_slopes"
  echo "$cs" >>"$tmp/cpu_slopes"
  printf "%-4s %-8.3f %-8.2f %-8.3f %-8.2f %-8.3f %-8.2f %12s %12s\n" "$r" "${row[@]}" "$ws" "$cs"
done
echo "RESULT gst_wall_ns_buf_elem=$(median <"$tmp/wall_slopes")"
echo "RESULT gst_cpu_ns_buf_elem=$(median <"$tmp/cpu_slopes")"
