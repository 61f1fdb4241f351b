package decode

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/gopacket/gopacket/layers"
	"github.com/weirnet/weir/sources"
)

// fuzzLinks maps the first byte of a fuzz input to a link type.
var fuzzLinks = [...]uint32{
	sources.LinkEthernet, sources.LinkRaw, sources.LinkRawOld, sources.LinkRawOld2, sources.LinkIPv4,
	sources.LinkIPv6, sources.LinkSLL, sources.LinkSLL2, sources.LinkNull, sources.LinkLoop,
	sources.LinkPPP, sources.LinkNFLOG,
}

func fuzzInput(link uint32, frame []byte) []byte {
	for i, l := range fuzzLinks {
		if l == link {
			return append([]byte{byte(i)}, frame...)
		}
	}
	panic("no fuzz index for link type")
}

// fuzzSeeds are a few valid frames of each link type and of each kind of
// IP packet, fragments included.
func fuzzSeeds(tb testing.TB) [][]byte {
	v4 := ipv4TCP(tb, []byte("GET / HTTP/1.1\r\n\r\n"))
	v6 := ipv6UDP(tb, []byte("dns?"))
	u4 := ipv4UDP(tb, []byte("x"))
	dg := bigUDP4(tb, 600, 3)
	frs := fragV4(dg, piece{off: 0, n: 304}, piece{off: 304, n: len(dg) - 20 - 304})
	dg6 := bigUDP6(tb, 600, true)
	frs6 := fragV6(dg6, 48, 40, piece{off: 0, n: 304}, piece{off: 304, n: len(dg6) - 48 - 304})
	ext6 := ipv6Ext(tb, 0, [][]byte{{0, 0, 1, 4, 0, 0, 0, 0}}, []uint8{0}, 17, v6[40:])

	sll := func(proto uint16, rest []byte) []byte {
		return cat(u16(0), u16(1), u16(6), mac1, []byte{0, 0}, u16(proto), rest)
	}
	sll2 := func(proto uint16, rest []byte) []byte {
		return cat(u16(proto), u16(0), u32(3), u16(1), []byte{0, 6}, mac1, []byte{0, 0}, rest)
	}
	nflog := func(fam byte, ip []byte) []byte {
		return cat([]byte{fam, 0}, u16(0), le16(8), le16(1), u32(0x0800), le16(uint16(4+len(ip))), le16(9), ip)
	}
	var seeds [][]byte
	add := func(link uint32, frames ...[]byte) {
		for _, fr := range frames {
			seeds = append(seeds, fuzzInput(link, fr))
		}
	}
	add(sources.LinkEthernet,
		ethernet(0x0800, v4), ethernet(0x86DD, v6), ethernet(0x0800, frs[0]), ethernet(0x0800, frs[1]),
		ethernet(0x8100, cat(u16(100), u16(0x0800), u4)),
		ethernet(0x88A8, cat(u16(1), u16(0x8100), u16(2), u16(0x86DD), v6)),
		ethernet(0x8847, cat(u32(100<<12|1<<8|64), v4)),
		ethernet(0x8864, cat([]byte{0x11, 0}, u16(1), u16(uint16(len(v4)+2)), u16(0x0021), v4)),
		ethernet(uint16(8+len(v4)), cat([]byte{0xAA, 0xAA, 0x03, 0, 0, 0}, u16(0x0800), v4)),
		ethernet(0x0806, make([]byte, 28)))
	add(sources.LinkRaw, v4, v6, u4, frs[0], frs[1], frs6[0], frs6[1], ext6)
	add(sources.LinkRawOld, v4)
	add(sources.LinkRawOld2, v6)
	add(sources.LinkIPv4, u4)
	add(sources.LinkIPv6, ext6)
	add(sources.LinkSLL, sll(0x0800, v4), sll(0x86DD, v6))
	add(sources.LinkSLL2, sll2(0x0800, u4), sll2(0x86DD, v6))
	add(sources.LinkNull, cat(le32(2), v4), cat(le32(30), v6))
	add(sources.LinkLoop, cat(u32(2), u4), cat(u32(24), v6))
	add(sources.LinkPPP, cat([]byte{0xFF, 0x03}, u16(0x0021), v4), cat(u16(0x0057), v6))
	add(sources.LinkNFLOG, nflog(2, v4), nflog(10, v6))

	// Tunnels, one of each kind and a nested one.
	gre := func(payload []byte) []byte { return ethernet(0x0800, ipOver(tb, layers.IPProtocolGRE, payload)) }
	udp := func(sport, dport uint16, payload []byte) []byte {
		return ethernet(0x0800, udpOver(tb, sport, dport, payload))
	}
	eth4 := ethernet(0x0800, v4)
	add(sources.LinkEthernet,
		ethernet(0x0800, ipOver(tb, layers.IPProtocolIPv4, v4)),
		ethernet(0x0800, ipOver(tb, layers.IPProtocolIPv6, v6)),
		gre(cat(greHdr(0x2000, 0x0800, 7), v4)),
		gre(cat(greHdr(0, 0x6558), eth4)),
		gre(cat(greHdr(0x3081, 0x880B, uint32(len(v6)+4)<<16|1, 2, 1), pppHdr(0x0057), v6)),
		gre(cat(greHdr(0x1000, 0x88BE, 1), erspan2Hdr(3), eth4)),
		gre(cat(greHdr(0x1000, 0x22EB, 1), erspan3Hdr(3, true), eth4)),
		udp(49152, 4789, cat(vxlanHdr(1), eth4)),
		udp(49152, 6081, cat(geneveHdr(0x6558, 1, geneveOpt(1, 1, make([]byte, 4))), eth4)),
		udp(40000, 3544, cat(teredoAuth([]byte("id"), []byte("au")), teredoOrigin(1, tun4a), v6)),
		udp(40000, 5072, cat(ayiyaHdr(1, 41), v6)),
		udp(2152, 2152, gtpHdr(tb, 1, v4, layers.GTPExtensionHeader{Type: 0x85, Content: []byte{0, 1}})),
		udp(50000, 4754, cat(greHdr(0, 0x0800), u4)),
		gre(cat(greHdr(0, 0x0800), udpOver(tb, 49152, 4789, cat(vxlanHdr(1), ethernet(0x0800,
			ipOver(tb, layers.IPProtocolIPv4, v4)))))),
	)
	return seeds
}

