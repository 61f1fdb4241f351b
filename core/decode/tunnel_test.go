package decode

import (
	"bytes"
	"net"
	"testing"

	"github.com/gopacket/gopacket/layers"
	"github.com/weirnet/weir/core/flow"
	"github.com/weirnet/weir/sources"
)

// innerWant is what DecodeInner must make of the encapsulated frame.
type innerWant struct {
	status       Status
	weird        string
	proto        uint8
	src, dst     [16]byte
	sport, dport uint16
	total        int
	vlan         uint16
}

// tunnelCase is an outer frame on Ethernet and what Decode and DecodeInner
// must make of it.
type tunnelCase struct {
	name      string
	frame     []byte
	wire      int // 0: len(frame)
	noCheck   bool
	status    Status
	weird     string
	extra     WeirdSet
	kind      TunnelKind
	conn      bool   // Tunnel.OuterIsConn
	link      uint32 // Tunnel.InnerLink
	confirmed bool
	violation string
	inner     *innerWant // nil: no inner frame
}

func runTunnelCases(t *testing.T, cases []tunnelCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.CheckChecksums = !c.noCheck
			d := NewDecoder(cfg)
			orig := append([]byte(nil), c.frame...)
			p := &Packet{Link: sources.LinkEthernet, Data: c.frame, WireLen: c.wire}
			if p.WireLen == 0 {
				p.WireLen = len(c.frame)
			}
			d.Decode(p)
			checkInvariants(t, p)
			tu := &p.Tunnel
			if p.Status != c.status || p.Weird != c.weird || p.ExtraWeird != c.extra {
				t.Fatalf("status %v weird %q extra %q, want %v %q %q", p.Status, p.Weird, p.ExtraWeird, c.status, c.weird, c.extra)
			}
			if tu.Kind != c.kind || tu.OuterIsConn != c.conn || tu.InnerLink != c.link || tu.Confirmed != c.confirmed || tu.Violation != c.violation {
				t.Fatalf("tunnel %v conn %v link %d confirmed %v violation %q, want %v %v %d %v %q",
					tu.Kind, tu.OuterIsConn, tu.InnerLink, tu.Confirmed, tu.Violation, c.kind, c.conn, c.link, c.confirmed, c.violation)
			}
			if c.kind != TunnelNone && (tu.Src != p.Src || tu.Dst != p.Dst || tu.Proto != p.Proto) {
				t.Errorf("tunnel endpoints %+v of packet %v > %v proto %d", tu.Encapsulation, p.Src, p.Dst, p.Proto)
			}
			if c.conn && (tu.SrcPort != p.SrcPort || tu.DstPort != p.DstPort) || !c.conn && (tu.SrcPort|tu.DstPort) != 0 {
				t.Errorf("tunnel ports %d %d, packet %d %d", tu.SrcPort, tu.DstPort, p.SrcPort, p.DstPort)
			}
			if (p.InnerFrame() != nil) != (c.inner != nil) {
				t.Fatalf("inner frame %x, want one: %v", p.InnerFrame(), c.inner != nil)
			}
			var in Packet
			d.DecodeInner(p, &in)
			if c.inner == nil {
				if in.Status != NotIP || in.Encap.Len() != 0 {
					t.Errorf("no inner frame, yet inner status %v depth %d", in.Status, in.Encap.Len())
				}
				return
			}
			checkInvariants(t, &in)
			w := c.inner
			if in.Status != w.status || in.Weird != w.weird {
				t.Fatalf("inner status %v weird %q, want %v %q", in.Status, in.Weird, w.status, w.weird)
			}
			if in.Encap.Len() != 1 || in.Encap.At(0) != tu.Encapsulation || in.TS != p.TS || in.Link != c.link {
				t.Errorf("inner encap %+v link %d, want [%+v]", in.Encap, in.Link, tu.Encapsulation)
			}
			if w.status == OK && (in.Proto != w.proto || in.Src != w.src || in.Dst != w.dst || in.SrcPort != w.sport ||
				in.DstPort != w.dport || in.IPTotalLen != w.total || in.VLAN != w.vlan) {
				t.Errorf("inner %d %v:%d > %v:%d len %d vlan %d, want %+v", in.Proto, in.Src, in.SrcPort, in.Dst, in.DstPort, in.IPTotalLen, in.VLAN, *w)
			}
			if !bytes.Equal(c.frame, orig) {
				t.Error("the frame was modified")
			}
		})
	}
}

