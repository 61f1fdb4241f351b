#!/usr/bin/env bash
# capture_tls.sh records real TLS and DTLS sessions between two network
# namespaces into testdata/pcaps/real_tls_*.pcap (or into the directory
# given as $1):
#
#   real_tls_13.pcap   TLS 1.3: curl with ALPN h2 to nginx; openssl with
#                      ALPN http/1.1; a resumption with a PSK; a
#                      HelloRetryRequest (the client's key share is X25519,
#                      the server only takes P-256)
#   real_tls_12.pcap   TLS 1.2: curl with ALPN http/1.1 and several SNIs
#                      (exact, wildcard and unmatched names); session id and
#                      session ticket resumption; a client certificate; a
#                      handshake failure (no common cipher); a server that
#                      splits its handshake into 512-byte records
#   real_tls_dtls.pcap DTLS 1.2 with openssl
#
# Two namespaces joined by a veth pair, 198.18.1.1/24 on the client side
# and 198.18.1.2/24 on the server side, offloads off so every packet carries
# its real checksum, and no route out: nothing leaves the pair. The
# certificates (an ECDSA CA, ECDSA and RSA server certificates, a client
# certificate) are made afresh by each run. tcpdump captures on the
# client's veth with snaplen 0. Everything is removed on exit, whatever the
# exit.
#
# Run as root: sudo testdata/capture_tls.sh. Needs iproute2, tcpdump, curl,
# openssl, nginx (with the ssl and http_v2 modules), ethtool.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=netns.sh
. "$here/netns.sh"
netns_require curl openssl nginx

outdir=$(netns_outdir "${1:-$here/pcaps}")

NA=weir-tls-cli NB=weir-tls-srv # namespaces
VA=weir-tcli0 VB=weir-tsrv0      # veth ends
A4=198.18.1.1 B4=198.18.1.2

netns_begin weir-capture-tls
chmod 755 "$work" # nginx's worker runs as nobody and must read www/ and the keys
netns_pair

# ---- certificates ----------------------------------------------------------
pki=$work/pki
mkdir -p "$pki"
cd "$pki"
quiet() { "$@" >/dev/null 2>&1 || { echo "capture_tls.sh: failed: $*" >&2; exit 1; }; }
quiet openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout ca.key -out ca.pem -days 3650 -subj "/C=XX/O=Weir Test/CN=Weir Test CA"
# issue NAME SUBJECT SANS KEYOPTS...: a certificate signed by the CA
issue() {
	local name=$1 subj=$2 san=$3
	shift 3
	quiet openssl req -new -nodes "$@" -keyout "$name.key" -out "$name.csr" -subj "$subj"
	printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\n' "$san" >"$name.ext"
	quiet openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial \
		-days 3650 -extfile "$name.ext" -out "$name.pem"
	cat "$name.pem" ca.pem >"$name.chain.pem"
}
issue www "/C=XX/ST=Test State/O=Weir\, Inc./OU=Engineering+OU=Capture/CN=www.weir.test" \
	"DNS:www.weir.test,DNS:api.weir.test,DNS:*.wild.weir.test" -newkey ec -pkeyopt ec_paramgen_curve:P-256
issue rsa "/C=XX/O=Weir Test/CN=rsa.weir.test" "DNS:rsa.weir.test" -newkey rsa:2048
issue client "/C=XX/O=Weir Test/CN=client.weir.test/emailAddress=client@weir.test" \
	"email:client@weir.test" -newkey ec -pkeyopt ec_paramgen_curve:P-256
