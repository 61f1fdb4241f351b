package decode

// transport decodes the transport header of p. l4 holds the captured bytes
// after the IP headers, clipped to the IP length; l4Len is the length the IP
// header claims for them (more than len(l4) when p.Truncated).
//
// As in Zeek, a transport header beyond the IP length is "truncated_header"
// and one beyond the capture "internally_truncated_header".
func (d *Decoder) transport(p *Packet, l4 []byte, l4Len int) {
	p.L4 = l4
	switch p.Proto {
	case protoTCP:
		d.tcp(p, l4, l4Len)
	case protoUDP:
		d.udp(p, l4, l4Len)
	case protoICMP, protoICMPv6:
		d.icmp(p, l4, l4Len)
	}
}

// l4HeaderFits reports whether a minimal transport header of n bytes is
// there, and ends decoding if not.
func l4HeaderFits(p *Packet, l4 []byte, l4Len, n int) bool {
	switch {
	case l4Len < n:
		weird(p, weirdTruncatedHeader)
		return false
	case len(l4) < n:
		weird(p, weirdInternallyTruncated)
		return false
	}
	return true
}

func (d *Decoder) tcp(p *Packet, l4 []byte, l4Len int) {
	if !l4HeaderFits(p, l4, l4Len, 20) {
		return
	}
	p.SrcPort = be16(l4[0:2])
	p.DstPort = be16(l4[2:4])
	p.Seq = be32(l4[4:8])
	p.Ack = be32(l4[8:12])
	p.TCPFlags = l4[13]
	p.Window = be16(l4[14:16])
	hl := int(l4[12]>>4) * 4
	switch {
	case hl < 20:
		weird(p, weirdBadTCPHeaderLen)
		return
	case hl > l4Len || hl > len(l4):
		weird(p, weirdTruncatedHeader) // options cut, by the IP length or the capture
		return
	}
	p.Payload = l4[hl:]
	p.PayloadLen = l4Len - hl
	if d.cfg.CheckChecksums && !p.Truncated {
		p.BadChecksum = !l4ChecksumOK(p, protoTCP, l4)
	}
}

func (d *Decoder) udp(p *Packet, l4 []byte, l4Len int) {
	if !l4HeaderFits(p, l4, l4Len, 8) {
		return
	}
	p.SrcPort = be16(l4[0:2])
	p.DstPort = be16(l4[2:4])
	ulen := int(be16(l4[4:6]))
	if ulen != l4Len {
		p.ExtraWeird |= WeirdUDPDatagramLengthMismatch
	}
	// Zeek counts ulen-8 bytes; the data ends at the UDP length when that
	// is inside the IP payload, and at the IP payload otherwise.
	p.PayloadLen = max(ulen-8, 0)
	p.Payload = l4[8:]
	if ulen >= 8 && ulen-8 < len(p.Payload) {
		p.Payload = p.Payload[:ulen-8]
	}
	if d.cfg.CheckChecksums && !p.Truncated {
		switch {
		case be16(l4[6:8]) != 0:
			// Over the whole IP payload, as Zeek does; it is the UDP
			// datagram unless the lengths disagree.
			p.BadChecksum = !l4ChecksumOK(p, protoUDP, l4)
		case p.IPVersion == 6 && !vxlanZeroChecksumOK(p):
			p.BadChecksum = true // RFC 8200 §8.1: zero is not "no checksum" in IPv6
		}
	}
}

// vxlanZeroChecksumOK says a zero UDP checksum over IPv6 is accepted, as
// Zeek accepts it (and RFC 7348 §5 has VXLAN senders send it) for what
// looks like VXLAN: to the VXLAN port, the I flag set, room for the VXLAN
// and an Ethernet header.
func vxlanZeroChecksumOK(p *Packet) bool {
	return p.DstPort == portVXLAN && p.PayloadLen > 8+14 && len(p.Payload) > 0 && p.Payload[0]&0x08 != 0
}

// icmp decodes ICMP and ICMPv6: type and code; the payload is what follows
// the 8-byte header (the rest of the header of some types included).
func (d *Decoder) icmp(p *Packet, l4 []byte, l4Len int) {
	if !l4HeaderFits(p, l4, l4Len, 8) {
		return
	}
	p.ICMPType = l4[0]
	p.ICMPCode = l4[1]
	p.Payload = l4[8:]
	p.PayloadLen = l4Len - 8
	if d.cfg.CheckChecksums && !p.Truncated {
		if p.Proto == protoICMP {
			p.BadChecksum = csumFold(csumAdd(0, l4)) != 0xFFFF // no pseudo-header
		} else {
			p.BadChecksum = !l4ChecksumOK(p, protoICMPv6, l4)
		}
	}
}

// l4ChecksumOK verifies the checksum of the segment l4 with the pseudo-header
// of p. Both representations of zero in the checksum field are accepted: see
// csumFold.
func l4ChecksumOK(p *Packet, proto uint8, l4 []byte) bool {
	return csumFold(csumAdd(pseudoSum(p, proto, len(l4)), l4)) == 0xFFFF
}
