package decode

// Packet is the decoded view of one frame. A Decoder fills it in place; all
// slices point into the frame's bytes or into the Decoder's fragment
// reassembly buffers and are valid only until the next Decode call. A
// Packet holds no pointer of its own besides those slices: copying one is
// cheap and keeps nothing else alive.
type Packet struct {
	// Set by the caller before Decode.
	TS      int64  // ns since the Unix epoch
	Link    uint32 // sources.Link*
	Data    []byte // captured bytes
	WireLen int
	Iface   int

	// Set by Decode.
	Status    Status
	Weird     string // Zeek weird name when Status is Weird (e.g. "truncated_IP")
	VLAN      uint16 // outer 802.1Q id, 0 if none
	InnerVLAN uint16 // inner id with QinQ, 0 if none

	IPVersion   uint8    // 4 or 6
	Src, Dst    [16]byte // IPv4 addresses are stored IPv4-mapped (::ffff:a.b.c.d)
	IPHdrLen    int      // IPv4 header length, or 40 + IPv6 extension headers before the transport
	IPTotalLen  int      // IP datagram length from the header (what Zeek counts in ip_bytes)
	TTL         uint8
	Proto       uint8  // transport protocol number (after IPv6 extension headers)
	IP          []byte // the IP datagram (reassembled if it was fragmented), clipped to IPTotalLen
	L4          []byte // transport header and payload, clipped to the IP length (no link padding)
	Reassembled bool   // the datagram came from fragment reassembly

	SrcPort, DstPort uint16 // TCP/UDP ports; ICMP: see below
	// TCP
	Seq, Ack uint32
	TCPFlags uint8
	Window   uint16
	// ICMP / ICMPv6
	ICMPType, ICMPCode uint8
	// Transport payload (TCP/UDP payload, ICMP body after the 8-byte header),
	// clipped to the IP length; len(Payload) may be less than the length the
	// headers claim when the capture was cut by the snap length: see Truncated.
	Payload     []byte
	PayloadLen  int  // payload length the headers claim (TCP: IP len - headers; UDP: UDP length - 8)
	Truncated   bool // fewer bytes captured than the headers claim
	BadChecksum bool // transport checksum verified and wrong (only when checking is on)

	// ExtraWeird holds anomalies Zeek reports while it still processes the
	// packet (fragment overlaps, UDP length mismatch, ...; see README.md). It
	// may be set whatever the Status, Fragment and Weird included, and the
	// caller reports each member (ExtraWeirdNames gives their names as Zeek
	// writes them); Weird names the one anomaly that stopped decoding.
	ExtraWeird WeirdSet

	// Tunnel says whether the packet carries an encapsulated frame (IP-in-IP,
	// GRE, VXLAN, Geneve, Teredo, AYIYA, GTPv1, GRE-in-UDP): see Tunnel and
	// DecodeInner. Its Kind is TunnelNone for an ordinary packet.
	Tunnel Tunnel
	// Encap is the chain of tunnels the packet came out of, outermost
	// first: empty after Decode, set by DecodeInner.
	Encap EncapChain
}

// Reset clears every field Decode sets and keeps the ones the caller sets
// (TS, Link, Data, WireLen, Iface). Decode calls it first, so no field of a
// previous packet survives into the next one.
func (p *Packet) Reset() {
	*p = Packet{TS: p.TS, Link: p.Link, Data: p.Data, WireLen: p.WireLen, Iface: p.Iface}
}

// InnerFrame returns the encapsulated frame p carries, as captured: a
// slice of p.IP (so of the frame or of a reassembly buffer, valid as long as
// p.IP), or nil when p carries none (Tunnel.InnerLink is 0). Its link type
// is Tunnel.InnerLink and its length on the wire Tunnel.InnerWireLen.
func (p *Packet) InnerFrame() []byte {
	t := &p.Tunnel
	if t.InnerLink == 0 || p.Status != OK || t.InnerOff > len(p.IP) {
		return nil
	}
	return p.IP[t.InnerOff:]
}

// ExtraWeirdNames appends the names of p.ExtraWeird to dst as Zeek writes
// them: a packet that came out of a tunnel gets "_in_tunnel" appended to the
// anomalies Zeek reports for the packet rather than for a connection (see
// WeirdSet.AppendNamesInTunnel). It does not allocate when dst has room.
func (p *Packet) ExtraWeirdNames(dst []string) []string {
	if p.Encap.Len() > 0 {
		return p.ExtraWeird.AppendNamesInTunnel(dst)
	}
	return p.ExtraWeird.AppendNames(dst)
}

// Status says what Decode made of a frame.
type Status uint8

const (
	OK       Status = iota // an IP packet with its transport decoded
	NotIP                  // a valid frame that carries no IP (ARP, LLDP, ...): ignored
	Fragment               // an IP fragment was stored; the datagram is not complete yet
	Weird                  // malformed; Weird names the anomaly; the packet is dropped
)

// TCP flag bits.
const (
	FIN = 0x01
	SYN = 0x02
	RST = 0x04
	PSH = 0x08
	ACK = 0x10
	URG = 0x20
	ECE = 0x40
	CWR = 0x80
)
