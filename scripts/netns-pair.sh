#!/usr/bin/env bash
# netns-pair.sh creates (up) or removes (down) two network namespaces
# joined by a veth pair, for trying live capture by hand, the way the tests
# in sources/afpacket and sources/live do:
#
#   weir-a (weir-a0: 198.18.0.1/24, 2001:db8::1/64)  <->  weir-b (weir-b0: 198.18.0.2/24, 2001:db8::2/64)
#
# Offloads are off, so frames are captured as they are on the wire. Nothing
# is routed out of the pair. Then, for example:
#
#   ip netns exec weir-b bin/analyzer -i weir-b0 -o /tmp/logs &
#   ip netns exec weir-a ping -c 3 198.18.0.2
#   ip netns exec weir-a curl http://198.18.0.2:8080/
#
# Usage (as root): scripts/netns-pair.sh up|down [PREFIX]   (PREFIX defaults to weir)
set -euo pipefail
cmd=${1:-}
pfx=${2:-weir}
NA=$pfx-a NB=$pfx-b IA=${pfx}-a0 IB=${pfx}-b0

if [[ $EUID -ne 0 ]]; then
	echo "netns-pair.sh: run as root" >&2
	exit 1
fi

case $cmd in
up)
	ip netns add "$NA"
	ip netns add "$NB"
	ip -n "$NA" link add "$IA" type veth peer name "$IB" netns "$NB"
	for side in "$NA $IA 198.18.0.1 2001:db8::1" "$NB $IB 198.18.0.2 2001:db8::2"; do
		read -r ns ifc a4 a6 <<<"$side"
		ip -n "$ns" link set lo up
		ip -n "$ns" addr add "$a4/24" dev "$ifc"
		ip -n "$ns" addr add "$a6/64" dev "$ifc" nodad
		if command -v ethtool >/dev/null; then
			ip netns exec "$ns" ethtool -K "$ifc" tx off rx off tso off gso off gro off >/dev/null 2>&1 || true
		fi
		ip -n "$ns" link set "$ifc" up
	done
	echo "namespaces $NA ($IA) and $NB ($IB) are up"
	;;
down)
	for ns in "$NA" "$NB"; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
		ip netns del "$ns" 2>/dev/null || true
	done
	echo "namespaces $NA and $NB are gone"
	;;
*)
	echo "usage: $0 up|down [PREFIX]" >&2
	exit 2
	;;
esac
