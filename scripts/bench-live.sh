#!/usr/bin/env bash
# bench-live.sh measures live capture: UDP datagrams are sent across a veth
# pair between two network namespaces at increasing rates and captured on
# the receiving end, once by weir's AF_PACKET source and once by
# `tcpdump -i IF -w /dev/null` with a capture buffer of the same size. It
# prints, per rate, what each received and what the kernel dropped, then
# the highest rate each took without a drop and their ratio, from the same
# run on the same machine.
#
# Run as root (namespaces, packet sockets): sudo scripts/bench-live.sh
# Knobs (environment):
#   WEIR_BENCH_RATES      packets/s to try, comma-separated; 0 = as fast as
#                         the sender goes (default 50000,100000,200000,300000,400000,0)
#   WEIR_BENCH_SECONDS    seconds of traffic per pass (default 2)
#   WEIR_BENCH_SIZE       UDP payload bytes (default 64)
#   WEIR_BENCH_BUFFER_MB  ring / tcpdump -B size in MiB (default 4)
#   WEIR_BENCH_BLOCK_KB   ring block size in KiB (default 256)
# On a 2-core machine the sender (one Go process writing to a UDP socket,
# about 120-140k packets/s here) is usually the limit, not the capture:
# compare the "sent" column with the rate asked for.
#
# It also runs the Go benchmark of reading frames already in the ring.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PATH:/usr/local/go/bin

if [[ $EUID -ne 0 ]]; then
	echo "bench-live.sh: run as root (it creates network namespaces and packet sockets)" >&2
	exit 1
fi
for tool in ip tcpdump; do
	command -v "$tool" >/dev/null || { echo "bench-live.sh: $tool not found" >&2; exit 1; }
done

echo "== ring read cost (frames already in the ring)"
go test -run '^$' -bench 'BenchmarkRing$' -benchtime 200000x -benchmem ./sources/afpacket | grep -E '^Benchmark|^ok'
echo "== merge cost (two sources, with and without duplicate suppression)"
go test -run '^$' -bench 'BenchmarkMerge' -benchmem ./sources/live | grep -E '^Benchmark|^ok'
echo "== capture at increasing rates: weir (afpacket) vs tcpdump -i IF -w /dev/null, then the whole sensor (analyzer -i)"
go build -o bin/analyzer ./cmd/analyzer
WEIR_BENCH_ANALYZER=$PWD/bin/analyzer WEIR_BENCH_LIVE=1 go test -count=1 -timeout 30m -run '^TestBenchLive$' -v ./sources/afpacket |
	grep -vE '^(=== RUN|--- PASS|PASS|ok)'
