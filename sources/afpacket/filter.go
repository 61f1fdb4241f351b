package afpacket

import (
	"golang.org/x/net/bpf"

	"github.com/weirnet/weir/sources"
	sbpf "github.com/weirnet/weir/sources/bpf"
)

// kernelFilter returns the program to attach to the socket and, for an
// expression on Ethernet, the filter that decides in user space about
// VLAN-tagged frames.
//
// Linux takes the 802.1Q tag out of a frame before a packet socket sees it
// (it is kept aside, and the ring reports it), so a program compiled for
// the frame as a file holds it, with the tag in place, would judge such
// frames wrongly: "vlan 10" would never match. The kernel program therefore
// starts by accepting every tagged frame; Next puts the tag back and runs
// the expression on the frame as tcpdump -r would see it. Untagged frames,
// the usual case, are judged in the kernel alone.
//
// Every program returns at most snaplen, so the kernel copies no more
// than that into the ring.
func kernelFilter(cfg *Config, link uint32, snaplen int) ([]bpf.RawInstruction, *sbpf.Filter, error) {
	retSnap := must(bpf.RetConstant{Val: uint32(snaplen)}.Assemble())
	switch {
	case cfg.Program != nil:
		return cfg.Program, nil, nil
	case cfg.Filter == "":
		return []bpf.RawInstruction{retSnap}, nil, nil
	}
	f, err := sbpf.Compile(cfg.Filter, link, snaplen)
	if err != nil {
		return nil, nil, err
	}
	prog := f.Instructions()
	if link != sources.LinkEthernet {
		return prog, nil, nil
	}
	out := make([]bpf.RawInstruction, 0, len(prog)+3)
	out = append(out,
		must(bpf.LoadExtension{Num: bpf.ExtVLANTagPresent}.Assemble()),
		must(bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0, SkipTrue: 1}.Assemble()),
		retSnap,
	)
	return append(out, prog...), f, nil
}

// must is for instructions whose assembly cannot fail.
func must(ri bpf.RawInstruction, err error) bpf.RawInstruction {
	if err != nil {
		panic(err)
	}
	return ri
}
