package decode

import (
	"encoding/binary"

	"github.com/weirnet/weir/sources"
)

// EtherTypes and PPP protocol numbers the decoder follows.
const (
	etherTypeIPv4      = 0x0800
	etherTypeIPv6      = 0x86DD
	etherTypeVLAN      = 0x8100 // 802.1Q
	etherTypeQinQ      = 0x88A8 // 802.1ad
	etherTypeQinQOld   = 0x9100 // pre-802.1ad QinQ
	etherTypeQinQOld2  = 0x9200
	etherTypeMPLS      = 0x8847
	etherTypeMPLSMulti = 0x8848
	etherTypePPPoE     = 0x8864 // session stage; discovery (0x8863) carries no IP

	pppIPv4 = 0x0021
	pppIPv6 = 0x0057

	// BSD address families in DLT_NULL/DLT_LOOP headers: AF_INET is 2
	// everywhere, AF_INET6 is 24 (NetBSD, OpenBSD), 28 (FreeBSD) or 30
	// (Darwin). Linux's AF_INET6, 10, is what NFLOG carries.
	afInet       = 2
	afInet6BSD   = 24
	afInet6FBSD  = 28
	afInet6Apple = 30
	afInet6Linux = 10

	sllProtoLLC = 0x0004 // SLL protocol field: an 802.2 LLC frame follows

	nflogTypePayload = 9 // NFULA_PAYLOAD
)

func be16(b []byte) uint16 { return binary.BigEndian.Uint16(b) }
func be32(b []byte) uint32 { return binary.BigEndian.Uint32(b) }

// decodeLink dispatches on the link type.
func (d *Decoder) decodeLink(p *Packet) {
	b := p.Data
	switch p.Link {
	case sources.LinkEthernet:
		d.ethernet(p, b)
	case sources.LinkRaw, sources.LinkRawOld, sources.LinkRawOld2, sources.LinkIPv4, sources.LinkIPv6:
		d.linkIP(p, b)
	case sources.LinkSLL:
		if len(b) < 16 {
			weird(p, weirdTruncatedSLL)
			return
		}
		d.sllProto(p, be16(b[14:16]), b[16:])
	case sources.LinkSLL2:
		if len(b) < 20 {
			weird(p, weirdTruncatedSLL2)
			return
		}
		d.sllProto(p, be16(b[0:2]), b[20:])
	case sources.LinkNull, sources.LinkLoop:
		d.null(p, b)
	case sources.LinkPPP:
		d.ppp(p, b)
	case sources.LinkNFLOG:
		d.nflog(p, b)
	default:
		p.Status = NotIP
		d.stats.UnknownLink++
	}
}

// linkIP decodes b, the rest of p.Data from an IP header on.
func (d *Decoder) linkIP(p *Packet, b []byte) {
	// Link headers only ever strip a prefix, so the bytes of the frame
	// before b are len(p.Data)-len(b), and what the wire carried of IP is
	// WireLen less those.
	wire := max(p.WireLen, len(p.Data)) - (len(p.Data) - len(b))
	d.ip(p, b, wire, false)
}

func (d *Decoder) ethernet(p *Packet, b []byte) {
	if len(b) < 14 {
		weird(p, weirdTruncatedEthernet)
		return
	}
	t := be16(b[12:14])
	b = b[14:]
	switch {
	case t >= 1536:
		d.etherType(p, t, b)
	case t <= 1500:
		// 802.3: t is the length of what follows, an 802.2 LLC frame.
		if len(b) < int(t) {
			weird(p, weirdTruncatedEthernet)
			return
		}
		d.llc(p, b)
	default:
		weird(p, weirdUndefinedEtherType)
	}
}

// llc decodes an 802.2 LLC frame: only SNAP with an EtherType (RFC 1042
// and 802.1H encapsulation) can carry IP.
func (d *Decoder) llc(p *Packet, b []byte) {
	if len(b) < 2 || b[0] != 0xAA || b[1] != 0xAA {
		p.Status = NotIP // STP, NetBIOS, IPX (Novell raw 802.3 too), ...
		return
	}
	if len(b) < 8 {
		weird(p, weirdTruncatedLink)
		return
	}
	if b[2] != 0x03 || b[3] != 0 || b[4] != 0 || (b[5] != 0 && b[5] != 0xF8) {
		p.Status = NotIP // not UI, or an OUI with its own protocol ids (CDP, ...)
		return
	}
	d.etherType(p, be16(b[6:8]), b[8:])
}

