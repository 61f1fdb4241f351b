package decode

import "github.com/weirnet/weir/sources"

// Tunnel detection and the tunnel headers, following Zeek's packet
// analyzers (src/packet_analysis/protocol/{iptunnel,ipinip,gre,erspan,
// vxlan,geneve,teredo,ayiya,gtpv1}) check for check, so that the same
// packet gives the same connections, weirds and violations.

// IP protocols that carry tunnels.
const (
	protoIPIP = 4  // IPv4 (IP-in-IP, RFC 2003)
	protoIPv6 = 41 // IPv6 (6in4, RFC 4213; IPv6-in-IPv6)
	protoGRE  = 47
)

// Zeek's default UDP ports of the UDP-based tunnels (its vxlan_ports,
// geneve_ports, teredo_ports, ayiya_ports, gtpv1_ports and gre_ports).
const (
	portVXLAN  = 4789
	portGeneve = 6081
	portTeredo = 3544
	portAYIYA  = 5072
	portGTPU   = 2152
	portGTPC   = 2123
	portGRE    = 4754
)

// EtherTypes of GRE and Geneve payloads.
const (
	etherTypeTEB     = 0x6558 // transparent Ethernet bridging: an Ethernet frame
	etherTypeERSPAN  = 0x88BE // ERSPAN type I (no sequence number) and II
	etherTypeERSPAN3 = 0x22EB // ERSPAN type III
	etherTypePPTP    = 0x880B // the protocol of enhanced GRE (version 1): PPP
)

// The first 16 bits of a GRE header: flags and version (RFC 2784, 2890;
// RFC 2637 for version 1).
const (
	greFlagChecksum  = 0x8000
	greFlagRouting   = 0x4000
	greFlagKey       = 0x2000
	greFlagSeq       = 0x1000
	greFlagAck       = 0x0080 // version 1 only
	greFlagsReserved = 0x0078
	greVersionMask   = 0x0007
)

const gtpMsgGPDU = 0xFF // GTPv1-U message type of a user packet

// Zeek's analyzer violation reasons for malformed UDP tunnels
// (Tunnel.Violation).
const (
	violVXLANTrunc     = "VXLAN header truncation"
	violVXLANFlag      = "VXLAN 'I' flag not set"
	violGeneveTrunc    = "Geneve header truncation"
	violGeneveOptTrunc = "Geneve option header truncation"
	violTeredoBad      = "Bad Teredo encapsulation"
	violTeredoLen      = "Teredo payload length"
	violTeredoTrunc    = "Truncated Teredo or invalid inner IP version"
	violAYIYATrunc     = "Truncated AYIYA"
	violGTPHeader      = "Binpac exception: truncated GTPv1 header" // binpac's out-of-bound error, shortened
	violGTPInGTP       = "GTP-in-GTP"
	violGTPVersion     = "GTPv1 bad Version"
	violGTPTrunc       = "Truncated GTPv1"
	violGTPNonIP       = "non-IP packet in GTPv1"
	violGTPPayloadLen  = "GTPv1 payload length"
)

// tunnel looks for an encapsulated frame in p, an OK packet with its
// transport decoded, and sets p.Tunnel (or ends decoding with a weird for a
// malformed IP-level tunnel).
func (d *Decoder) tunnel(p *Packet) {
	switch p.Proto {
	case protoIPIP, protoIPv6:
		d.ipInIP(p)
	case protoGRE:
		d.gre(p)
	case protoUDP:
		// Zeek hands a UDP payload on only when the checksum is good.
		if !p.BadChecksum {
			d.udpTunnel(p)
		}
	}
}

// depthExceeded reports whether p is already inside as many tunnels as
// decapsulation may go (Zeek's Tunnel::max_depth).
func (d *Decoder) depthExceeded(p *Packet) bool {
	return p.Encap.Len() >= d.cfg.MaxTunnelDepth
}

// setTunnel records that p is a packet of a tunnel of the kind.
func (p *Packet) setTunnel(kind TunnelKind, outerIsConn bool) {
	t := &p.Tunnel
	t.Kind, t.Proto, t.OuterIsConn = kind, p.Proto, outerIsConn
	t.Src, t.Dst = p.Src, p.Dst
	if outerIsConn {
		t.SrcPort, t.DstPort = p.SrcPort, p.DstPort
	}
}