var updateCorpus = flag.Bool("update-corpus", false, "rewrite testdata/fuzz/FuzzDecode from fuzzSeeds")

// TestFuzzCorpus keeps the checked-in seed corpus in step with fuzzSeeds:
// run with -update-corpus after changing them.
func TestFuzzCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzDecode")
	seeds := fuzzSeeds(t)
	if *updateCorpus {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for i, s := range seeds {
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s)
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%02d", i)), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < len(seeds) {
		t.Fatalf("%s has %d files, want at least %d: run go test -run FuzzCorpus -update-corpus", dir, len(entries), len(seeds))
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		link := fuzzLinks[int(in[0])%len(fuzzLinks)]
		frame := in[1:]
		orig := append([]byte(nil), frame...)

		cfg := DefaultConfig()
		cfg.MaxFragDatagrams = 4
		checking := NewDecoder(cfg)
		cfg.CheckChecksums = false
		lax := NewDecoder(cfg)
		var inner [2]Packet
		for i := range 3 {
			// Twice more, so that a fragment meets itself (overlap) and
			// the second decoder sees a packet after the first.
			for _, d := range []*Decoder{checking, lax} {
				p := &Packet{TS: int64(i), Link: link, Data: frame, WireLen: len(frame) + i*8}
				d.Decode(p)
				checkInvariants(t, p)
				// Decapsulate as deep as the decoder goes.
				outer := p
				for depth := 0; outer.InnerFrame() != nil; depth++ {
					if depth >= MaxTunnelDepth {
						t.Fatalf("decapsulated %d deep", depth+1)
					}
					in := &inner[depth%2]
					d.DecodeInner(outer, in)
					checkInvariants(t, in)
					if in.Encap.Len() != depth+1 {
						t.Fatalf("inner depth %d at level %d", in.Encap.Len(), depth+1)
					}
					outer = in
				}
			}
		}
		if !bytes.Equal(frame, orig) {
			t.Fatal("Decode modified the frame")
		}
	})
}

// checkInvariants holds for every decoded packet.
func checkInvariants(t *testing.T, p *Packet) {
	t.Helper()
	if (p.Status == Weird) != (p.Weird != "") {
		t.Fatalf("status %v with weird %q", p.Status, p.Weird)
	}
	if p.ExtraWeird >= weirdSetEnd {
		t.Fatalf("unknown extra weird bits %b", p.ExtraWeird)
	}
	if p.Status != OK {
		return
	}
	if p.IPVersion != 4 && p.IPVersion != 6 {
		t.Fatalf("OK with IP version %d", p.IPVersion)
	}
	if p.IPHdrLen > p.IPTotalLen || len(p.IP) > p.IPTotalLen || p.IPHdrLen+len(p.L4) != len(p.IP) {
		t.Fatalf("lengths: hdr %d total %d IP %d L4 %d", p.IPHdrLen, p.IPTotalLen, len(p.IP), len(p.L4))
	}
	if p.Truncated != (len(p.IP) < p.IPTotalLen) {
		t.Fatalf("truncated %v with %d of %d bytes", p.Truncated, len(p.IP), p.IPTotalLen)
	}
	if tu := &p.Tunnel; tu.InnerLink != 0 {
		if tu.Kind == TunnelNone || tu.Violation != "" || tu.InnerOff > len(p.IP) || tu.InnerOff < p.IPHdrLen ||
			len(p.InnerFrame()) > tu.InnerWireLen {
			t.Fatalf("tunnel %+v with IP %d hdr %d", *tu, len(p.IP), p.IPHdrLen)
		}
	}
	if len(p.Payload) > len(p.L4) || p.PayloadLen < 0 {
		t.Fatalf("payload %d of L4 %d, PayloadLen %d", len(p.Payload), len(p.L4), p.PayloadLen)
	}
}
