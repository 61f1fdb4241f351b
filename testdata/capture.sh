#!/usr/bin/env bash
# capture.sh records real traffic between two network namespaces into
# testdata/pcaps/real_mixed.pcap (or the file given as $1).
#
# Two namespaces joined by a veth pair, 198.18.0.1/24 + 2001:db8:1::1/64 on
# the client side and 198.18.0.2/24 + 2001:db8:1::2/64 on the server side,
# offloads off so every packet carries its real checksum, and no route out:
# nothing leaves the pair. The server side runs nginx (python3 -m http.server
# if nginx is missing) and netcat listeners; the client side runs curl with
# keep-alive, a raw TCP exchange and a UDP datagram with nc, ping and ping -6,
# and a connection to a closed port. tcpdump captures on the client's veth
# with snaplen 0 (whole frames). Everything is removed on exit, whatever the
# exit.
#
# Run as root: sudo testdata/capture.sh. Needs iproute2, tcpdump, curl,
# netcat-openbsd, iputils-ping, ethtool; nginx or python3.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=netns.sh
. "$here/netns.sh"
netns_require curl nc ping

out=$(netns_outfile "${1:-$here/pcaps/real_mixed.pcap}")

NA=weir-cap-cli NB=weir-cap-srv   # namespaces
VA=weir-cli0 VB=weir-srv0         # veth ends
A4=198.18.0.1 B4=198.18.0.2
A6=2001:db8:1::1 B6=2001:db8:1::2

netns_begin weir-capture
chmod 755 "$work" # nginx's worker runs as nobody and must read www/
netns_pair

# ---- servers in NB -------------------------------------------------------
www=$work/www
mkdir -p "$www"
cat >"$www/index.html" <<'EOF'
<!doctype html>
<html><head><title>weir capture</title></head>
<body><p>Served inside a network namespace for weir's test captures.</p></body></html>
EOF
printf 'User-agent: *\nDisallow:\n' >"$www/robots.txt"
# 20 000 bytes of numbered lines: several full-sized segments.
for i in $(seq 1 400); do printf 'weir capture line %05d abcdefghijklmnopqrstu\n' "$i"; done | head -c 20000 >"$www/data.txt"

if command -v nginx >/dev/null; then
	cat >"$work/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $work/body;
	proxy_temp_path $work/proxy;
	fastcgi_temp_path $work/fastcgi;
	uwsgi_temp_path $work/uwsgi;
	scgi_temp_path $work/scgi;
	default_type text/plain;
	keepalive_timeout 5s;
	server {
		listen $B4:80;
		listen [$B6]:80;
		root $www;
	}
}
EOF
	ip netns exec "$NB" nginx -c "$work/nginx.conf" -e "$work/nginx-error.log" &
	pids+=($!)
else
	(cd "$www" && exec ip netns exec "$NB" python3 -m http.server --bind "$B4" 80) >/dev/null 2>&1 &
	pids+=($!)
	(cd "$www" && exec ip netns exec "$NB" python3 -m http.server --bind "$B6" 80) >/dev/null 2>&1 &
	pids+=($!)
fi

# A raw TCP exchange on 9000: the server answers one line and closes after
# the client's line (-N: shut down the socket on end of input).
(printf 'hello from the server\n' | inB nc -N -l "$B4" 9000 >"$work/tcp.txt") &
pids+=($!)
# A UDP listener on 9001 that answers the first datagram.
(printf 'udp reply from the server\n' | inB timeout 10 nc -u -l "$B4" 9001 >"$work/udp.txt") &
pids+=($!)

wait_for t "$B4" 80
wait_for t "[$B6]" 80
wait_for t "$B4" 9000
wait_for u "$B4" 9001

# ---- capture -------------------------------------------------------------
start_capture "$out"

# HTTP over IPv4: three requests on one kept-alive connection.
inA curl -sS -o /dev/null -o /dev/null -o /dev/null \
	"http://$B4/" "http://$B4/data.txt" "http://$B4/robots.txt"
step
# HTTP over IPv6: two requests on one connection.
inA curl -sS -g -o /dev/null -o /dev/null "http://[$B6]/" "http://[$B6]/robots.txt"
step
# Raw TCP: one line each way, then both sides close.
printf 'hello from the client\n' | inA nc -N -w 3 "$B4" 9000 >"$work/tcp-client.txt" || true
step
# One UDP datagram, answered once.
printf 'udp datagram from the client\n' | inA nc -u -w 1 "$B4" 9001 >"$work/udp-client.txt" || true
step
# ICMP and ICMPv6 echo.
inA ping -q -c 3 -i 0.2 "$B4" >/dev/null
inA ping -6 -q -c 3 -i 0.2 "$B6" >/dev/null
step
# A closed port: SYN answered by RST.
inA curl -sS --max-time 2 -o /dev/null "http://$B4:81/" 2>/dev/null || true
stop_capture "$out" 1