// setInner records the encapsulated frame: of link type link, at off in
// p.IP, wire bytes long on the wire.
func (p *Packet) setInner(link uint32, off, wire int) {
	t := &p.Tunnel
	t.InnerLink, t.InnerOff, t.InnerWireLen = link, off, max(wire, 0)
}

// ipInIP decapsulates IPv4 or IPv6 carried directly in IP. Like Zeek's
// IP-in-IP analyzer it checks the inner header first: its version must be
// the one the protocol number says and its length what the outer packet
// holds.
func (d *Decoder) ipInIP(p *Packet) {
	if d.depthExceeded(p) {
		weird(p, weirdExceededTunnelDepth)
		return
	}
	b := p.L4 // captured, clipped to the outer IP length
	var total int
	if p.Proto == protoIPv6 {
		switch {
		case len(b) < 40:
			weird(p, weirdTruncatedInnerIP)
			return
		case b[0]>>4 != 6:
			weird(p, weirdInvalidInnerIPVersion)
			return
		}
		total = 40 + int(be16(b[4:6]))
	} else {
		if len(b) < 20 || b[0]>>4 != 4 {
			weird(p, weirdInvalidInnerIPVersion) // Zeek: a short IPv4 header too
			return
		}
		total = int(be16(b[2:4]))
	}
	switch {
	case len(b) < total:
		weird(p, weirdTruncatedInnerIP)
		return
	case len(b) > total:
		weird(p, weirdInnerIPPayloadLenMismatch)
		return
	}
	p.setTunnel(TunnelIP, false)
	p.setInner(sources.LinkRaw, p.IPHdrLen, p.IPTotalLen-p.IPHdrLen)
}

// gre decapsulates GRE carried in IP (protocol 47).
func (d *Decoder) gre(p *Packet) {
	if d.depthExceeded(p) {
		weird(p, weirdExceededTunnelDepth)
		return
	}
	link, n, w := parseGRE(p.L4)
	if w != 0 {
		weird(p, w.name())
		return
	}
	p.setTunnel(TunnelGRE, false)
	if link != 0 {
		p.setInner(link, p.IPHdrLen+n, p.IPTotalLen-p.IPHdrLen-n)
	}
}

// greHeaderLen is the length of a GRE header with the flags of fv: the
// optional checksum, key, sequence and (version 1) acknowledgment fields.
func greHeaderLen(fv uint16) int {
	n := 4
	if fv&greFlagChecksum != 0 {
		n += 4
	}
	if fv&greFlagKey != 0 {
		n += 4
	}
	if fv&greFlagSeq != 0 {
		n += 4
	}
	if fv&greFlagAck != 0 {
		n += 4
	}
	return n
}

// parseGRE parses the GRE header (RFC 2784/2890, enhanced GRE of RFC 2637)
// at the start of b, and the ERSPAN header after it. It returns the link
// type of the payload (0 for one weir does not decode) and the bytes before
// it, or the anomaly, a member of WeirdSet.
func parseGRE(b []byte) (link uint32, n int, w WeirdSet) {
	if len(b) < 4 {
		return 0, 0, WeirdTruncatedGRE
	}
	fv, proto := be16(b), be16(b[2:4])
	version := fv & greVersionMask
	n = greHeaderLen(fv)
	switch {
	case version > 1:
		return 0, 0, WeirdUnknownGREVersion
	case version == 1 && proto != etherTypePPTP:
		return 0, 0, WeirdEGREProtocolType
	case version == 0 && proto == etherTypeERSPAN && fv&greFlagSeq == 0:
		proto = etherTypeTEB // ERSPAN type I: no ERSPAN header, the mirrored frame follows
	}
	switch {
	case fv&greFlagRouting != 0:
		return 0, 0, WeirdGRERouting // RFC 1701 source routing, deprecated: Zeek does not parse it
	case fv&greFlagsReserved != 0:
		return 0, 0, WeirdUnknownGREFlags
	}
	if version == 1 {
		// PPTP: a 4-byte PPP header (address, control, protocol) follows.
		if len(b) < n+4 {
			return 0, 0, WeirdTruncatedGRE
		}
		switch be16(b[n+2 : n+4]) {
		case pppIPv4, pppIPv6:
			return sources.LinkRaw, n + 4, 0
		}
		return 0, 0, WeirdNonIPPacketInEncap
	}
	if len(b) < n {
		return 0, 0, WeirdTruncatedGRE
	}
	switch proto {
	case etherTypeIPv4, etherTypeIPv6:
		return sources.LinkRaw, n, 0
	case etherTypeTEB:
		return sources.LinkEthernet, n, 0
	case etherTypeERSPAN, etherTypeERSPAN3:
		e, w := erspanLen(b[n:])
		if w != 0 {
			return 0, 0, w
		}
		return sources.LinkEthernet, n + e, 0
	}
	// MPLS (0x8847), Aruba's 802.11 (0x8200-0x8370, 0x9000) and anything
	// else: Zeek hands them to analyzers weir does not have, or to none.
	return 0, n, 0
}

