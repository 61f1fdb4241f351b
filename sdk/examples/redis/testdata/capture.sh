#!/usr/bin/env bash
# capture.sh records real Redis traffic between two network namespaces into
# testdata/redis.pcap (or the file given as $1), for the example plugin's
# tests.
#
# Two namespaces joined by a veth pair, 198.18.20.1/24 on the client side
# and 198.18.20.2/24 on the server side, offloads off, no route out:
# nothing leaves the pair. The server side runs redis-server (no
# persistence); the client side runs redis-cli: commands one by one on one
# connection (strings, counters, lists, hashes, an error, a missing key, a
# 20 000-byte value that spans several segments, MULTI/EXEC), a RESP3
# connection (HELLO 3, a map reply), and pipelined raw protocol with
# --pipe. tcpdump captures on the client's veth. Everything is removed on
# exit, whatever the exit.
#
# Run as root. Needs iproute2, tcpdump, ethtool, redis-server and
# redis-tools (Debian: apt-get install redis-server redis-tools).
set -euo pipefail

if [[ $EUID -ne 0 ]]; then
	echo "capture.sh: run as root (it creates network namespaces)" >&2
	exit 1
fi
for tool in ip tcpdump ethtool redis-server redis-cli; do
	command -v "$tool" >/dev/null || { echo "capture.sh: $tool not found" >&2; exit 1; }
done

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/redis.pcap}
out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")

NA=weir-redis-cli NB=weir-redis-srv # namespaces
VA=weir-rcli0 VB=weir-rsrv0         # veth ends
A4=198.18.20.1 B4=198.18.20.2

work=$(mktemp -d /tmp/weir-redis-capture.XXXXXX)
pids=()

cleanup() {
	local rc=$?
	set +e
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null
	done
	for ns in "$NA" "$NB"; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			kill "$p" 2>/dev/null
		done
	done
	ip netns del "$NA" 2>/dev/null
	ip netns del "$NB" 2>/dev/null
	rm -rf "$work"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

inA() { ip netns exec "$NA" "$@"; }

ip netns add "$NA"
ip netns add "$NB"
ip link add "$VA" netns "$NA" type veth peer name "$VB" netns "$NB"
for side in A B; do
	ns=N$side; dev=V$side; a4=${side}4
	ns=${!ns}; dev=${!dev}; a4=${!a4}
	ip netns exec "$ns" sysctl -qw "net.ipv6.conf.all.disable_ipv6=1"
	ip -n "$ns" link set lo up
	ip -n "$ns" addr add "$a4/24" dev "$dev"
	ip -n "$ns" link set "$dev" up
	ip netns exec "$ns" ethtool -K "$dev" rx off tx off tso off gso off gro off >/dev/null 2>&1 ||
		echo "capture.sh: ethtool could not turn every offload off on $dev" >&2
done

ip netns exec "$NB" redis-server --bind "$B4" --port 6379 --save "" --appendonly no \
	--protected-mode no --dir "$work" --logfile "$work/redis.log" &
pids+=($!)
for _ in $(seq 1 50); do
	ip netns exec "$NB" ss -Hlnt 2>/dev/null | grep -q "$B4:6379 " && break
	sleep 0.1
done

rm -f "$out"
ip netns exec "$NA" tcpdump -i "$VA" -s 0 -U -Z root -w "$out" 2>"$work/tcpdump.log" &
tcpdump_pid=$!
pids+=($tcpdump_pid)
for _ in $(seq 1 50); do
	grep -q "listening on" "$work/tcpdump.log" && break
	sleep 0.1
done

cli() { inA redis-cli -h "$B4" -p 6379 "$@"; }

# One connection, commands one after the other (redis-cli reads stdin).
big=$(head -c 20000 /dev/zero | tr '\0' 'x')
cli >/dev/null <<CMDS
SET greeting "hello weir"
GET greeting
INCR counter
INCRBY counter 41
GET missing
LPUSH list a b c
LRANGE list 0 -1
HSET user:1 name ada lang go
HGETALL user:1
NOSUCHCOMMAND arg
SET big $big
STRLEN big
MULTI
INCR counter
GET greeting
EXEC
DEL greeting list
PING
CMDS
sleep 0.3
# RESP3: HELLO 3, then a map reply and a double.
cli -3 HGETALL user:1 >/dev/null
sleep 0.3
# Pipelined raw protocol: every command sent before the first reply.
printf '*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$3\r\nk:1\r\n$2\r\nv1\r\n*2\r\n$3\r\nGET\r\n$3\r\nk:1\r\n*2\r\n$4\r\nINCR\r\n$3\r\nk:2\r\n' |
	cli --pipe >/dev/null
sleep 1

kill -TERM "$tcpdump_pid"
wait "$tcpdump_pid" 2>/dev/null || true
grep -E "packets (captured|dropped)" "$work/tcpdump.log" >&2 || true
echo "capture.sh: wrote $out ($(stat -c %s "$out") bytes)" >&2
