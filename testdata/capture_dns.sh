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

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=netns.sh
. "$here/netns.sh"
netns_require dnsmasq dig

out=$(netns_outfile "${1:-$here/pcaps/real_dns_basic.pcap}")

NA=weir-dns-cli NB=weir-dns-srv # namespaces
VA=weir-dnsc0 VB=weir-dnss0     # veth ends
A4=198.18.1.1 B4=198.18.1.53
A6=2001:db8:53::1 B6=2001:db8:53::53

netns_begin weir-capture-dns
netns_pair

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

wait_for u "$B4" 53
wait_for t "$B4" 53
wait_for u "[$B6]" 53

# ---- capture -------------------------------------------------------------
start_capture "$out"

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
stop_capture "$out" 0.5
