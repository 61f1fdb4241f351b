package decode

import (
	"testing"

	"github.com/weirnet/weir/sources"
)

type linkCase struct {
	name      string
	link      uint32
	frame     []byte
	status    Status
	weird     string
	vlan      uint16
	innerVLAN uint16
	version   uint8
	extra     WeirdSet
}

func TestLinkLayers(t *testing.T) {
	v4 := ipv4TCP(t, []byte("hello"))
	v6 := ipv6UDP(t, []byte("world"))
	snap := func(t uint16) []byte { return cat([]byte{0xAA, 0xAA, 0x03, 0, 0, 0}, u16(t)) }
	pppoe := func(proto uint16, ip []byte) []byte {
		return cat([]byte{0x11, 0x00}, u16(0x0042), u16(uint16(len(ip)+2)), u16(proto), ip)
	}
	sll := func(proto uint16, rest []byte) []byte {
		return cat(u16(0), u16(1), u16(6), mac1, []byte{0, 0}, u16(proto), rest)
	}
	sll2 := func(proto uint16, rest []byte) []byte {
		return cat(u16(proto), u16(0), u32(3), u16(1), []byte{0, 6}, mac1, []byte{0, 0}, rest)
	}
	nflog := func(fam byte, tlvs ...[]byte) []byte {
		return cat([]byte{fam, 0}, u16(0), cat(tlvs...))
	}
	tlv := func(typ uint16, val []byte) []byte {
		b := cat(le16(uint16(4+len(val))), le16(typ), val)
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
		return b
	}
	mplsLabel := func(label uint32, bottom bool) []byte {
		v := label<<12 | 64
		if bottom {
			v |= 1 << 8
		}
		return u32(v)
	}
	arp := make([]byte, 28)

	cases := []linkCase{
		{name: "ethernet ipv4", link: sources.LinkEthernet, frame: ethernet(0x0800, v4), version: 4},
		{name: "ethernet ipv6", link: sources.LinkEthernet, frame: ethernet(0x86DD, v6), version: 6},
		{name: "ethernet padded", link: sources.LinkEthernet, frame: ethernet(0x0800, cat(v4, make([]byte, 20))), version: 4},
		{name: "ethernet short", link: sources.LinkEthernet, frame: ethernet(0x0800, nil)[:13], status: Weird, weird: "truncated_ethernet_frame"},
		{name: "ethernet arp", link: sources.LinkEthernet, frame: ethernet(0x0806, arp), status: NotIP},
		{name: "ethernet lldp", link: sources.LinkEthernet, frame: ethernet(0x88CC, arp), status: NotIP},
		{name: "ethernet unknown type", link: sources.LinkEthernet, frame: ethernet(0x1234, v4), status: NotIP},
		{name: "ethernet undefined type", link: sources.LinkEthernet, frame: ethernet(1501, v4), status: Weird, weird: "undefined_ether_type"},
		{name: "802.3 snap ipv4", link: sources.LinkEthernet, frame: ethernet(uint16(8+len(v4)), cat(snap(0x0800), v4)), version: 4},
		{name: "802.3 snap arp", link: sources.LinkEthernet, frame: ethernet(uint16(8+28), cat(snap(0x0806), arp)), status: NotIP},
		{name: "802.3 stp", link: sources.LinkEthernet, frame: ethernet(38, cat([]byte{0x42, 0x42, 0x03}, make([]byte, 35))), status: NotIP},
		{name: "802.3 snap cisco oui", link: sources.LinkEthernet, frame: ethernet(40, cat([]byte{0xAA, 0xAA, 0x03, 0, 0, 0x0C}, u16(0x2000), make([]byte, 32))), status: NotIP},
		{name: "802.3 snap cut", link: sources.LinkEthernet, frame: ethernet(4, []byte{0xAA, 0xAA, 0x03, 0}), status: Weird, weird: "truncated_link_header"},
		{name: "802.3 length beyond frame", link: sources.LinkEthernet, frame: ethernet(1000, cat(snap(0x0800), v4)), status: Weird, weird: "truncated_ethernet_frame"},
		{name: "vlan", link: sources.LinkEthernet, frame: ethernet(0x8100, cat(u16(0x2064), u16(0x0800), v4)), vlan: 100, version: 4},
		{name: "qinq 88a8", link: sources.LinkEthernet, frame: ethernet(0x88A8, cat(u16(10), u16(0x8100), u16(20), u16(0x86DD), v6)), vlan: 10, innerVLAN: 20, version: 6},
		{name: "qinq 9100", link: sources.LinkEthernet, frame: ethernet(0x9100, cat(u16(11), u16(0x8100), u16(4095), u16(0x0800), v4)), vlan: 11, innerVLAN: 4095, version: 4},
		{name: "triple tag", link: sources.LinkEthernet, frame: ethernet(0x88A8, cat(u16(1), u16(0x8100), u16(2), u16(0x8100), u16(3), u16(0x0800), v4)), vlan: 1, innerVLAN: 3, version: 4, extra: WeirdTripleTaggedVLAN},
		{name: "vlan cut", link: sources.LinkEthernet, frame: ethernet(0x8100, u16(5)), status: Weird, weird: "truncated_VLAN_header"},
		{name: "vlan arp", link: sources.LinkEthernet, frame: ethernet(0x8100, cat(u16(7), u16(0x0806), arp)), status: NotIP, vlan: 7},
		{name: "vlan 802.3 snap", link: sources.LinkEthernet, frame: ethernet(0x8100, cat(u16(8), u16(uint16(8+len(v4))), snap(0x0800), v4)), vlan: 8, version: 4},
		{name: "vlan undefined", link: sources.LinkEthernet, frame: ethernet(0x8100, cat(u16(8), u16(1501), v4)), status: Weird, weird: "undefined_vlan_protocol", vlan: 8},
		{name: "mpls one label", link: sources.LinkEthernet, frame: ethernet(0x8847, cat(mplsLabel(100, true), v4)), version: 4},
		{name: "mpls stack ipv6", link: sources.LinkEthernet, frame: ethernet(0x8848, cat(mplsLabel(100, false), mplsLabel(200, false), mplsLabel(300, true), v6)), version: 6},
		{name: "mpls pseudowire", link: sources.LinkEthernet, frame: ethernet(0x8847, cat(mplsLabel(1, true), u32(0), ethernet(0x0800, v4))), status: NotIP},
		{name: "mpls cut", link: sources.LinkEthernet, frame: ethernet(0x8847, cat(mplsLabel(1, false), []byte{0, 0})), status: Weird, weird: "truncated_link_header"},
		{name: "mpls empty", link: sources.LinkEthernet, frame: ethernet(0x8847, mplsLabel(1, true)), status: Weird, weird: "truncated_IP"},
		{name: "vlan mpls", link: sources.LinkEthernet, frame: ethernet(0x8100, cat(u16(30), u16(0x8847), mplsLabel(5, true), v4)), vlan: 30, version: 4},
		{name: "pppoe ipv4", link: sources.LinkEthernet, frame: ethernet(0x8864, pppoe(0x0021, v4)), version: 4},
		{name: "pppoe ipv6", link: sources.LinkEthernet, frame: ethernet(0x8864, pppoe(0x0057, v6)), version: 6},
		{name: "pppoe lcp", link: sources.LinkEthernet, frame: ethernet(0x8864, pppoe(0xC021, arp)), status: NotIP},
		{name: "pppoe discovery", link: sources.LinkEthernet, frame: ethernet(0x8863, pppoe(0, arp)), status: NotIP},
		{name: "pppoe cut", link: sources.LinkEthernet, frame: ethernet(0x8864, []byte{0x11, 0, 0, 1, 0}), status: Weird, weird: "truncated_pppoe_header"},
		{name: "vlan pppoe", link: sources.LinkEthernet, frame: ethernet(0x8100, cat(u16(9), u16(0x8864), pppoe(0x0021, v4))), vlan: 9, version: 4},
		{name: "sll ipv4", link: sources.LinkSLL, frame: sll(0x0800, v4), version: 4},
		{name: "sll ipv6", link: sources.LinkSLL, frame: sll(0x86DD, v6), version: 6},
		{name: "sll vlan", link: sources.LinkSLL, frame: sll(0x8100, cat(u16(12), u16(0x0800), v4)), vlan: 12, version: 4},
		{name: "sll llc snap", link: sources.LinkSLL, frame: sll(0x0004, cat(snap(0x0800), v4)), version: 4},
		{name: "sll arp", link: sources.LinkSLL, frame: sll(0x0806, arp), status: NotIP},
		{name: "sll cut", link: sources.LinkSLL, frame: sll(0x0800, nil)[:15], status: Weird, weird: "truncated_Linux_SLL_header"},
		{name: "sll2 ipv4", link: sources.LinkSLL2, frame: sll2(0x0800, v4), version: 4},
		{name: "sll2 ipv6", link: sources.LinkSLL2, frame: sll2(0x86DD, v6), version: 6},
		{name: "sll2 cut", link: sources.LinkSLL2, frame: sll2(0x0800, nil)[:19], status: Weird, weird: "truncated_Linux_SLL2_header"},
		{name: "raw 101 v4", link: sources.LinkRaw, frame: v4, version: 4},
		{name: "raw 101 v6", link: sources.LinkRaw, frame: v6, version: 6},
		{name: "raw 12", link: sources.LinkRawOld, frame: v4, version: 4},
		{name: "raw 14", link: sources.LinkRawOld2, frame: v6, version: 6},
		{name: "raw 228", link: sources.LinkIPv4, frame: v4, version: 4},
		{name: "raw 229", link: sources.LinkIPv6, frame: v6, version: 6},
		{name: "null le inet", link: sources.LinkNull, frame: cat(le32(2), v4), version: 4},
		{name: "null be inet", link: sources.LinkNull, frame: cat(u32(2), v4), version: 4},
		{name: "null inet6 24", link: sources.LinkNull, frame: cat(le32(24), v6), version: 6},
		{name: "null inet6 28", link: sources.LinkNull, frame: cat(le32(28), v6), version: 6},
		{name: "null inet6 30 be", link: sources.LinkNull, frame: cat(u32(30), v6), version: 6},
		{name: "null other family", link: sources.LinkNull, frame: cat(le32(7), v4), status: NotIP},
		{name: "null cut", link: sources.LinkNull, frame: []byte{2, 0, 0}, status: Weird, weird: "null_analyzer_failed"},
		{name: "loop inet", link: sources.LinkLoop, frame: cat(u32(2), v4), version: 4},
		{name: "loop inet6", link: sources.LinkLoop, frame: cat(u32(24), v6), version: 6},
		{name: "ppp hdlc ipv4", link: sources.LinkPPP, frame: cat([]byte{0xFF, 0x03}, u16(0x0021), v4), version: 4},
		{name: "ppp bare ipv6", link: sources.LinkPPP, frame: cat(u16(0x0057), v6), version: 6},
		{name: "ppp compressed protocol", link: sources.LinkPPP, frame: cat([]byte{0xFF, 0x03, 0x21}, v4), version: 4},
		{name: "ppp lcp", link: sources.LinkPPP, frame: cat([]byte{0xFF, 0x03}, u16(0xC021), arp), status: NotIP},
		{name: "ppp cut", link: sources.LinkPPP, frame: []byte{0xFF, 0x03, 0x00}, status: Weird, weird: "truncated_ppp_serial_header"},
		{name: "nflog ipv4", link: sources.LinkNFLOG, frame: nflog(2, tlv(1, make([]byte, 4)), tlv(10, []byte("eth0\x00")), tlv(9, v4)), version: 4},
		{name: "nflog ipv6", link: sources.LinkNFLOG, frame: nflog(10, tlv(9, v6)), version: 6},
		{name: "nflog bridge", link: sources.LinkNFLOG, frame: nflog(7, tlv(9, v4)), status: NotIP},
		{name: "nflog version", link: sources.LinkNFLOG, frame: []byte{2, 1, 0, 0, 4, 0, 9, 0}, status: Weird, weird: "unknown_nflog_version"},
		{name: "nflog cut", link: sources.LinkNFLOG, frame: []byte{2, 0, 0}, status: Weird, weird: "truncated_nflog_header"},
		{name: "nflog no payload", link: sources.LinkNFLOG, frame: nflog(2, tlv(1, make([]byte, 4))), status: Weird, weird: "nflog_no_pcap_payload"},
		{name: "nflog tlv past end", link: sources.LinkNFLOG, frame: nflog(2, le16(200), le16(1), make([]byte, 8)), status: Weird, weird: "nflog_no_pcap_payload"},
		{name: "nflog bad tlv", link: sources.LinkNFLOG, frame: nflog(2, le16(2), le16(1), tlv(9, v4)), status: Weird, weird: "nflog_bad_tlv_len"},
		{name: "unknown link", link: 147, frame: v4, status: NotIP},
		{name: "empty ethernet", link: sources.LinkEthernet, frame: nil, status: Weird, weird: "truncated_ethernet_frame"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := decodeOne(c.link, c.frame)
			if p.Status != c.status || p.Weird != c.weird {
				t.Fatalf("status %v weird %q, want %v %q", p.Status, p.Weird, c.status, c.weird)
			}
			if p.VLAN != c.vlan || p.InnerVLAN != c.innerVLAN {
				t.Errorf("vlan %d/%d, want %d/%d", p.VLAN, p.InnerVLAN, c.vlan, c.innerVLAN)
			}
			if p.ExtraWeird != c.extra {
				t.Errorf("extra weirds %v, want %v", p.ExtraWeird, c.extra)
			}
			if c.status != OK {
				return
			}
			if p.IPVersion != c.version {
				t.Fatalf("IP version %d, want %d", p.IPVersion, c.version)
			}
			// Every case carries the same two packets: check they came
			// through whole.
			want := v4
			if c.version == 6 {
				want = v6
			}
			if string(p.IP) != string(want) {
				t.Errorf("IP bytes differ:\n got %x\nwant %x", p.IP, want)
			}
			if c.version == 4 && (string(p.Payload) != "hello" || p.Proto != protoTCP || p.DstPort != 80) {
				t.Errorf("transport: proto %d port %d payload %q", p.Proto, p.DstPort, p.Payload)
			}
			if c.version == 6 && (string(p.Payload) != "world" || p.Proto != protoUDP || p.DstPort != 53) {
				t.Errorf("transport: proto %d port %d payload %q", p.Proto, p.DstPort, p.Payload)
			}
			if p.BadChecksum || p.Truncated {
				t.Errorf("bad checksum %v truncated %v", p.BadChecksum, p.Truncated)
			}
		})
	}
}

func TestUnknownLinkCounted(t *testing.T) {
	d := NewDecoder(DefaultConfig())
	decodeWith(d, 9999, []byte{1, 2, 3})
	if s := d.Stats(); s.UnknownLink != 1 || s.NotIP != 1 || s.Packets != 1 {
		t.Fatalf("stats %+v", s)
	}
}