func TestTunnels(t *testing.T) {
	v4 := ipv4TCP(t, []byte("hello"))
	v6 := ipv6UDP(t, []byte("world"))
	u4 := ipv4UDP(t, []byte("datagram"))
	in4 := &innerWant{status: OK, proto: 6, src: mapped(ip4a), dst: mapped(ip4b), sport: 40000, dport: 80, total: len(v4)}
	in6 := &innerWant{status: OK, proto: 17, src: mapped(ip6a), dst: mapped(ip6b), sport: 5353, dport: 53, total: len(v6)}
	inU4 := &innerWant{status: OK, proto: 17, src: mapped(ip4a), dst: mapped(ip4b), sport: 5353, dport: 53, total: len(u4)}
	eth4 := ethernet(0x0800, v4)
	vlan4 := ethernet(0x8100, cat(u16(42), u16(0x0800), v4))
	in4vlan := *in4
	in4vlan.vlan = 42
	e4 := func(ip []byte) []byte { return ethernet(0x0800, ip) }
	e6 := func(ip []byte) []byte { return ethernet(0x86DD, ip) }
	gre := func(payload []byte) []byte { return e4(ipOver(t, layers.IPProtocolGRE, payload)) }
	vx := func(payload []byte) []byte { return e4(udpOver(t, 49152, 4789, payload)) }
	gen := func(payload []byte) []byte { return e4(udpOver(t, 49153, 6081, payload)) }
	ter := func(port uint16, payload []byte) []byte { return e4(udpOver(t, 40001, port, payload)) }
	gtp := func(payload []byte) []byte { return e4(udpOver(t, 2152, 2152, payload)) }
	raw, eth := sources.LinkRaw, sources.LinkEthernet

	runTunnelCases(t, []tunnelCase{
		// IP in IP.
		{name: "ipv4 in ipv4", frame: e4(ipOver(t, layers.IPProtocolIPv4, v4)), kind: TunnelIP, link: raw, inner: in4},
		{name: "ipv6 in ipv4", frame: e4(ipOver(t, layers.IPProtocolIPv6, v6)), kind: TunnelIP, link: raw, inner: in6},
		{name: "ipv4 in ipv6", frame: e6(ip6Over(t, layers.IPProtocolIPv4, v4)), kind: TunnelIP, link: raw, inner: in4},
		{name: "ipv6 in ipv6", frame: e6(ip6Over(t, layers.IPProtocolIPv6, v6)), kind: TunnelIP, link: raw, inner: in6},
		{name: "ipv4 says ipv6", frame: e4(ipOver(t, layers.IPProtocolIPv4, v6)), status: Weird, weird: "invalid_inner_IP_version"},
		{name: "ipv6 says ipv4", frame: e4(ipOver(t, layers.IPProtocolIPv6, cat(v4, make([]byte, 20)))), status: Weird, weird: "invalid_inner_IP_version"},
		{name: "ipv4 short", frame: e4(ipOver(t, layers.IPProtocolIPv4, v4[:19])), status: Weird, weird: "invalid_inner_IP_version"},
		{name: "ipv6 short", frame: e4(ipOver(t, layers.IPProtocolIPv6, v6[:39])), status: Weird, weird: "truncated_inner_IP"},
		{name: "inner longer", frame: e4(ipOver(t, layers.IPProtocolIPv4, v4[:len(v4)-1])), status: Weird, weird: "truncated_inner_IP"},
		{name: "inner shorter", frame: e4(ipOver(t, layers.IPProtocolIPv4, cat(v4, []byte{0}))), status: Weird, weird: "inner_IP_payload_length_mismatch"},

		// GRE.
		{name: "gre ipv4", frame: gre(cat(greLayer(t, &layers.GRE{Protocol: layers.EthernetTypeIPv4}), v4)), kind: TunnelGRE, link: raw, inner: in4},
		{name: "gre ipv6 key seq checksum", frame: gre(cat(greLayer(t, &layers.GRE{Protocol: layers.EthernetTypeIPv6,
			ChecksumPresent: true, KeyPresent: true, Key: 7, SeqPresent: true, Seq: 9}), v6)), kind: TunnelGRE, link: raw, inner: in6},
		{name: "gre teb", frame: gre(cat(greHdr(0x2000, 0x6558, 100), eth4)), kind: TunnelGRE, link: eth, inner: in4},
		{name: "gre teb vlan", frame: gre(cat(greHdr(0, 0x6558), vlan4)), kind: TunnelGRE, link: eth, inner: &in4vlan},
		{name: "gre version nibble decides", frame: gre(cat(greHdr(0, 0x0800), v6)), kind: TunnelGRE, link: raw, inner: in6},
		{name: "gre not ip", frame: gre(cat(greHdr(0, 0x0800), make([]byte, 30))), kind: TunnelGRE, link: raw,
			inner: &innerWant{status: Weird, weird: "unknown_ip_version_in_tunnel"}},
		{name: "gre inner truncated ip", frame: gre(cat(greHdr(0, 0x0800), v4[:10])), kind: TunnelGRE, link: raw,
			inner: &innerWant{status: Weird, weird: "truncated_IP_in_tunnel"}},
		{name: "gre mpls", frame: gre(cat(greHdr(0, 0x8847), u32(100<<12|1<<8|64), v4)), kind: TunnelGRE},
		{name: "gre unknown protocol", frame: gre(cat(greHdr(0, 0x1234), v4)), kind: TunnelGRE},
		{name: "gre short", frame: gre([]byte{0, 0, 8}), status: Weird, weird: "truncated_GRE"},
		{name: "gre short key", frame: gre(cat(u16(0x2000), u16(0x0800), []byte{0, 0})), status: Weird, weird: "truncated_GRE"},
		{name: "gre version 2", frame: gre(cat(greHdr(2, 0x0800), v4)), status: Weird, weird: "unknown_gre_version"},
		{name: "gre routing", frame: gre(cat(greHdr(0x4000, 0x0800, 0), v4)), status: Weird, weird: "gre_routing"},
		{name: "gre reserved flags", frame: gre(cat(greHdr(0x0008, 0x0800), v4)), status: Weird, weird: "unknown_gre_flags"},
		{name: "pptp ipv4", frame: gre(cat(greHdr(0x3081, 0x880B, uint32(len(v4)+4)<<16|0x1234, 5, 4), pppHdr(0x0021), v4)),
			kind: TunnelGRE, link: raw, inner: in4},
		{name: "pptp ipv6 no ack", frame: gre(cat(greHdr(0x3001, 0x880B, uint32(len(v6)+4)<<16|0x1234, 5), pppHdr(0x0057), v6)),
			kind: TunnelGRE, link: raw, inner: in6},
		{name: "pptp lcp", frame: gre(cat(greHdr(0x3001, 0x880B, 8<<16|0x1234, 5), pppHdr(0xC021), []byte{1, 1, 0, 4})),
			status: Weird, weird: "non_ip_packet_in_encap"},
		{name: "pptp ack only", frame: gre(greHdr(0x2081, 0x880B, 0x1234, 4)), status: Weird, weird: "truncated_GRE"},
		{name: "enhanced gre not ppp", frame: gre(cat(greHdr(0x2001, 0x0800, 0x1234), v4)), status: Weird, weird: "egre_protocol_type"},

		// ERSPAN.
		{name: "erspan type I", frame: gre(cat(greHdr(0, 0x88BE), eth4)), kind: TunnelGRE, link: eth, inner: in4},
		{name: "erspan type II", frame: gre(cat(greLayer(t, &layers.GRE{Protocol: layers.EthernetTypeERSPAN, SeqPresent: true, Seq: 1}),
			erspan2Hdr(7), eth4)), kind: TunnelGRE, link: eth, inner: in4},
		{name: "erspan type III", frame: gre(cat(greHdr(0x1000, 0x22EB, 1), erspan3Hdr(7, false), eth4)), kind: TunnelGRE, link: eth, inner: in4},
		{name: "erspan type III sub-header", frame: gre(cat(greHdr(0x1000, 0x22EB, 1), erspan3Hdr(7, true), vlan4)), kind: TunnelGRE, link: eth, inner: &in4vlan},
		{name: "erspan bad version", frame: gre(cat(greHdr(0x1000, 0x88BE, 1), u16(0x3000), make([]byte, 6), eth4)),
			status: Weird, weird: "unknown_ERSPAN_version_in_tunnel"},
		{name: "erspan short", frame: gre(cat(greHdr(0x1000, 0x88BE, 1), u16(0x1000))), status: Weird, weird: "truncated_ERSPAN_in_tunnel"},
		{name: "erspan III short sub-header", frame: gre(cat(greHdr(0x1000, 0x22EB, 1), erspan3Hdr(7, true)[:16])),
			status: Weird, weird: "truncated_ERSPAN_in_tunnel"},
		{name: "erspan inner runt", frame: gre(cat(greHdr(0, 0x88BE), eth4[:10])), kind: TunnelGRE, link: eth,
			inner: &innerWant{status: Weird, weird: "truncated_ethernet_frame_in_tunnel"}},

		// VXLAN.
		{name: "vxlan", frame: vx(cat(vxlanHdr(100), eth4)), kind: TunnelVXLAN, conn: true, link: eth, confirmed: true, inner: in4},
		{name: "vxlan reply direction", frame: e4(udpOver(t, 4789, 49152, cat(vxlanHdr(100), ethernet(0x86DD, v6)))),
			kind: TunnelVXLAN, conn: true, link: eth, confirmed: true, inner: in6},
		{name: "vxlan no I flag", frame: vx(cat([]byte{0, 0, 0, 0}, u32(100<<8), eth4)), kind: TunnelVXLAN, conn: true, violation: "VXLAN 'I' flag not set"},
		{name: "vxlan short", frame: vx([]byte{8, 0, 0, 0, 0}), kind: TunnelVXLAN, conn: true, violation: "VXLAN header truncation"},
		{name: "vxlan empty", frame: vx(vxlanHdr(1)), kind: TunnelVXLAN, conn: true, confirmed: true, extra: WeirdVXLANEmptyPacket},
		{name: "vxlan bad checksum", frame: mutate(vx(cat(vxlanHdr(100), eth4)), func(b []byte) { b[14+26] ^= 0xFF }), kind: TunnelNone},
		{name: "vxlan bad checksum unchecked", noCheck: true, frame: mutate(vx(cat(vxlanHdr(100), eth4)), func(b []byte) { b[14+26] ^= 0xFF }),
			kind: TunnelVXLAN, conn: true, link: eth, confirmed: true, inner: in4},
		{name: "vxlan ipv6 zero checksum", frame: e6(udp6Over(t, 49152, 4789, cat(vxlanHdr(100), eth4), true)),
			kind: TunnelVXLAN, conn: true, link: eth, confirmed: true, inner: in4},

		// Geneve.
		{name: "geneve ethernet", frame: gen(cat(geneveHdr(0x6558, 200, geneveOpt(0x0103, 0x80, []byte{1, 2, 3, 4})), eth4)),
			kind: TunnelGeneve, conn: true, link: eth, confirmed: true, inner: in4},
		{name: "geneve ipv4", frame: gen(cat(geneveHdr(0x0800, 200), v4)), kind: TunnelGeneve, conn: true, link: raw, confirmed: true, inner: in4},
		{name: "geneve ipv6", frame: gen(cat(geneveHdr(0x86DD, 200), v6)), kind: TunnelGeneve, conn: true, link: raw, confirmed: true, inner: in6},
		{name: "geneve arp", frame: gen(cat(geneveHdr(0x0806, 200), make([]byte, 28))), kind: TunnelGeneve, conn: true, confirmed: true},
		{name: "geneve version 1", frame: gen(cat([]byte{0x40, 0}, u16(0x6558), u32(0), eth4)), kind: TunnelGeneve, conn: true, extra: WeirdGeneveInvalidVersion},
		{name: "geneve short", frame: gen([]byte{0, 0, 0x65, 0x58}), kind: TunnelGeneve, conn: true, violation: "Geneve header truncation"},
		{name: "geneve options cut", frame: gen(cat([]byte{4, 0}, u16(0x6558), u32(0), make([]byte, 12))), kind: TunnelGeneve, conn: true,
			violation: "Geneve option header truncation"},
		{name: "geneve empty", frame: gen(geneveHdr(0x6558, 1)), kind: TunnelGeneve, conn: true, confirmed: true, extra: WeirdGeneveEmptyPacket},

		// Teredo.
		{name: "teredo", frame: ter(3544, v6), kind: TunnelTeredo, conn: true, link: raw, confirmed: true, inner: in6},
		{name: "teredo origin", frame: ter(3544, cat(teredoOrigin(40001, tun4a), v6)), kind: TunnelTeredo, conn: true, link: raw, confirmed: true, inner: in6},
		{name: "teredo auth origin", frame: ter(3544, cat(teredoAuth([]byte("client"), []byte("secret")), teredoOrigin(1, tun4a), v6)),
			kind: TunnelTeredo, conn: true, link: raw, confirmed: true, inner: in6},
		{name: "teredo bubble", frame: ter(3544, bubble(ip6a, ip6b)), kind: TunnelTeredo, conn: true, link: raw, confirmed: true,
			inner: &innerWant{status: NotIP}},
		{name: "teredo bubble with payload", frame: ter(3544, cat(bubble(ip6a, ip6b), []byte("xx"))), kind: TunnelTeredo, conn: true,
			link: raw, confirmed: true, extra: WeirdTeredoBubbleWithPayload, inner: &innerWant{status: NotIP}},
		{name: "teredo origin twice", frame: ter(3544, cat(teredoOrigin(1, tun4a), teredoOrigin(1, tun4a), v6)), kind: TunnelTeredo, conn: true,
			violation: "Bad Teredo encapsulation"},
		{name: "teredo auth after origin", frame: ter(3544, cat(teredoOrigin(1, tun4a), teredoAuth(nil, nil), v6)), kind: TunnelTeredo, conn: true,
			violation: "Bad Teredo encapsulation"},
		{name: "teredo not ipv6", frame: ter(3544, v4), kind: TunnelTeredo, conn: true, violation: "Bad Teredo encapsulation"},
		{name: "teredo ipv6 cut", frame: ter(3544, v6[:len(v6)-1]), kind: TunnelTeredo, conn: true, violation: "Truncated Teredo or invalid inner IP version"},
		{name: "teredo ipv6 trailer", frame: ter(3544, cat(v6, []byte{0})), kind: TunnelTeredo, conn: true, violation: "Teredo payload length"},
		{name: "teredo detected by origin", frame: ter(50000, cat(teredoOrigin(40001, tun4a), v6)), kind: TunnelTeredo, conn: true,
			link: raw, confirmed: true, inner: in6},
		{name: "teredo detected bubble", frame: ter(50000, bubble(net.ParseIP("2001:0:4136:e378::1"), ip6b)), kind: TunnelTeredo, conn: true,
			link: raw, confirmed: true, inner: &innerWant{status: NotIP}},
		{name: "teredo detected by address", frame: ter(50000, teredoAddr(v6)), kind: TunnelTeredo, conn: true, link: raw, confirmed: true,
			inner: &innerWant{status: OK, proto: 17, src: mapped(net.ParseIP("2001:0:4136:e378::1")), dst: mapped(ip6b), sport: 5353, dport: 53, total: len(v6)}},
		{name: "teredo not detected", frame: ter(50000, v6), kind: TunnelNone},
		{name: "teredo bubble not teredo address", frame: ter(50000, bubble(ip6a, ip6b)), kind: TunnelNone},

		// AYIYA.
		{name: "ayiya", frame: e4(udpOver(t, 5072, 5072, cat(ayiyaHdr(1, 41), v6))), kind: TunnelAYIYA, conn: true, link: raw, confirmed: true, inner: in6},
		{name: "ayiya ipv4 detected", frame: e4(udpOver(t, 40000, 50000, cat(ayiyaHdr(1, 4), v4))), kind: TunnelAYIYA, conn: true, link: raw, confirmed: true, inner: in4},
		{name: "ayiya heartbeat", frame: e4(udpOver(t, 40000, 5072, ayiyaHdr(0, 59))), kind: TunnelAYIYA, conn: true},
		{name: "ayiya short", frame: e4(udpOver(t, 40000, 5072, ayiyaHdr(1, 41)[:20])), kind: TunnelAYIYA, conn: true, violation: "Truncated AYIYA"},
		{name: "ayiya empty", frame: e4(udpOver(t, 40000, 5072, ayiyaHdr(1, 41))), kind: TunnelAYIYA, conn: true, confirmed: true, extra: WeirdAYIYAEmptyPacket},
		{name: "ayiya other next header", frame: e4(udpOver(t, 40000, 5072, cat(ayiyaHdr(1, 17), v4))), kind: TunnelAYIYA, conn: true, confirmed: true},

		// GTPv1-U.
		{name: "gtp", frame: gtp(gtpHdr(t, 0x1234, v4)), kind: TunnelGTPv1, conn: true, link: raw, confirmed: true, inner: in4},
		{name: "gtp extension headers", frame: gtp(gtpHdr(t, 0x1234, v6, layers.GTPExtensionHeader{Type: 0x85, Content: []byte{0, 9}},
			layers.GTPExtensionHeader{Type: 0x40, Content: []byte{1, 2, 3, 4, 5, 6}})), kind: TunnelGTPv1, conn: true, link: raw, confirmed: true, inner: in6},
		{name: "gtp sequence", frame: gtp(cat([]byte{0x32, 0xFF}, u16(uint16(4+len(u4))), u32(1), u16(77), []byte{0, 0}, u4)),
			kind: TunnelGTPv1, conn: true, link: raw, confirmed: true, inner: inU4},
		{name: "gtp control port", frame: e4(udpOver(t, 2123, 2123, gtpHdr(t, 1, v4))), kind: TunnelGTPv1, conn: true, link: raw, confirmed: true, inner: in4},
		{name: "gtp echo", frame: gtp(cat([]byte{0x32, 0x01}, u16(4), u32(0), u16(1), []byte{0, 0})), kind: TunnelGTPv1, conn: true},
		{name: "gtp prime", frame: gtp(cat([]byte{0x20, 0xFF}, u16(uint16(len(v4))), u32(1), v4)), kind: TunnelGTPv1, conn: true},
		{name: "gtp version 2", frame: gtp(cat([]byte{0x48, 0xFF}, u16(uint16(len(v4)+4)), u32(1), u32(0), v4)), kind: TunnelGTPv1, conn: true,
			violation: "GTPv1 bad Version"},
		{name: "gtp short", frame: gtp([]byte{0x30, 0xFF, 0, 0}), kind: TunnelGTPv1, conn: true, violation: violGTPHeader},
		{name: "gtp extension cut", frame: gtp(cat([]byte{0x34, 0xFF}, u16(8), u32(1), u16(0), []byte{0, 0x85}, []byte{2, 0, 0})),
			kind: TunnelGTPv1, conn: true, violation: violGTPHeader},
		{name: "gtp extension length 0", frame: gtp(cat([]byte{0x34, 0xFF}, u16(8), u32(1), u16(0), []byte{0, 0x85}, []byte{0, 0, 0, 0}, v4)),
			kind: TunnelGTPv1, conn: true, violation: violGTPHeader},
		{name: "gtp not ip", frame: gtp(gtpHdr(t, 1, make([]byte, 30))), kind: TunnelGTPv1, conn: true, violation: "non-IP packet in GTPv1"},
		{name: "gtp runt", frame: gtp(gtpHdr(t, 1, v4[:19])), kind: TunnelGTPv1, conn: true, violation: "Truncated GTPv1"},
		{name: "gtp inner cut", frame: gtp(gtpHdr(t, 1, v4[:len(v4)-1])), kind: TunnelGTPv1, conn: true, violation: "Truncated GTPv1"},
		{name: "gtp trailer", frame: gtp(gtpHdr(t, 1, cat(v4, []byte{0}))), kind: TunnelGTPv1, conn: true, violation: "GTPv1 payload length"},

		// GRE in UDP.
		{name: "gre in udp", frame: e4(udpOver(t, 50000, 4754, cat(greHdr(0, 0x0800), v4))), kind: TunnelGRE, conn: true, link: raw, inner: in4},
		{name: "gre in udp teb", frame: e4(udpOver(t, 50000, 4754, cat(greHdr(0, 0x6558), eth4))), kind: TunnelGRE, conn: true, link: eth, inner: in4},
		{name: "gre in udp short", frame: e4(udpOver(t, 50000, 4754, []byte{0, 0})), kind: TunnelGRE, conn: true, extra: WeirdTruncatedGRE},
		{name: "gre in udp routing", frame: e4(udpOver(t, 50000, 4754, cat(greHdr(0x4000, 0x0800, 0), v4))), kind: TunnelGRE, conn: true, extra: WeirdGRERouting},
		{name: "gre in udp erspan version", frame: e4(udpOver(t, 50000, 4754, cat(greHdr(0x1000, 0x88BE, 1), make([]byte, 8)))), kind: TunnelGRE, conn: true,
			extra: WeirdUnknownERSPANVersion},

		// Not tunnels.
		{name: "plain udp", frame: e4(udpOver(t, 40000, 53, []byte("a DNS query, not a tunnel"))), kind: TunnelNone},
	})
}