chmod 644 ./*
cd "$work"

# ---- servers in NB -------------------------------------------------------
mkdir -p "$work/www"
printf 'weir TLS capture\n' >"$work/www/index.html"
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
	server {
		listen $B4:443 ssl http2;
		ssl_certificate $pki/www.chain.pem;
		ssl_certificate_key $pki/www.key;
		ssl_protocols TLSv1.2 TLSv1.3;
		ssl_session_cache shared:weir:1m;
		root $work/www;
	}
}
EOF
ip netns exec "$NB" nginx -c "$work/nginx.conf" -e "$work/nginx-error.log" &
pids+=($!)
# TLS 1.2 with an RSA certificate, ECDHE-RSA and plain RSA suites only, a
# client certificate requested, 512-byte handshake records, no tickets
# (session id resumption).
ip netns exec "$NB" openssl s_server -quiet -accept "$B4:8443" -tls1_2 -no_ticket \
	-cert "$pki/rsa.pem" -key "$pki/rsa.key" -CAfile "$pki/ca.pem" -verify 1 \
	-cipher 'ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA' -max_send_frag 512 </dev/null >/dev/null 2>&1 &
pids+=($!)
# TLS 1.2 with session tickets.
ip netns exec "$NB" openssl s_server -quiet -accept "$B4:8444" -tls1_2 \
	-cert "$pki/rsa.pem" -key "$pki/rsa.key" </dev/null >/dev/null 2>&1 &
pids+=($!)
# TLS 1.3 that only takes P-256: a client offering an X25519 key share gets
# a HelloRetryRequest.
ip netns exec "$NB" openssl s_server -quiet -accept "$B4:4443" -tls1_3 -groups P-256 \
	-cert "$pki/www.pem" -key "$pki/www.key" -alpn http/1.1 </dev/null >/dev/null 2>&1 &
pids+=($!)
# DTLS 1.2.
ip netns exec "$NB" openssl s_server -quiet -dtls1_2 -accept "$B4:4433" \
	-cert "$pki/www.pem" -key "$pki/www.key" </dev/null >/dev/null 2>&1 &
pids+=($!)

wait_for t "$B4" 443
wait_for t "$B4" 8443
wait_for t "$B4" 8444
wait_for t "$B4" 4443
wait_for u "$B4" 4433

# ---- capture -------------------------------------------------------------
# Each file has its own tcpdump, started before and stopped after its
# sessions.
# client ARGS...: openssl s_client that stays half a second, so that TLS
# 1.3 tickets arrive before it leaves.
client() { (sleep 0.5) | inA openssl s_client -brief -CAfile "$pki/ca.pem" "$@" >/dev/null 2>&1 || true; }
curlc() { inA curl -sS -o /dev/null --cacert "$pki/ca.pem" "$@" 2>/dev/null || true; }

start_capture "$outdir/real_tls_13.pcap"
curlc --http2 --resolve "www.weir.test:443:$B4" https://www.weir.test/
step
client -connect "$B4:4443" -servername www.weir.test -alpn http/1.1 -groups X25519:P-256
step
client -connect "$B4:443" -tls1_3 -servername api.weir.test -sess_out "$work/s13"
step
client -connect "$B4:443" -tls1_3 -servername api.weir.test -sess_in "$work/s13"
stop_capture "$outdir/real_tls_13.pcap" 1

start_capture "$outdir/real_tls_12.pcap"
curlc --http1.1 --tls-max 1.2 --resolve "api.weir.test:443:$B4" https://api.weir.test/
step
curlc --http1.1 --tls-max 1.2 --resolve "x.wild.weir.test:443:$B4" https://x.wild.weir.test/
step
curlc -k --http1.1 --tls-max 1.2 --resolve "nomatch.weir.test:443:$B4" https://nomatch.weir.test/
step
client -connect "$B4:8443" -servername rsa.weir.test -cert "$pki/client.pem" -key "$pki/client.key" -sess_out "$work/s12"
step
client -connect "$B4:8443" -servername rsa.weir.test -sess_in "$work/s12"
step
client -connect "$B4:8443" -servername rsa.weir.test -cipher AES256-SHA256
step
client -connect "$B4:8444" -servername rsa.weir.test -sess_out "$work/t12"
step
client -connect "$B4:8444" -servername rsa.weir.test -sess_in "$work/t12"
stop_capture "$outdir/real_tls_12.pcap" 1

start_capture "$outdir/real_tls_dtls.pcap"
client -dtls1_2 -connect "$B4:4433" -servername www.weir.test
stop_capture "$outdir/real_tls_dtls.pcap" 1
