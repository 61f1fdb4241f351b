#!/usr/bin/env bash
# Installs what building and testing weir needs on Debian/Ubuntu, if missing:
# a C compiler and libpcap headers (tcpdump-syntax filters are compiled by
# libpcap), tcpdump (reference for benchmarks and capture tests) and zstd.
# Go itself must be 1.26 or newer; this script says so if it is not.
set -euo pipefail

need=()
command -v gcc >/dev/null || need+=(gcc)
command -v make >/dev/null || need+=(make)
[[ -f /usr/include/pcap/pcap.h || -f /usr/include/pcap.h ]] || need+=(libpcap-dev)
command -v tcpdump >/dev/null || need+=(tcpdump)
command -v zstd >/dev/null || need+=(zstd)
command -v ip >/dev/null || need+=(iproute2)

if ((${#need[@]})); then
  echo "setup: installing ${need[*]}" >&2
  sudo=""
  if [[ $(id -u) != 0 ]]; then
    command -v sudo >/dev/null || { echo "setup: need root or sudo to install ${need[*]}" >&2; exit 1; }
    sudo=sudo
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

GO=${GO:-go}
if ! command -v "$GO" >/dev/null; then
  if [[ -x /usr/local/go/bin/go ]]; then
    echo "setup: Go is at /usr/local/go/bin but not on PATH; add it: export PATH=\$PATH:/usr/local/go/bin" >&2
  else
    echo "setup: Go 1.26 or newer is needed: https://go.dev/doc/install (Debian's golang package is too old)" >&2
  fi
  exit 1
fi
v=$("$GO" env GOVERSION | sed 's/^go//')
major=${v%%.*}; rest=${v#*.}; minor=${rest%%.*}
if (( major < 1 || (major == 1 && minor < 26) )); then
  echo "setup: Go $v is too old; weir needs Go 1.26 or newer" >&2
  exit 1
fi
