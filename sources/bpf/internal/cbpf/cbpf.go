//go:build cgo

// Package cbpf runs a BPF program with libpcap's own interpreter,
// bpf_filter. It is the reference the Go interpreter in package bpf is
// tested against, and is used by nothing else.
package cbpf

/*
#cgo LDFLAGS: -lpcap
#include <pcap.h>
*/
import "C"

import (
	"unsafe"

	"golang.org/x/net/bpf"
)

// Program is a program in libpcap's memory layout.
type Program []C.struct_bpf_insn

// New converts raw instructions.
func New(raw []bpf.RawInstruction) Program {
	p := make(Program, len(raw))
	for i, r := range raw {
		p[i] = C.struct_bpf_insn{code: C.u_short(r.Op), jt: C.u_char(r.Jt), jf: C.u_char(r.Jf), k: C.bpf_u_int32(r.K)}
	}
	return p
}

// Valid reports whether libpcap's bpf_validate accepts the program.
func (p Program) Valid() bool {
	return len(p) > 0 && C.bpf_validate(&p[0], C.int(len(p))) != 0
}

// Run returns libpcap's verdict for a packet: the snap length to keep, 0
// to reject.
func (p Program) Run(pkt []byte, wireLen uint32) uint32 {
	var data *C.u_char
	if len(pkt) > 0 {
		data = (*C.u_char)(unsafe.Pointer(&pkt[0]))
	} else {
		var zero C.u_char
		data = &zero
	}
	return uint32(C.bpf_filter(&p[0], data, C.u_int(wireLen), C.u_int(len(pkt))))
}
