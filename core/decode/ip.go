package decode

import "encoding/binary"

// IP protocol numbers the decoder knows.
const (
	protoHopByHop = 0
	protoICMP     = 1
	protoTCP      = 6
	protoUDP      = 17
	protoRouting  = 43
	protoFragment = 44
	protoAH       = 51
	protoICMPv6   = 58
	protoNoNext   = 59
	protoDstOpts  = 60
)

// IPv4 flags and fragment offset (the 16 bits at offset 6).
const (
	ipv4DF         = 0x4000
	ipv4MF         = 0x2000
	ipv4OffsetMask = 0x1FFF
)

// ip decodes the IP datagram at b: the captured bytes from the IP header to
// the end of the frame. wire is how many bytes the wire carried from the IP
// header on (at least len(b)); reassembled says b is a datagram the decoder
// put together from fragments.
func (d *Decoder) ip(p *Packet, b []byte, wire int, reassembled bool) {
	if len(b) < 20 {
		weird(p, weirdTruncatedIP)
		return
	}
	switch b[0] >> 4 {
	case 4:
		d.ipv4(p, b, wire, reassembled)
	case 6:
		if len(b) < 40 {
			weird(p, weirdTruncatedIP)
			return
		}
		d.ipv6(p, b, wire, reassembled)
	default:
		weird(p, weirdUnknownIPVersion)
	}
}

// The checks and their order follow Zeek's IP analyzer, so the same packet
// gets the same weird.
func (d *Decoder) ipv4(p *Packet, b []byte, wire int, reassembled bool) {
	p.IPVersion = 4
	p.Src = v4Mapped(b[12:16])
	p.Dst = v4Mapped(b[16:20])
	p.TTL = b[8]
	p.Proto = b[9]

	hl := int(b[0]&0x0F) * 4
	total := int(be16(b[2:4]))
	if total == 0 {
		// TCP segmentation offload leaves the length zero in what the
		// capturing host saw. Its checksum is then wrong too, so Zeek gives
		// up unless checksums are ignored, when it trusts the capture.
		if d.cfg.CheckChecksums {
			weird(p, weirdIPHdrLenZero)
			return
		}
		p.ExtraWeird |= WeirdIPHdrLenZero
		total = len(b)
	}
	switch {
	case wire < total:
		weird(p, weirdTruncatedIPLen)
		return
	case hl > total:
		weird(p, weirdInvalidIPHeaderSize)
		return
	case hl > len(b):
		weird(p, weirdInternallyTruncated)
		return
	case hl < 20:
		weird(p, weirdIPv4MinHeaderSize)
		return
	}
	p.IPHdrLen = hl
	p.IPTotalLen = total
	// A reassembled header was rewritten with a fresh checksum; the
	// fragments' were checked on the way in.
	if d.cfg.CheckChecksums && !reassembled && csumFold(csumAdd(0, b[:hl])) != 0xFFFF {
		weird(p, weirdBadIPChecksum)
		return
	}
	b, p.Truncated = clip(b, total)
	p.IP = b

	if fo := be16(b[6:8]); fo&(ipv4MF|ipv4OffsetMask) != 0 {
		d.ipv4Fragment(p, b, hl, fo)
		return
	}
	d.transport(p, b[hl:], total-hl)
}

func (d *Decoder) ipv4Fragment(p *Packet, b []byte, hl int, fo uint16) {
	offset := int(fo&ipv4OffsetMask) * 8
	if p.Truncated {
		// Reassembling from a cut fragment is doomed. Like Zeek, keep the
		// first one for its transport header and drop the rest.
		p.ExtraWeird |= WeirdIncompletelyCapturedFragment
		if offset != 0 {
			weird(p, weirdIncompleteFragment)
			return
		}
		d.transport(p, b[hl:], p.IPTotalLen-hl)
		return
	}
	if fo&ipv4DF != 0 {
		p.ExtraWeird |= WeirdFragmentWithDF
	}
	f := fragment{
		key:    fragKey{src: p.Src, dst: p.Dst, id: uint32(be16(b[4:6])), proto: p.Proto},
		hdr:    b[:hl],
		offset: offset,
		more:   fo&ipv4MF != 0,
		data:   b[hl:],
	}
	if dgram := d.frags.add(p, &f); dgram != nil {
		d.reassembled(p, dgram)
	}
}