// TestTunnelTruncated: a tunnel packet cut by the snap length decodes
// what was captured; the inner packet knows its wire length.
func TestTunnelTruncated(t *testing.T) {
	v4 := ipv4TCP(t, make([]byte, 400))
	full := ethernet(0x0800, udpOver(t, 49152, 4789, cat(vxlanHdr(1), ethernet(0x0800, v4))))
	cut := full[:200]
	d := NewDecoder(DefaultConfig())
	p := &Packet{Link: sources.LinkEthernet, Data: cut, WireLen: len(full)}
	d.Decode(p)
	if p.Status != OK || !p.Truncated || p.Tunnel.Kind != TunnelVXLAN || p.InnerFrame() == nil {
		t.Fatalf("outer %v %q trunc %v tunnel %v", p.Status, p.Weird, p.Truncated, p.Tunnel.Kind)
	}
	if want := 14 + len(v4); p.Tunnel.InnerWireLen != want || len(p.InnerFrame()) != 200-14-20-8-8 {
		t.Errorf("inner wire %d captured %d, want %d", p.Tunnel.InnerWireLen, len(p.InnerFrame()), want)
	}
	var in Packet
	d.DecodeInner(p, &in)
	if in.Status != OK || !in.Truncated || in.IPTotalLen != len(v4) || in.SrcPort != 40000 {
		t.Errorf("inner %v %q trunc %v total %d port %d", in.Status, in.Weird, in.Truncated, in.IPTotalLen, in.SrcPort)
	}

	// IP in IP cut short: Zeek checks the inner length first.
	ipip := ethernet(0x0800, ipOver(t, layers.IPProtocolIPv4, v4))
	p = &Packet{Link: sources.LinkEthernet, Data: ipip[:100], WireLen: len(ipip)}
	d.Decode(p)
	if p.Status != Weird || p.Weird != "truncated_inner_IP" {
		t.Errorf("ip in ip cut: %v %q", p.Status, p.Weird)
	}
}