// erspanLen returns the length of the ERSPAN type II or III header at the
// start of b; its version field tells the type, as in Zeek's ERSPAN
// analyzer.
func erspanLen(b []byte) (int, WeirdSet) {
	if len(b) < 8 {
		return 0, WeirdTruncatedERSPAN
	}
	switch b[0] >> 4 {
	case 1: // type II
		return 8, 0
	case 2: // type III: 12 bytes and, with the O bit, an 8-byte platform sub-header
		if len(b) < 12 {
			return 0, WeirdTruncatedERSPAN
		}
		n := 12
		if b[11]&0x01 != 0 {
			n += 8
			if len(b) < n {
				return 0, WeirdTruncatedERSPAN
			}
		}
		return n, 0
	}
	return 0, WeirdUnknownERSPANVersion
}

// udpPortTunnel is the tunnel Zeek registers on a UDP port.
func udpPortTunnel(port uint16) TunnelKind {
	switch port {
	case portVXLAN:
		return TunnelVXLAN
	case portGeneve:
		return TunnelGeneve
	case portTeredo:
		return TunnelTeredo
	case portAYIYA:
		return TunnelAYIYA
	case portGTPU, portGTPC:
		return TunnelGTPv1
	case portGRE:
		return TunnelGRE
	}
	return TunnelNone
}

// udpTunnel decapsulates the UDP-based tunnels. Zeek chooses the tunnel
// by the responder port of the connection, or failing that by content
// (Teredo, AYIYA); per packet, without the connection, the destination port
// is tried first and then the source port, which is the same choice
// whenever the tunnel endpoint is the responder.
func (d *Decoder) udpTunnel(p *Packet) {
	pl := p.L4[8:] // what Zeek hands on: the IP payload after the UDP header, as captured
	base := p.IPHdrLen + 8
	wire := p.IPTotalLen - base
	kind := udpPortTunnel(p.DstPort)
	if kind == TunnelNone {
		kind = udpPortTunnel(p.SrcPort)
	}
	if kind == TunnelNone {
		switch {
		case detectAYIYA(pl):
			kind = TunnelAYIYA
		case detectTeredo(pl):
			kind = TunnelTeredo
		default:
			return
		}
	}
	p.setTunnel(kind, true)
	var off int
	var link uint32
	switch kind {
	case TunnelVXLAN:
		link, off = d.vxlan(p, pl)
	case TunnelGeneve:
		link, off = d.geneve(p, pl)
	case TunnelTeredo:
		link, off = d.teredo(p, pl)
	case TunnelAYIYA:
		link, off = d.ayiya(p, pl)
	case TunnelGTPv1:
		link, off = d.gtp(p, pl)
	case TunnelGRE:
		if d.depthExceeded(p) {
			p.ExtraWeird |= WeirdExceededTunnelDepth
			return
		}
		var w WeirdSet
		link, off, w = parseGRE(pl)
		p.ExtraWeird |= w
	}
	if p.Tunnel.Violation != "" {
		d.stats.TunnelViolations++
	}
	if link != 0 {
		p.setInner(link, base+off, wire-off)
	}
}

func (d *Decoder) vxlan(p *Packet, b []byte) (uint32, int) {
	switch {
	case d.depthExceeded(p):
		p.ExtraWeird |= WeirdExceededTunnelDepth
		return 0, 0
	case len(b) < 8:
		p.Tunnel.Violation = violVXLANTrunc
		return 0, 0
	case b[0]&0x08 == 0:
		p.Tunnel.Violation = violVXLANFlag
		return 0, 0
	}
	p.Tunnel.Confirmed = true
	if len(b) == 8 {
		p.ExtraWeird |= WeirdVXLANEmptyPacket
		return 0, 0
	}
	return sources.LinkEthernet, 8
}