func (d *Decoder) ipv6(p *Packet, b []byte, wire int, reassembled bool) {
	p.IPVersion = 6
	copy(p.Src[:], b[8:24])
	copy(p.Dst[:], b[24:40])
	p.TTL = b[7]

	// A payload length of 0 with a jumbo payload option (RFC 2675) is not
	// supported: it is taken at its word, an empty payload.
	total := 40 + int(be16(b[4:6]))
	if wire < total {
		weird(p, weirdTruncatedIPLen)
		return
	}
	p.IPTotalLen = total
	b, p.Truncated = clip(b, total)
	p.IP = b

	// Walk the extension headers. nhOff is the offset of the next-header
	// byte that named the header at off: fragment reassembly rewrites it.
	nh, nhOff, off := b[6], 6, 40
walk:
	for {
		var n int
		switch nh {
		case protoHopByHop, protoRouting, protoDstOpts, protoAH, protoFragment:
			if !extHeaderFits(p, b, off, 2) {
				return
			}
			switch nh {
			case protoAH:
				n = (int(b[off+1]) + 2) * 4 // RFC 4302: in 4-byte units, less 2
			case protoFragment:
				n = 8
			default:
				n = (int(b[off+1]) + 1) * 8
			}
			if !extHeaderFits(p, b, off, n) {
				return
			}
		default:
			break walk // transport, ESP (encrypted from here on), no next header
		}
		switch nh {
		case protoRouting:
			routingHeader(p, b[off:off+n])
		case protoFragment:
			fo := be16(b[off+2 : off+4])
			if fo&^0x0006 != 0 { // not an atomic fragment (RFC 6946): offset 0, M clear
				if reassembled {
					weird(p, weirdNestedFragment)
					return
				}
				p.Proto = b[off]
				p.IPHdrLen = off + 8
				d.ipv6Fragment(p, b, off, nhOff, fo)
				return
			}
		}
		nh, nhOff, off = b[off], off, off+n
	}
	p.Proto = nh
	p.IPHdrLen = off
	if nh == protoNoNext {
		if p.Encap.lastKind() == TunnelTeredo {
			// A Teredo bubble: it keeps a NAT mapping open and carries
			// nothing, which Zeek does not flag.
			p.Status = NotIP
			return
		}
		weird(p, weirdIPv6NoNext)
		return
	}
	d.transport(p, b[off:], total-off)
}

// extHeaderFits reports whether n bytes of an extension header at off are
// within the datagram and the capture, and ends decoding if not.
func extHeaderFits(p *Packet, b []byte, off, n int) bool {
	switch {
	case off+n > p.IPTotalLen:
		weird(p, weirdTruncatedHeader)
		return false
	case off+n > len(b):
		weird(p, weirdInternallyTruncated)
		return false
	}
	return true
}

// routingHeader applies a routing header h: with segments left, the final
// destination (what the transport checksum and the connection use) is its
// last address for type 0 (RFC 2460) and the home address for type 2
// (RFC 6275), as Zeek does.
func routingHeader(p *Packet, h []byte) {
	typ, segLeft := h[2], h[3]
	switch typ {
	case 0:
		if segLeft == 0 {
			p.ExtraWeird |= WeirdRouting0Hdr
			return
		}
		p.ExtraWeird |= WeirdRouting0SegLeft
		if len(h) >= 24 {
			copy(p.Dst[:], h[len(h)-16:])
		}
	case 2:
		if segLeft > 0 && len(h) >= 24 {
			copy(p.Dst[:], h[8:24])
		}
	}
}

// ipv6Fragment hands the fragment whose header is at off to reassembly.
func (d *Decoder) ipv6Fragment(p *Packet, b []byte, off, nhOff int, fo uint16) {
	offset := int(fo &^ 7)
	if p.Truncated {
		p.ExtraWeird |= WeirdIncompletelyCapturedFragment
		if offset != 0 {
			weird(p, weirdIncompleteFragment)
			return
		}
		// Decode what follows the fragment header on its own, as Zeek does.
		d.transport(p, b[off+8:], p.IPTotalLen-off-8)
		return
	}
	f := fragment{
		key:       fragKey{src: p.Src, dst: p.Dst, id: be32(b[off+4 : off+8]), v6: true},
		hdr:       b[:off],
		nhOff:     nhOff,
		nextProto: b[off],
		offset:    offset,
		more:      fo&1 != 0,
		data:      b[off+8:],
	}
	if dgram := d.frags.add(p, &f); dgram != nil {
		d.reassembled(p, dgram)
	}
}

// reassembled decodes a datagram that fragment reassembly completed.
func (d *Decoder) reassembled(p *Packet, dgram []byte) {
	p.Reassembled = true
	p.Status = OK
	d.ip(p, dgram, len(dgram), true)
}

// clip returns the first total bytes of b, or all of b and true when fewer
// were captured. Bytes beyond total are link padding.
func clip(b []byte, total int) ([]byte, bool) {
	if total <= len(b) {
		return b[:total], false
	}
	return b, true
}

// v4Mapped returns the IPv4-mapped IPv6 address (::ffff:a.b.c.d) of a.
func v4Mapped(a []byte) [16]byte {
	var m [16]byte
	m[10], m[11] = 0xFF, 0xFF
	binary.BigEndian.PutUint32(m[12:], be32(a))
	return m
}
