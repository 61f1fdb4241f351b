package decode

import (
	"testing"

	"github.com/gopacket/gopacket/layers"
	"github.com/weirnet/weir/sources"
)

// The hot path allocates nothing: not per packet, and not in fragment
// reassembly once its buffers and bookkeeping have been made.
func TestDecodeDoesNotAllocate(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	dg := bigUDP4(t, 3000, 42)
	frags := fragV4(dg, even(len(dg)-20, 1480)...)
	dg6 := bigUDP6(t, 3000, true)
	frags6 := fragV6(dg6, 48, 40, even(len(dg6)-48, 1232)...)
	cases := map[string][][]byte{
		"ethernet ipv4 tcp": {ethernet(0x0800, ipv4TCP(t, []byte("GET / HTTP/1.1\r\n\r\n")))},
		"ethernet ipv6 udp": {ethernet(0x86DD, ipv6UDP(t, []byte("query")))},
		"vlan":              {ethernet(0x8100, cat(u16(100), u16(0x0800), ipv4TCP(t, nil)))},
		"qinq":              {ethernet(0x88A8, cat(u16(1), u16(0x8100), u16(2), u16(0x86DD), ipv6UDP(t, nil)))},
		"ipv4 fragments":    frags,
		"ipv6 fragments":    frags6,
		"weird":             {ethernet(0x0800, ipv4TCP(t, nil)[:30])},
	}
	for name, frames := range cases {
		t.Run(name, func(t *testing.T) {
			d := NewDecoder(DefaultConfig())
			p := &Packet{Link: sources.LinkEthernet}
			if len(frames) > 1 {
				p.Link = sources.LinkRaw
			}
			var ts int64
			run := func() {
				for _, fr := range frames {
					ts += 1000
					p.TS, p.Data, p.WireLen = ts, fr, len(fr)
					d.Decode(p)
				}
			}
			run()
			if len(frames) > 1 && (p.Status != OK || !p.Reassembled) {
				t.Fatalf("not reassembled: %v %q", p.Status, p.Weird)
			}
			if n := testing.AllocsPerRun(200, run); n != 0 {
				t.Fatalf("%v allocations per run", n)
			}
		})
	}
}

// Decapsulation allocates nothing either: Decode and DecodeInner on VXLAN,
// GRE, nested tunnels, and GTP whose outer datagram is reassembled.
func TestDecodeInnerDoesNotAllocate(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	v4 := ipv4TCP(t, []byte("GET / HTTP/1.1\r\n\r\n"))
	vxlan := ethernet(0x0800, udpOver(t, 49152, 4789, cat(vxlanHdr(7), ethernet(0x0800, v4))))
	gre := ethernet(0x0800, ipOver(t, layers.IPProtocolGRE, cat(greHdr(0x2000, 0x0800, 1), v4)))
	nested := ethernet(0x0800, ipOver(t, layers.IPProtocolGRE, cat(greHdr(0, 0x0800), udpOver(t, 49152, 4789,
		cat(vxlanHdr(7), ethernet(0x0800, v4))))))
	gtp := udpOver(t, 2152, 2152, gtpHdr(t, 3, bigUDP4(t, 2000, 9)))
	gtpFrags := fragV4(gtp, even(len(gtp)-20, 1480)...)
	cases := map[string]struct {
		link   uint32
		frames [][]byte
		depth  int
	}{
		"vxlan":         {sources.LinkEthernet, [][]byte{vxlan}, 1},
		"gre":           {sources.LinkEthernet, [][]byte{gre}, 1},
		"gre vxlan":     {sources.LinkEthernet, [][]byte{nested}, 2},
		"gtp fragments": {sources.LinkRaw, gtpFrags, 1},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			d := NewDecoder(DefaultConfig())
			p := &Packet{Link: c.link}
			var in [2]Packet
			var ts int64
			depth := 0
			run := func() {
				for _, fr := range c.frames {
					ts += 1000
					p.TS, p.Data, p.WireLen = ts, fr, len(fr)
					d.Decode(p)
					outer := p
					for depth = 0; outer.InnerFrame() != nil; depth++ {
						d.DecodeInner(outer, &in[depth%2])
						outer = &in[depth%2]
					}
				}
			}
			run()
			if depth != c.depth || in[(depth-1)%2].Status != OK {
				t.Fatalf("depth %d (want %d), innermost %v", depth, c.depth, in[(depth-1)%2].Status)
			}
			if n := testing.AllocsPerRun(200, run); n != 0 {
				t.Fatalf("%v allocations per run", n)
			}
		})
	}
}