func (d *Decoder) geneve(p *Packet, b []byte) (uint32, int) {
	switch {
	case d.depthExceeded(p):
		p.ExtraWeird |= WeirdExceededTunnelDepth
		return 0, 0
	case len(b) < 8:
		p.Tunnel.Violation = violGeneveTrunc
		return 0, 0
	case b[0]>>6 != 0:
		p.ExtraWeird |= WeirdGeneveInvalidVersion
		return 0, 0
	}
	n := 8 + int(b[0]&0x3F)*4 // options are skipped
	if len(b) < n {
		p.Tunnel.Violation = violGeneveOptTrunc
		return 0, 0
	}
	p.Tunnel.Confirmed = true
	if len(b) == n {
		p.ExtraWeird |= WeirdGeneveEmptyPacket
		return 0, 0
	}
	switch be16(b[2:4]) {
	case etherTypeTEB:
		return sources.LinkEthernet, n
	case etherTypeIPv4, etherTypeIPv6:
		// Zeek registers 0x08DD, a typo for 0x86DD, so it does not
		// decapsulate IPv6 in Geneve; weir does.
		return sources.LinkRaw, n
	}
	return 0, 0 // ARP and anything else: nothing for weir
}

// detectTeredo is Zeek's content check for Teredo on ports other than 3544
// (TeredoAnalyzer::DetectProtocol): an IPv6 header to or from a Teredo
// address (2001:0::/32), or an origin indication, optionally after an
// authentication header, followed by an IPv6 header.
func detectTeredo(b []byte) bool {
	n := len(b)
	if n < 40 || n > 8 && b[0]>>4 != 6 && (b[0] != 0 || b[1] > 1) {
		return false
	}
	// Zeek's pattern, matched on a prefix of the payload: IPv6 with a
	// Teredo address as source or destination.
	if b[0]>>4 == 6 && (isTeredoPrefix(b[8:12]) || isTeredoPrefix(b[24:28])) {
		return true
	}
	val := uint16(b[1])
	if val == 1 {
		// An authentication header: client id and authenticator lengths,
		// then 9 bytes of nonce and confirmation.
		skip := 13 + int(b[2]) + int(b[3])
		if n < skip {
			return false
		}
		b = b[skip:]
		if len(b) < 40 {
			return false
		}
		val = be16(b)
	}
	if val == 0 {
		// An origin indication, 8 bytes, then the IPv6 header.
		if len(b) < 8+40 {
			return false
		}
		return b[8]>>4 == 6
	}
	return false
}

func isTeredoPrefix(a []byte) bool { return a[0] == 0x20 && a[1] == 0x01 && a[2] == 0 && a[3] == 0 }

// teredoInner walks the Teredo indicators (RFC 4380 §5.1.1: at most one
// authentication header, then at most one origin indication) to the IPv6
// header and returns its offset in b, as Zeek's TeredoEncapsulation does.
func teredoInner(b []byte) (int, bool) {
	off, origin, auth := 0, false, false
	for {
		r := b[off:]
		if len(r) < 2 {
			return 0, false
		}
		switch tag := be16(r); {
		case tag == 0: // origin indication
			if origin || len(r) < 8 {
				return 0, false
			}
			origin = true
			off += 8
		case tag == 1: // authentication
			if origin || auth || len(r) < 4 {
				return 0, false
			}
			n := 4 + int(r[2]) + int(r[3]) + 8 + 1
			if len(r) < n {
				return 0, false
			}
			auth = true
			off += n
		case tag>>12 == 6:
			if len(r) < 40 {
				return 0, false
			}
			return off, true
		default:
			return 0, false
		}
	}
}

func (d *Decoder) teredo(p *Packet, b []byte) (uint32, int) {
	if d.depthExceeded(p) {
		p.ExtraWeird |= WeirdExceededTunnelDepth
		return 0, 0
	}
	off, ok := teredoInner(b)
	if !ok {
		p.Tunnel.Violation = violTeredoBad
		return 0, 0
	}
	ip6 := b[off:]
	total := 40 + int(be16(ip6[4:6]))
	switch {
	case len(ip6) > total:
		if ip6[6] != protoNoNext || total != 40 {
			p.Tunnel.Violation = violTeredoLen
			return 0, 0
		}
		// A bubble with data after it is not strictly wrong.
		p.ExtraWeird |= WeirdTeredoBubbleWithPayload
	case len(ip6) < total:
		p.Tunnel.Violation = violTeredoTrunc
		return 0, 0
	}
	p.Tunnel.Confirmed = true
	return sources.LinkRaw, off
}

