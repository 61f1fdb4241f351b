#!/usr/bin/env bash
# Replay throughput of bin/analyzer as a ratio to `tcpdump -r FILE -w /dev/null`
# measured in the same run, on:
#   - a real-traffic capture (BENCH_PCAP, default /tmp/bench/large.pcap, made by
#     ../shared/bench/make-traffic.sh; skipped with a note if absent),
#   - generated captures: 100k short HTTP connections and 1M one-packet flows.
# Each figure is the best of RUNS runs (default 3). Prints a table.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-bin/analyzer}
RUNS=${RUNS:-3}
WORK=${WORK:-/tmp/weir-bench}
BENCH_PCAP=${BENCH_PCAP:-/tmp/bench/large.pcap}
mkdir -p "$WORK"

command -v tcpdump >/dev/null || { echo "bench: tcpdump is needed for the baseline" >&2; exit 1; }
[[ -x $BIN ]] || go build -o "$BIN" ./cmd/analyzer

[[ -f $WORK/short.pcap ]] || go run ./testdata/gen -short-http 100000 -o "$WORK/short.pcap"
[[ -f $WORK/flood.pcap ]] || go run ./testdata/gen -flood 1000000 -o "$WORK/flood.pcap"

best() { # best wall time in seconds of "$@" over RUNS runs
  local b=""
  for ((i = 0; i < RUNS; i++)); do
    local s e t
    s=$(date +%s.%N); "$@" >/dev/null 2>&1 || { echo "bench: failed: $*" >&2; exit 1; }; e=$(date +%s.%N)
    t=$(echo "$e - $s" | bc -l)
    if [[ -z $b ]] || (( $(echo "$t < $b" | bc -l) )); then b=$t; fi
  done
  echo "$b"
}
rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }

printf "%-28s %10s %10s %12s %10s %9s %10s\n" capture packets tcpdump_s weir_s pkt/s ratio maxRSS_MB
row() { # name file workers
  local name=$1 f=$2 w=$3
  local pk; pk=$(capinfos -Mc "$f" 2>/dev/null | awk -F: '/Number of packets/{gsub(/ /,"",$2); print $2}')
  [[ -n $pk ]] || pk=$(tcpdump -nr "$f" 2>/dev/null | wc -l)
  local td we m
  td=$(best tcpdump -r "$f" -w /dev/null)
  we=$(best "$BIN" -r "$f" -o "$WORK/out" -q --workers "$w")
  m=$(rss "$BIN" -r "$f" -o "$WORK/out" -q --workers "$w")
  printf "%-28s %10s %10.3f %12.3f %10.0f %9.2f %10.0f\n" "$name (w=$w)" "$pk" "$td" "$we" \
    "$(echo "$pk / $we" | bc -l)" "$(echo "$td / $we" | bc -l)" "$(echo "$m / 1024" | bc -l)"
}

if [[ -f $BENCH_PCAP ]]; then
  row "real $(basename "$BENCH_PCAP")" "$BENCH_PCAP" 1
  row "real $(basename "$BENCH_PCAP")" "$BENCH_PCAP" 2
else
  echo "(no real capture at $BENCH_PCAP: BENCH_DIR=/tmp/bench ../shared/bench/make-traffic.sh -o $BENCH_PCAP -s 0 -b 1000000000 -S 3)"
fi
[[ -f $WORK/dns.pcap ]] || go run ./testdata/gen -dns 500000 -o "$WORK/dns.pcap"
row "DNS 1M messages" "$WORK/dns.pcap" 1
row "short HTTP 100k" "$WORK/short.pcap" 1
row "flood 1M flows" "$WORK/flood.pcap" 1
echo "ratio = tcpdump time / weir time (higher is better; 1.0 = tcpdump's read-through speed)"

# The conn log plugin out of process (go-plugin over gRPC) against in
# process, same capture, same run: wall time and CPU of both processes.
f=$BENCH_PCAP; [[ -f $f ]] || f=$WORK/short.pcap
cfg=$WORK/oop.toml
printf '[[plugin]]\nname = "conn"\nbuiltin = "conn"\n' > "$cfg"
in=$(best "$BIN" -r "$f" -o "$WORK/out" -q)
oop=$(best "$BIN" -c "$cfg" -r "$f" -o "$WORK/out2" -q)
printf "conn plugin out-of-process vs in-process on %s: %.3f s vs %.3f s (%.1f%% slower)\n" "$(basename "$f")" "$oop" "$in" \
  "$(echo "($oop / $in - 1) * 100" | bc -l)"