// TestTunnelNested decodes three levels: GRE carrying VXLAN carrying
// IP-in-IP, and checks the chain and the depth limit.
func TestTunnelNested(t *testing.T) {
	v4 := ipv4TCP(t, []byte("deep"))
	ipip := ipOver(t, layers.IPProtocolIPv4, v4)
	vxlan := udpOver(t, 49152, 4789, cat(vxlanHdr(5), ethernet(0x0800, ipip)))
	frame := ethernet(0x86DD, ip6Over(t, layers.IPProtocolGRE, cat(greHdr(0, 0x0800), vxlan)))

	decodeChain := func(t *testing.T, cfg Config) []Packet {
		d := NewDecoder(cfg)
		ps := make([]Packet, 1, 4)
		ps[0] = Packet{Link: sources.LinkEthernet, Data: frame, WireLen: len(frame)}
		d.Decode(&ps[0])
		for ps[len(ps)-1].InnerFrame() != nil {
			var in Packet
			d.DecodeInner(&ps[len(ps)-1], &in)
			checkInvariants(t, &in)
			ps = append(ps, in)
		}
		return ps
	}

	cfg := DefaultConfig()
	cfg.MaxTunnelDepth = 3
	ps := decodeChain(t, cfg)
	if len(ps) != 4 {
		t.Fatalf("%d levels, want 4", len(ps))
	}
	last := ps[3]
	if last.Status != OK || last.Proto != 6 || last.SrcPort != 40000 || last.Encap.Len() != 3 {
		t.Fatalf("innermost %v %q proto %d depth %d", last.Status, last.Weird, last.Proto, last.Encap.Len())
	}
	kinds := []TunnelKind{TunnelGRE, TunnelVXLAN, TunnelIP}
	for i, k := range kinds {
		e := last.Encap.At(i)
		if e.Kind != k || e != ps[i].Tunnel.Encapsulation {
			t.Errorf("hop %d: %+v, want kind %v from %+v", i, e, k, ps[i].Tunnel.Encapsulation)
		}
	}
	if h := last.Encap.At(1); !h.OuterIsConn || h.DstPort != 4789 || h.Src != mapped(tun4a) {
		t.Errorf("vxlan hop %+v", h)
	}
	if h, _ := last.Encap.Last(); h.Kind != TunnelIP || h.Proto != 4 {
		t.Errorf("last hop %+v", h)
	}

	// Zeek's default depth, 2: the IP-in-IP inside VXLAN inside GRE is
	// not decapsulated, and makes no connection.
	ps = decodeChain(t, DefaultConfig())
	if len(ps) != 3 {
		t.Fatalf("%d levels, want 3", len(ps))
	}
	if p := ps[2]; p.Status != Weird || p.Weird != "exceeded_tunnel_max_depth_in_tunnel" {
		t.Errorf("at the limit: %v %q", p.Status, p.Weird)
	}

	// Depth 1: the VXLAN datagram inside GRE is a UDP connection of its
	// own, not decapsulated.
	cfg.MaxTunnelDepth = 1
	ps = decodeChain(t, cfg)
	if len(ps) != 2 {
		t.Fatalf("%d levels, want 2", len(ps))
	}
	p := ps[1]
	if p.Status != OK || p.Tunnel.Kind != TunnelVXLAN || p.ExtraWeird != WeirdExceededTunnelDepth {
		t.Errorf("vxlan at the limit: %v %q tunnel %v extra %v", p.Status, p.Weird, p.Tunnel.Kind, p.ExtraWeird)
	}
	if names := p.ExtraWeirdNames(nil); len(names) != 1 || names[0] != "exceeded_tunnel_max_depth_in_tunnel" {
		t.Errorf("names %q", names)
	}
}

