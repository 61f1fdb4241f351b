package decode

import (
	"testing"

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
