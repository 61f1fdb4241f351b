#!/usr/bin/env bash
# capture_http_ssh.sh records real HTTP and SSH traffic between two network
# namespaces into testdata/pcaps (or the directory given as $1):
#
#   real_http_curl.pcap          curl against nginx: three GETs on one
#                                kept-alive connection (one answered 404),
#                                a gzip-compressed chunked reply, a POST with
#                                a body and Basic authorization, a HEAD, an
#                                HTTP/1.0 request
#   real_http_pipelined.pcap     three requests pipelined in one segment with
#                                printf | nc, the last with Connection: close
#   real_ssh_key.pcap            ssh with a key login running one command
#   real_ssh_password_fail.pcap  three wrong passwords on one connection (ssh
#                                with an askpass program), then one more
#                                with sshpass on a second connection
#
# Two namespaces joined by a veth pair, 198.18.2.1/24 on the client side and
# 198.18.2.2/24 on the server side, offloads off so every packet carries its
# real checksum, and no route out: nothing leaves the pair. The server side
# runs nginx and sshd from temporary configurations (sshd with its own host
# key, and an authorized_keys file only its configuration names: no account
# is changed); tcpdump captures on the client's veth with snaplen 0. Every
# namespace, process and temporary file is removed on exit, whatever the
# exit.
#
# Run as root: sudo testdata/capture_http_ssh.sh. Needs iproute2, tcpdump,
# curl, netcat-openbsd, ethtool, nginx, openssh-server, openssh-client,
# sshpass.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=netns.sh
. "$here/netns.sh"
netns_require curl nc nginx ssh ssh-keygen sshpass
SSHD=/usr/sbin/sshd
[[ -x $SSHD ]] || { echo "capture_http_ssh.sh: $SSHD not found" >&2; exit 1; }

outdir=$(netns_outdir "${1:-$here/pcaps}")

NA=weir-hs-cli NB=weir-hs-srv # namespaces
VA=weir-hsc0 VB=weir-hss0     # veth ends
A4=198.18.2.1 B4=198.18.2.2

netns_begin weir-capture-hs
chmod 755 "$work" # nginx's worker runs as nobody and must read www/
made_run_sshd=
netns_cleanup_hook() { # called by cleanup on exit
	if [[ -n $made_run_sshd ]]; then rmdir /run/sshd 2>/dev/null; fi
}
netns_pair

# ---- servers in NB -------------------------------------------------------
www=$work/www
mkdir -p "$www"
cat >"$www/index.html" <<'EOF'
<!doctype html>
<html><head><title>weir capture</title></head>
<body><p>Served inside a network namespace for weir's HTTP test captures.</p></body></html>
EOF
printf 'User-agent: *\nDisallow:\n' >"$www/robots.txt"
# 30 000 bytes of numbered lines: compressed and sent chunked.
for i in $(seq 1 600); do printf 'weir capture line %05d abcdefghijklmnopqrstu\n' "$i"; done | head -c 30000 >"$www/data.txt"

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
	types { text/html html; text/plain txt; }
	keepalive_timeout 5s;
	gzip on;
	gzip_min_length 1000;
	gzip_types text/plain;
	server {
		listen $B4:80;
		root $www;
		location = /submit { return 201 "stored\n"; }
	}
}
EOF
ip netns exec "$NB" nginx -c "$work/nginx.conf" -e "$work/nginx-error.log" &
pids+=($!)

# sshd from a temporary configuration: its own host key, root logins by
# key from a temporary authorized_keys, passwords allowed (to fail).
ssh-keygen -q -t ed25519 -N '' -f "$work/host_key" -C weir-capture-host
ssh-keygen -q -t ed25519 -N '' -f "$work/client_key" -C weir-capture-client
cp "$work/client_key.pub" "$work/authorized_keys"
if [[ ! -d /run/sshd ]]; then
	mkdir -p /run/sshd
	made_run_sshd=1
fi
cat >"$work/sshd_config" <<EOF
ListenAddress $B4
Port 22
HostKey $work/host_key
PidFile $work/sshd.pid
AuthorizedKeysFile $work/authorized_keys
StrictModes no
PermitRootLogin yes
PubkeyAuthentication yes
PasswordAuthentication yes
KbdInteractiveAuthentication no
UsePAM no
UseDNS no
MaxAuthTries 6
Banner none
PrintMotd no
EOF
ip netns exec "$NB" "$SSHD" -D -e -f "$work/sshd_config" 2>"$work/sshd.log" &
pids+=($!)

wait_for t "$B4" 80
wait_for t "$B4" 22

# ---- capture -------------------------------------------------------------

# HTTP with curl.
f=$outdir/real_http_curl.pcap
start_capture "$f" "tcp port 80"
# Three GETs on one kept-alive connection, the last one a 404.
inA curl -sS -o /dev/null -o /dev/null -o /dev/null \
	"http://$B4/" "http://$B4/robots.txt" "http://$B4/missing.html"
step
# A compressed reply: gzip, sent chunked.
inA curl -sS --compressed -o /dev/null "http://$B4/data.txt"
step
# A POST with a body and Basic authorization.
inA curl -sS -o /dev/null -u 'weir:capture-pass' -H 'Content-Type: application/json' \
	--data-binary '{"scenario": "post with a body", "n": 1}' "http://$B4/submit"
step
# A HEAD request and an HTTP/1.0 request.
inA curl -sS -o /dev/null -I "http://$B4/index.html"
step
inA curl -sS -o /dev/null --http1.0 -A 'weir-capture/1.0' "http://$B4/robots.txt"
stop_capture "$f" 0.5

# Three requests pipelined in one write.
f=$outdir/real_http_pipelined.pcap
start_capture "$f" "tcp port 80"
printf 'GET / HTTP/1.1\r\nHost: %s\r\nUser-Agent: printf-nc\r\n\r\nGET /robots.txt HTTP/1.1\r\nHost: %s\r\nUser-Agent: printf-nc\r\n\r\nGET /missing HTTP/1.1\r\nHost: %s\r\nUser-Agent: printf-nc\r\nConnection: close\r\n\r\n' \
	"$B4" "$B4" "$B4" | inA nc -q 3 -w 3 "$B4" 80 >/dev/null || true
stop_capture "$f" 0.5

# SSH with a key login running one command.
sshopts=(-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR
	-o ConnectTimeout=5 -o GlobalKnownHostsFile=/dev/null)
f=$outdir/real_ssh_key.pcap
start_capture "$f" "tcp port 22"
inA ssh "${sshopts[@]}" -o BatchMode=yes -o PasswordAuthentication=no \
	-i "$work/client_key" "root@$B4" 'echo weir capture' >/dev/null
stop_capture "$f" 0.5

# SSH with wrong passwords: three on one connection (an askpass program
# answers every prompt; sshpass gives up after the first), then sshpass.
printf '#!/bin/sh\necho not-the-password\n' >"$work/askpass"
chmod 755 "$work/askpass"
f=$outdir/real_ssh_password_fail.pcap
start_capture "$f" "tcp port 22"
inA env SSH_ASKPASS="$work/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY=none \
	ssh "${sshopts[@]}" -o PubkeyAuthentication=no -o PreferredAuthentications=password \
	-o NumberOfPasswordPrompts=3 "root@$B4" true </dev/null 2>/dev/null || true
step
inA sshpass -p 'not-the-password' ssh "${sshopts[@]}" -o PubkeyAuthentication=no \
	-o PreferredAuthentications=password "root@$B4" true 2>/dev/null || true
stop_capture "$f" 0.5