// TestTunnelGTPInGTP: GTP inside GTP is taken for a regular packet, as Zeek
// does.
func TestTunnelGTPInGTP(t *testing.T) {
	v4 := ipv4TCP(t, nil)
	innerGTP := udpOver(t, 2152, 2152, gtpHdr(t, 2, v4))
	frame := ethernet(0x0800, udpOver(t, 2152, 2152, gtpHdr(t, 1, innerGTP)))
	d := NewDecoder(DefaultConfig())
	p := &Packet{Link: sources.LinkEthernet, Data: frame, WireLen: len(frame)}
	d.Decode(p)
	var in Packet
	d.DecodeInner(p, &in)
	if in.Status != OK || in.Tunnel.Kind != TunnelGTPv1 || in.Tunnel.Violation != "GTP-in-GTP" || in.InnerFrame() != nil {
		t.Errorf("inner %v tunnel %v violation %q", in.Status, in.Tunnel.Kind, in.Tunnel.Violation)
	}
}

// TestTunnelFragments: outer fragments are reassembled before
// decapsulation (GTP over a path with a small MTU), and inner fragments
// inside a tunnel are reassembled too, the outer datagram staying valid.
func TestTunnelFragments(t *testing.T) {
	inner := bigUDP4(t, 2000, 0x4242)
	outer := udpOver(t, 2152, 2152, gtpHdr(t, 9, inner))
	frags := fragV4(outer, even(len(outer)-20, 1480)...)
	d := NewDecoder(DefaultConfig())
	var p Packet
	for i, fr := range frags {
		p = Packet{TS: int64(i), Link: sources.LinkRaw, Data: fr, WireLen: len(fr)}
		d.Decode(&p)
	}
	if p.Status != OK || !p.Reassembled || p.Tunnel.Kind != TunnelGTPv1 || p.InnerFrame() == nil {
		t.Fatalf("outer %v %q reassembled %v tunnel %v %q", p.Status, p.Weird, p.Reassembled, p.Tunnel.Kind, p.Tunnel.Violation)
	}
	var in Packet
	d.DecodeInner(&p, &in)
	if in.Status != OK || in.IPTotalLen != len(inner) || !bytes.Equal(in.IP, inner) {
		t.Fatalf("inner %v %q len %d", in.Status, in.Weird, in.IPTotalLen)
	}

	// Inner fragments, each in its own GRE packet; the last GRE packet is
	// itself reassembled from outer fragments.
	dg := bigUDP4(t, 3000, 0x5151)
	innerFrags := fragV4(dg, piece{off: 0, n: 1480}, piece{off: 1480, n: len(dg) - 20 - 1480})
	first := ethernet(0x0800, ipOver(t, layers.IPProtocolGRE, cat(greHdr(0, 0x0800), innerFrags[0])))
	second := ipOver(t, layers.IPProtocolGRE, cat(greHdr(0, 0x0800), innerFrags[1]))
	secondFrags := fragV4(second, even(len(second)-20, 800)...)

	d = NewDecoder(DefaultConfig())
	p = Packet{TS: 10, Link: sources.LinkEthernet, Data: first, WireLen: len(first)}
	d.Decode(&p)
	d.DecodeInner(&p, &in)
	if in.Status != Fragment {
		t.Fatalf("first inner fragment: %v %q", in.Status, in.Weird)
	}
	for i, fr := range secondFrags {
		p = Packet{TS: int64(11 + i), Link: sources.LinkRaw, Data: fr, WireLen: len(fr)}
		d.Decode(&p)
	}
	outerCopy := append([]byte(nil), p.IP...)
	d.DecodeInner(&p, &in)
	if in.Status != OK || !in.Reassembled || !bytes.Equal(in.IP, dg) {
		t.Fatalf("inner datagram %v %q reassembled %v", in.Status, in.Weird, in.Reassembled)
	}
	if !bytes.Equal(p.IP, outerCopy) {
		t.Error("the outer datagram changed under the inner reassembly")
	}
	if s := d.Stats(); s.FragReassembled != 2 || s.InnerPackets != 2 || s.InnerOK != 1 {
		t.Errorf("stats %+v", s)
	}
	// The next Decode takes both buffers back.
	p = Packet{TS: 20, Link: sources.LinkEthernet, Data: first, WireLen: len(first)}
	d.Decode(&p)
	if s := d.Stats(); s.FragInFlight != 0 || len(d.frags.last) != 0 {
		t.Errorf("in flight %d, buffers held %d", s.FragInFlight, len(d.frags.last))
	}
}

