//go:build !cgo

package bpf

import "golang.org/x/net/bpf"

// Without cgo there is no libpcap to compile with; every Compile fails
// with a message that says why, rather than the build failing.
func compile(expr string, link uint32, snaplen int, bigEndian bool) ([]bpf.RawInstruction, string) {
	return nil, "weir was built without cgo, and filters are compiled by libpcap"
}

func linkName(uint32) string { return "" }