// etherType follows VLAN tags, MPLS labels and PPPoE to IP.
func (d *Decoder) etherType(p *Packet, t uint16, b []byte) {
	tags := 0
	for {
		switch t {
		case etherTypeIPv4, etherTypeIPv6:
			d.linkIP(p, b)
			return
		case etherTypeVLAN, etherTypeQinQ, etherTypeQinQOld, etherTypeQinQOld2:
			if len(b) < 4 {
				weird(p, weirdTruncatedVLAN)
				return
			}
			id := be16(b) & 0x0FFF
			switch tags {
			case 0:
				p.VLAN = id
			case 1:
				p.InnerVLAN = id
			default:
				// Zeek keeps two tags and lets the deepest win.
				p.InnerVLAN = id
				p.ExtraWeird |= WeirdTripleTaggedVLAN
			}
			tags++
			t = be16(b[2:4])
			b = b[4:]
			if t < 1536 {
				if t > 1500 {
					weird(p, weirdUndefinedVLANProto)
					return
				}
				d.llc(p, b)
				return
			}
		case etherTypeMPLS, etherTypeMPLSMulti:
			d.mpls(p, b)
			return
		case etherTypePPPoE:
			if len(b) < 8 {
				weird(p, weirdTruncatedPPPoE)
				return
			}
			d.pppProto(p, be16(b[6:8]), b[8:])
			return
		default:
			p.Status = NotIP // ARP, LLDP, PPPoE discovery, unknown: Zeek ignores them
			return
		}
	}
}

// mpls skips a label stack. RFC 3032 does not say what the bottom label
// carries; like Zeek, guess IP from the version nibble.
func (d *Decoder) mpls(p *Packet, b []byte) {
	for {
		if len(b) < 4 {
			weird(p, weirdTruncatedLink)
			return
		}
		bottom := b[2]&1 != 0
		b = b[4:]
		if bottom {
			break
		}
	}
	if len(b) == 0 {
		weird(p, weirdTruncatedIP)
		return
	}
	switch b[0] >> 4 {
	case 4, 6:
		d.linkIP(p, b)
	default:
		p.Status = NotIP // a pseudowire (Ethernet over MPLS) or a control word
	}
}

// sllProto dispatches on the protocol field of a Linux cooked header.
func (d *Decoder) sllProto(p *Packet, proto uint16, b []byte) {
	if proto == sllProtoLLC {
		d.llc(p, b)
		return
	}
	d.etherType(p, proto, b)
}

// null decodes DLT_NULL (family in the capturing host's byte order) and
// DLT_LOOP (network byte order). Either may come from a host of either
// endianness, so both byte orders are tried.
func (d *Decoder) null(p *Packet, b []byte) {
	if len(b) < 4 {
		weird(p, weirdNullFailed)
		return
	}
	fam := binary.LittleEndian.Uint32(b)
	if fam > 0xFFFF {
		fam = be32(b)
	}
	switch fam {
	case afInet, afInet6BSD, afInet6FBSD, afInet6Apple:
		d.linkIP(p, b[4:])
	default:
		p.Status = NotIP
	}
}

// ppp decodes LINKTYPE_PPP: optional HDLC-like address and control bytes
// (0xFF 0x03), then the protocol, one byte when compressed (RFC 1661 §6.5:
// odd first byte).
func (d *Decoder) ppp(p *Packet, b []byte) {
	if len(b) >= 2 && b[0] == 0xFF && b[1] == 0x03 {
		b = b[2:]
	}
	if len(b) >= 1 && b[0]&1 == 1 {
		d.pppProto(p, uint16(b[0]), b[1:])
		return
	}
	if len(b) < 2 {
		weird(p, weirdTruncatedPPPSerial)
		return
	}
	d.pppProto(p, be16(b), b[2:])
}

func (d *Decoder) pppProto(p *Packet, proto uint16, b []byte) {
	if proto == pppIPv4 || proto == pppIPv6 {
		d.linkIP(p, b)
		return
	}
	p.Status = NotIP // LCP, IPCP, CHAP, ...
}

// nflog decodes LINKTYPE_NFLOG: a 4-byte header (address family, version,
// resource id) and type-length-value attributes whose lengths and types are
// in the capturing host's byte order, which is little-endian on every host
// that runs netfilter in practice; each is padded to 4 bytes. The packet is
// the value of NFULA_PAYLOAD.
func (d *Decoder) nflog(p *Packet, b []byte) {
	if len(b) < 4 {
		weird(p, weirdTruncatedNFLOG)
		return
	}
	fam, version := b[0], b[1]
	if version != 0 {
		weird(p, weirdUnknownNFLOGVersion)
		return
	}
	b = b[4:]
	for {
		if len(b) < 4 {
			weird(p, weirdNFLOGNoPayload)
			return
		}
		n := int(binary.LittleEndian.Uint16(b))
		typ := binary.LittleEndian.Uint16(b[2:]) & 0x7FFF // high bit: NLA_F_NESTED
		if typ == nflogTypePayload {
			// The value runs to the end of the frame; the IP length
			// removes any padding.
			b = b[4:]
			break
		}
		if n < 4 {
			weird(p, weirdNFLOGBadTLVLen)
			return
		}
		n = (n + 3) &^ 3
		if n > len(b) {
			weird(p, weirdNFLOGNoPayload)
			return
		}
		b = b[n:]
	}
	switch fam {
	case afInet, afInet6Linux:
		d.linkIP(p, b)
	default:
		p.Status = NotIP // NFPROTO_ARP, NFPROTO_BRIDGE, ...
	}
}