// TestTunnelInnerWeirdNames: weirds of inner packets carry Zeek's
// "_in_tunnel" suffix, ExtraWeird ones only where Zeek adds it.
func TestTunnelInnerWeirdNames(t *testing.T) {
	v4 := ipv4TCP(t, nil)
	badIHL := mutate(v4, func(b []byte) { b[0] = 0x44; fixIPv4Checksum(b) })
	d := NewDecoder(DefaultConfig())
	for _, c := range []struct {
		inner []byte
		weird string
	}{
		{badIHL, "IPv4_min_header_size_in_tunnel"},
		{mutate(v4, func(b []byte) { b[10] ^= 0xFF }), "bad_IP_checksum_in_tunnel"},
		{ipOver(t, layers.IPProtocolGRE, []byte{0}), "truncated_GRE_in_tunnel"},
	} {
		frame := ethernet(0x0800, ipOver(t, layers.IPProtocolGRE, cat(greHdr(0, 0x0800), c.inner)))
		p := &Packet{Link: sources.LinkEthernet, Data: frame, WireLen: len(frame)}
		d.Decode(p)
		var in Packet
		d.DecodeInner(p, &in)
		if in.Status != Weird || in.Weird != c.weird {
			t.Errorf("inner %v %q, want %q", in.Status, in.Weird, c.weird)
		}
	}
	// Every name Status Weird can carry has its tunnel form.
	for name, inTunnel := range statusWeirds {
		if inTunnel != name+"_in_tunnel" {
			t.Errorf("%s: %s", name, inTunnel)
		}
	}
	s := WeirdUDPDatagramLengthMismatch | WeirdIPHdrLenZero | WeirdTruncatedERSPAN
	got := s.AppendNamesInTunnel(nil)
	want := []string{"UDP_datagram_length_mismatch", "ip_hdr_len_zero_in_tunnel", "truncated_ERSPAN_in_tunnel"}
	if len(got) != len(want) {
		t.Fatalf("names %q", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("names %q, want %q", got, want)
		}
	}
}

