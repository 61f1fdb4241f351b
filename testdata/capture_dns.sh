#!/usr/bin/env bash
# capture_dns.sh records real DNS traffic between two network namespaces
# into testdata/pcaps/real_dns_basic.pcap (or the file given as $1).
#
# Two namespaces joined by a veth pair: the client 198.18.1.1/24 and
# 2001:db8:53::1/64, the server 198.18.1.53/24 and 2001:db8:53::53/64, with
# offloads off so every packet carries its real checksum, and no route out:
# nothing leaves the pair. The server runs dnsmasq, authoritative for the
# made-up zone weir.test (NXDOMAIN for anything else in it) and its reverse
# zone; the client runs dig: A, AAAA, MX, TXT with two strings, SRV, PTR, a
# CNAME chain, NXDOMAIN, an empty answer, a long tunnel-like name, over UDP
# (IPv4 and IPv6) and TCP (three queries on one connection). tcpdump
# captures on the client's veth with snaplen 0. Everything is removed on
# exit, whatever the exit.
#
# Run as root: sudo testdata/capture_dns.sh. Needs iproute2, tcpdump,
# ethtool, dnsmasq (dnsmasq-base) and dig (dnsutils).
set -euo pipefail

if [[ $EUID -ne 0 ]]; then
	echo "capture_dns.sh: run as root (it creates network namespaces)" >&2
	exit 1
fi
for tool in ip tcpdump ethtool dnsmasq dig; do
	command -v "$tool" >/dev/null || { echo "capture_dns.sh: $tool not found" >&2; exit 1; }
done

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/pcaps/real_dns_basic.pcap}
mkdir -p "$(dirname "$out")"
out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")

NA=weir-dns-cli NB=weir-dns-srv # namespaces
VA=weir-dnsc0 VB=weir-dnss0     # veth ends
A4=198.18.1.1 B4=198.18.1.53
A6=2001:db8:53::1 B6=2001:db8:53::53

work=$(mktemp -d /tmp/weir-capture-dns.XXXXXX)
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
	# Whatever still runs inside the namespaces was started here.
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

# ---- the network ---------------------------------------------------------
ip netns add "$NA"
ip netns add "$NB"
ip link add "$VA" netns "$NA" type veth peer name "$VB" netns "$NB"
for side in A B; do
	ns=N$side; dev=V$side; a4=${side}4; a6=${side}6
	ns=${!ns}; dev=${!dev}; a4=${!a4}; a6=${!a6}
	ip netns exec "$ns" sysctl -qw \
		"net.ipv6.conf.$dev.router_solicitations=0" \
		"net.ipv6.conf.$dev.accept_ra=0" \
		"net.ipv6.conf.$dev.addr_gen_mode=1"
	ip -n "$ns" link set lo up
	ip -n "$ns" addr add "$a4/24" dev "$dev"
	ip -n "$ns" -6 addr add "$a6/64" dev "$dev" nodad
	ip -n "$ns" link set "$dev" up
	ip netns exec "$ns" ethtool -K "$dev" rx off tx off tso off gso off gro off >/dev/null 2>&1 ||
		echo "capture_dns.sh: ethtool could not turn every offload off on $dev" >&2
done

# ---- the server in NB ----------------------------------------------------
# No system configuration, no upstream, no /etc/hosts: only the records
# below. --local makes dnsmasq answer NXDOMAIN for other names in the zones.
ip netns exec "$NB" dnsmasq --keep-in-foreground --conf-file=/dev/null \
	--no-resolv --no-hosts --no-poll --bind-interfaces \
	--listen-address="$B4" --listen-address="$B6" --except-interface=lo \
	--user=root --group=root --pid-file="$work/dnsmasq.pid" \
	--log-facility="$work/dnsmasq.log" --log-queries \
	--local=/weir.test/ --local=/1.18.198.in-addr.arpa/ \
	--host-record=www.weir.test,198.18.1.80,2001:db8:53::80 \
	--host-record=mail.weir.test,198.18.1.25 \
	--host-record=sip.weir.test,198.18.1.60 \
	--cname=alias.weir.test,www.weir.test \
	--mx-host=weir.test,mail.weir.test,10 \
	--txt-record=txt.weir.test,"v=spf1 -all","hello world" \
	--srv-host=_sip._udp.weir.test,sip.weir.test,5060,0,5 &
pids+=($!)

wait_for() { # wait_for NS PROTO ADDR PORT: until something listens there
	for _ in $(seq 1 50); do
		if ip netns exec "$1" ss -Hln"$2" 2>/dev/null | grep -q "$3:$4 "; then return 0; fi
		sleep 0.1
	done
	echo "capture_dns.sh: nothing listens on $2 $3:$4" >&2
	return 1
}
wait_for "$NB" u "$B4" 53
wait_for "$NB" t "$B4" 53
wait_for "$NB" u "[$B6]" 53

# ---- capture -------------------------------------------------------------
rm -f "$out"
# Started with ip netns exec rather than inA so that $! is tcpdump itself.
ip netns exec "$NA" tcpdump -i "$VA" -s 0 -U -Z root -w "$out" 2>"$work/tcpdump.log" &
tcpdump_pid=$!
pids+=($tcpdump_pid)
for _ in $(seq 1 50); do
	grep -q "listening on" "$work/tcpdump.log" && break
	sleep 0.1
done

q() { inA dig +tries=1 +time=2 +nocookie "$@" >/dev/null || true; sleep 0.1; }

# UDP over IPv4.
q @"$B4" www.weir.test A
q @"$B4" www.weir.test AAAA
q @"$B4" alias.weir.test A
q @"$B4" weir.test MX
q @"$B4" txt.weir.test TXT
q @"$B4" _sip._udp.weir.test SRV
q @"$B4" -x 198.18.1.80
q @"$B4" nope.weir.test A
q @"$B4" mail.weir.test AAAA
# A long name of base32-looking labels, as DNS tunnels send.
q @"$B4" mfrggzdfmztwq2lknnwg23tpobyxe43uov3ho6dzpizdgnbvgy3tqojqgezt.gnbvgy3tqojqonrhi2lfnzsxgylmnfzxgzlsmvzgk3tfon2gs4mfrggzdfmzt.wq2lknnwg23tpobyxe43uov3ho6dzpiza.tunnel.weir.test TXT
# UDP over IPv6.
q -6 @"$B6" www.weir.test AAAA
# TCP: three queries on one connection (+keepopen), then one on its own.
q +tcp +keepopen @"$B4" www.weir.test A txt.weir.test TXT nope.weir.test A
q +tcp @"$B4" alias.weir.test A
sleep 0.5

# SIGTERM, not SIGINT: a background job of a script ignores SIGINT.
kill -TERM "$tcpdump_pid"
wait "$tcpdump_pid" 2>/dev/null || true
grep -E "packets (captured|dropped)" "$work/tcpdump.log" >&2 || true
echo "capture_dns.sh: wrote $out ($(stat -c %s "$out") bytes)" >&2
