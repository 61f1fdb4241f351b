# netns.sh: the network-namespace plumbing shared by the capture scripts
# (capture.sh, capture_dns.sh, capture_tls.sh, capture_http_ssh.sh).
# Source it, do not run it.
#
# Two namespaces, $NA (client) and $NB (server), are joined by a veth pair
# $VA/$VB with the addresses $A4/$B4 (a /24) and, if $A6 is set, $A6/$B6
# (a /64; otherwise IPv6 is off). Offloads are off so every packet carries
# its real checksum and no segment is bigger than the MSS, and there is no
# route out: nothing leaves the pair. tcpdump captures on the client's veth
# with snaplen 0 (whole frames). Everything the script started, the
# namespaces and the work directory are removed on exit, whatever the exit.
#
# A script sets its names and addresses, then:
#
#   netns_require TOOL...        root and the tools it needs, or exit 1
#   netns_begin PREFIX           $work (mktemp -d /tmp/PREFIX.XXXXXX), the traps
#   netns_pair                   the namespaces, the veth pair, the addresses
#   inA CMD... / inB CMD...      run in the client / server namespace
#   pids+=($!)                   a background process cleanup must stop
#   wait_for PROTO ADDR PORT     until something listens in $NB (PROTO t or u)
#   start_capture FILE [FILTER]  tcpdump into FILE until stop_capture
#   stop_capture FILE [SETTLE]   wait SETTLE seconds, stop tcpdump, report
#
# A script that must undo more on exit defines netns_cleanup_hook; it runs
# after the namespaces are gone and before $work is removed.

prog=$(basename "$0")

netns_require() { # netns_require TOOL...
	if [[ $EUID -ne 0 ]]; then
		echo "$prog: run as root (it creates network namespaces)" >&2
		exit 1
	fi
	local tool
	for tool in ip tcpdump ethtool "$@"; do
		command -v "$tool" >/dev/null || { echo "$prog: $tool not found" >&2; exit 1; }
	done
}

# netns_outfile PATH / netns_outdir PATH: PATH made absolute, its directory
# (or PATH itself) created.
netns_outfile() {
	mkdir -p "$(dirname "$1")"
	echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
}
netns_outdir() {
	mkdir -p "$1"
	(cd "$1" && pwd)
}

netns_begin() { # netns_begin PREFIX
	work=$(mktemp -d "/tmp/$1.XXXXXX")
	pids=()
	tcpdump_pid=
	trap cleanup EXIT
	trap 'exit 130' INT TERM
}

cleanup() {
	local rc=$? p ns
	set +e
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null
	done
	# Whatever still runs inside the namespaces was started here.
	for ns in "$NA" "$NB"; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			kill "$p" 2>/dev/null
		done
	done
	ip netns del "$NA" 2>/dev/null
	ip netns del "$NB" 2>/dev/null
	if declare -F netns_cleanup_hook >/dev/null; then
		netns_cleanup_hook
	fi
	rm -rf "$work"
	exit "$rc"
}

inA() { ip netns exec "$NA" "$@"; }
inB() { ip netns exec "$NB" "$@"; }

netns_pair() {
	local side ns dev a4 a6
	ip netns add "$NA"
	ip netns add "$NB"
	ip link add "$VA" netns "$NA" type veth peer name "$VB" netns "$NB"
	for side in A B; do
		ns=N$side; dev=V$side; a4=${side}4; a6=${side}6
		ns=${!ns}; dev=${!dev}; a4=${!a4}; a6=${!a6-}
		if [[ -n $a6 ]]; then
			ip netns exec "$ns" sysctl -qw \
				"net.ipv6.conf.$dev.router_solicitations=0" \
				"net.ipv6.conf.$dev.accept_ra=0" \
				"net.ipv6.conf.$dev.addr_gen_mode=1"
		else
			ip netns exec "$ns" sysctl -qw "net.ipv6.conf.all.disable_ipv6=1"
		fi
		ip -n "$ns" link set lo up
		ip -n "$ns" addr add "$a4/24" dev "$dev"
		if [[ -n $a6 ]]; then
			ip -n "$ns" -6 addr add "$a6/64" dev "$dev" nodad
		fi
		ip -n "$ns" link set "$dev" up
		ip netns exec "$ns" ethtool -K "$dev" rx off tx off tso off gso off gro off >/dev/null 2>&1 ||
			echo "$prog: ethtool could not turn every offload off on $dev" >&2
	done
}

wait_for() { # wait_for PROTO ADDR PORT: until something listens there in $NB
	for _ in $(seq 1 50); do
		if inB ss -Hln"$1" 2>/dev/null | grep -q "$2:$3 "; then return 0; fi
		sleep 0.1
	done
	echo "$prog: nothing listens on $1 $2:$3" >&2
	return 1
}

start_capture() { # start_capture FILE [FILTER]
	rm -f "$1"
	: >"$work/tcpdump.log"
	# Started with ip netns exec rather than inA so that $! is tcpdump itself.
	ip netns exec "$NA" tcpdump -i "$VA" -s 0 -U -Z root -w "$1" "${@:2}" 2>"$work/tcpdump.log" &
	tcpdump_pid=$!
	pids+=($tcpdump_pid)
	for _ in $(seq 1 50); do
		grep -q "listening on" "$work/tcpdump.log" && break
		sleep 0.1
	done
	sleep 0.2
}

stop_capture() { # stop_capture FILE [SETTLE]
	sleep "${2:-0}"
	# SIGTERM, not SIGINT: a background job of a script ignores SIGINT.
	kill -TERM "$tcpdump_pid"
	wait "$tcpdump_pid" 2>/dev/null || true
	grep -E "packets (captured|dropped)" "$work/tcpdump.log" >&2 || true
	echo "$prog: wrote $1 ($(stat -c %s "$1") bytes)" >&2
}

step() { sleep 0.3; }