func TestTunnelKeyAndNames(t *testing.T) {
	gre := Encapsulation{Kind: TunnelGRE, Proto: 47, Src: mapped(tun4a), Dst: mapped(tun4b)}
	rev := gre
	rev.Src, rev.Dst = gre.Dst, gre.Src
	if gre.Key() != rev.Key() {
		t.Error("GRE key depends on the direction")
	}
	greUDP := gre
	greUDP.Proto, greUDP.OuterIsConn, greUDP.SrcPort, greUDP.DstPort = 17, true, 50000, 4754
	if greUDP.Key() != gre.Key() {
		t.Error("GRE-in-UDP is not the same tunnel as GRE between the same addresses")
	}
	ipip := gre
	ipip.Kind, ipip.Proto = TunnelIP, 41
	if k := ipip.Key(); k.Proto != 4 || k == gre.Key() {
		t.Errorf("IP tunnel key %+v", k)
	}
	vx := Encapsulation{Kind: TunnelVXLAN, Proto: 17, OuterIsConn: true, Src: mapped(tun4a), Dst: mapped(tun4b), SrcPort: 49152, DstPort: 4789}
	if k, _ := flow.MakeKey(vx.Dst, vx.Src, vx.DstPort, vx.SrcPort, 17); vx.Key() != k {
		t.Error("VXLAN key is not its UDP connection's key")
	}
	names := map[TunnelKind][2]string{
		TunnelIP: {"Tunnel::IP", ""}, TunnelGRE: {"Tunnel::GRE", ""}, TunnelVXLAN: {"Tunnel::VXLAN", "vxlan"},
		TunnelGeneve: {"Tunnel::GENEVE", "geneve"}, TunnelTeredo: {"Tunnel::TEREDO", "teredo"},
		TunnelAYIYA: {"Tunnel::AYIYA", "ayiya"}, TunnelGTPv1: {"Tunnel::GTPv1", "gtpv1"}, TunnelKind(99): {"TunnelKind(99)", ""},
	}
	for k, w := range names {
		if k.String() != w[0] || k.Service() != w[1] {
			t.Errorf("%d: %q %q, want %q", k, k.String(), k.Service(), w)
		}
	}
	var c EncapChain
	if _, ok := c.Last(); ok || c.Len() != 0 {
		t.Error("empty chain has a last hop")
	}
	for range MaxTunnelDepth {
		if !c.push(&gre) {
			t.Fatal("chain full too early")
		}
	}
	if c.push(&gre) || c.Len() != MaxTunnelDepth {
		t.Error("chain grew past its size")
	}
}