// detectAYIYA is Zeek's content check for AYIYA on ports other than 5072:
// SHA-1 signature of 20 bytes, authentication method 1 and the forward
// operation.
func detectAYIYA(b []byte) bool { return len(b) >= 3 && b[1] == 0x52 && b[2] == 0x11 }

func (d *Decoder) ayiya(p *Packet, b []byte) (uint32, int) {
	if d.depthExceeded(p) {
		p.ExtraWeird |= WeirdExceededTunnelDepth
		return 0, 0
	}
	if len(b) < 8 {
		p.Tunnel.Violation = violAYIYATrunc
		return 0, 0
	}
	// Zeek holds the identity length in 8 bits, so identity length
	// nibbles of 8 and more give 0; weir does the same.
	idLen := int(uint8(1 << (b[0] >> 4)))
	sigLen := int(b[1]>>4) * 4
	n := 8 + idLen + sigLen
	if len(b) < n {
		p.Tunnel.Violation = violAYIYATrunc
		return 0, 0
	}
	if b[2]&0x0F != 1 {
		return 0, 0 // not a forwarded packet (a heartbeat, ...): nothing more to do
	}
	next := b[3]
	p.Tunnel.Confirmed = true
	if len(b) == n {
		p.ExtraWeird |= WeirdAYIYAEmptyPacket
		return 0, 0
	}
	if next == protoIPIP || next == protoIPv6 {
		return sources.LinkRaw, n
	}
	return 0, 0
}

// gtp decapsulates a GTPv1-U G-PDU (3GPP TS 29.281). The header is 8 bytes,
// then 4 more (sequence number, N-PDU number, next extension header type)
// when any of the E, S and PN flags is set, then with E a chain of
// extension headers, each its length in 4-byte units first and the type of
// the next one last, until a next type of 0.
func (d *Decoder) gtp(p *Packet, b []byte) (uint32, int) {
	// Zeek's binpac parser reads the whole header first: a short one is a
	// parse error, reported as a violation.
	if len(b) < 8 {
		p.Tunnel.Violation = violGTPHeader
		return 0, 0
	}
	flags, msg := b[0], b[1]
	n := 8
	if flags&0x07 != 0 {
		n = 12
		if len(b) < n {
			p.Tunnel.Violation = violGTPHeader
			return 0, 0
		}
	}
	if flags&0x04 != 0 {
		for {
			if len(b) < n+1 || b[n] == 0 {
				p.Tunnel.Violation = violGTPHeader
				return 0, 0
			}
			l := int(b[n]) * 4
			if len(b) < n+l {
				p.Tunnel.Violation = violGTPHeader
				return 0, 0
			}
			next := b[n+l-1]
			n += l
			if next == 0 {
				break
			}
		}
	}
	switch {
	case d.depthExceeded(p):
		p.ExtraWeird |= WeirdTunnelDepth
		return 0, 0
	case p.Encap.lastKind() == TunnelGTPv1:
		p.Tunnel.Violation = violGTPInGTP
		return 0, 0
	case flags>>5 != 1:
		p.Tunnel.Violation = violGTPVersion
		return 0, 0
	case flags&0x10 == 0, msg != gtpMsgGPDU:
		return 0, 0 // GTP' or a signalling message: no user packet
	}
	ip := b[n:]
	if len(ip) < 20 {
		p.Tunnel.Violation = violGTPTrunc
		return 0, 0
	}
	var total int
	switch ip[0] >> 4 {
	case 4:
		total = int(be16(ip[2:4]))
	case 6:
		if len(ip) < 40 {
			p.Tunnel.Violation = violGTPTrunc
			return 0, 0
		}
		total = 40 + int(be16(ip[4:6]))
	default:
		p.Tunnel.Violation = violGTPNonIP
		return 0, 0
	}
	switch {
	case len(ip) < total:
		p.Tunnel.Violation = violGTPTrunc
		return 0, 0
	case len(ip) > total:
		p.Tunnel.Violation = violGTPPayloadLen
		return 0, 0
	}
	p.Tunnel.Confirmed = true // Zeek's Tunnel::delay_gtp_confirmation is off by default
	return sources.LinkRaw, n
}
