package decode

import (
	"strconv"

	"github.com/weirnet/weir/core/flow"
)

// TunnelKind is the kind of an encapsulation. The names (String) are those
// of Zeek's Tunnel::Type, as tunnel.log writes them.
type TunnelKind uint8

// Tunnel kinds. The decoder produces IP, AYIYA, Teredo, GTPv1, GRE, VXLAN
// and Geneve; SOCKS and HTTP (CONNECT) are tunnels an application-layer
// analyzer finds, listed so the numbering matches Zeek's enum.
const (
	TunnelNone   TunnelKind = iota
	TunnelIP                // IP-in-IP and IPv6-in-IP: IP protocols 4 and 41
	TunnelAYIYA             // AYIYA, UDP 5072 or detected by content
	TunnelTeredo            // Teredo, UDP 3544 or detected by content
	TunnelSOCKS             // not produced by the decoder
	TunnelGTPv1             // GTPv1-U G-PDUs, UDP 2152 (and 2123, as Zeek registers both)
	TunnelHTTP              // not produced by the decoder
	TunnelGRE               // GRE (IP protocol 47) and GRE-in-UDP (UDP 4754), ERSPAN included
	TunnelVXLAN             // VXLAN, UDP 4789
	TunnelGeneve            // Geneve, UDP 6081
)

var tunnelKindNames = [...]string{
	TunnelNone:   "Tunnel::NONE",
	TunnelIP:     "Tunnel::IP",
	TunnelAYIYA:  "Tunnel::AYIYA",
	TunnelTeredo: "Tunnel::TEREDO",
	TunnelSOCKS:  "Tunnel::SOCKS",
	TunnelGTPv1:  "Tunnel::GTPv1",
	TunnelHTTP:   "Tunnel::HTTP",
	TunnelGRE:    "Tunnel::GRE",
	TunnelVXLAN:  "Tunnel::VXLAN",
	TunnelGeneve: "Tunnel::GENEVE",
}

// String returns Zeek's name of the kind, e.g. "Tunnel::VXLAN".
func (k TunnelKind) String() string {
	if int(k) < len(tunnelKindNames) {
		return tunnelKindNames[k]
	}
	return "TunnelKind(" + strconv.Itoa(int(k)) + ")"
}

// Service is the name Zeek puts in the service field of the UDP connection
// that carries a confirmed tunnel of the kind ("vxlan", "geneve", "teredo",
// "ayiya", "gtpv1"), or "" for kinds that confirm no service (IP and GRE,
// GRE-in-UDP included: Zeek's GRE analyzer never confirms).
func (k TunnelKind) Service() string {
	switch k {
	case TunnelAYIYA:
		return "ayiya"
	case TunnelTeredo:
		return "teredo"
	case TunnelGTPv1:
		return "gtpv1"
	case TunnelVXLAN:
		return "vxlan"
	case TunnelGeneve:
		return "geneve"
	}
	return ""
}

// Encapsulation is one tunnel as the packet that carried it shows it:
// Zeek's EncapsulatingConn. It is a plain value without pointers.
type Encapsulation struct {
	Kind TunnelKind
	// Proto is the IP protocol of the carrying packet: 4 or 41 for IP, 47
	// for GRE, 17 for the UDP-based tunnels (GRE-in-UDP included).
	Proto uint8
	// OuterIsConn says the carrying packet is a UDP datagram that counts in
	// a connection of its own, as Zeek logs one in conn.log for VXLAN,
	// Geneve, Teredo, AYIYA, GTPv1 and GRE-in-UDP. IP-in-IP and GRE packets
	// make no connection: Zeek logs those tunnels in tunnel.log only.
	OuterIsConn bool
	// Src and Dst are the addresses of the carrying packet (IPv4-mapped),
	// SrcPort and DstPort its UDP ports (0 for IP and GRE).
	Src, Dst         [16]byte
	SrcPort, DstPort uint16
}

// Key is the identity of the tunnel as a direction-independent flow key, the
// one to derive the tunnel's uid from (see README.md):
//   - IP and GRE tunnels (GRE-in-UDP too) are a pair of addresses, as in
//     Zeek, whatever the direction or the UDP ports: the key has ports 0
//     and Proto 4 (IP-in-IP and IPv6-in-IP alike) or 47 (GRE);
//   - the other UDP-based tunnels are their UDP connection: the key is the
//     one the connection layer gives the carrying datagram (flow.MakeKey of
//     its 5-tuple), so a uid derived from it and the connection's first
//     timestamp is the outer connection's uid, which is what Zeek puts in
//     tunnel_parents for them.
func (e *Encapsulation) Key() flow.Key {
	var k flow.Key
	switch e.Kind {
	case TunnelIP:
		k, _ = flow.MakeKey(e.Src, e.Dst, 0, 0, protoIPIP)
	case TunnelGRE:
		k, _ = flow.MakeKey(e.Src, e.Dst, 0, 0, protoGRE)
	default:
		k, _ = flow.MakeKey(e.Src, e.Dst, e.SrcPort, e.DstPort, e.Proto)
	}
	return k
}

// MaxTunnelDepth is the most tunnels an EncapChain holds, and the largest
// Config.MaxTunnelDepth.
const MaxTunnelDepth = 4

// EncapChain is the chain of tunnels a packet came out of, outermost first:
// a fixed-size value, copied with the Packet.
type EncapChain struct {
	n    uint8
	hops [MaxTunnelDepth]Encapsulation
}

// Len is the number of tunnels: 0 for a packet that is not inside one.
func (c *EncapChain) Len() int { return int(c.n) }

// At returns the i-th tunnel, 0 being the outermost.
func (c *EncapChain) At(i int) Encapsulation { return c.hops[:c.n][i] }

// Last returns the innermost tunnel, the one the packet came out of
// directly (its uid is the connection's tunnel_parents in Zeek), and false
// when the chain is empty.
func (c *EncapChain) Last() (Encapsulation, bool) {
	if c.n == 0 {
		return Encapsulation{}, false
	}
	return c.hops[c.n-1], true
}

// lastKind is the kind of the innermost tunnel, TunnelNone if there is none.
func (c *EncapChain) lastKind() TunnelKind {
	if c.n == 0 {
		return TunnelNone
	}
	return c.hops[c.n-1].Kind
}

// push appends e; it reports false, leaving c alone, when c is full.
func (c *EncapChain) push(e *Encapsulation) bool {
	if int(c.n) >= len(c.hops) {
		return false
	}
	c.hops[c.n] = *e
	c.n++
	return true
}

// Tunnel describes the tunnel a packet belongs to and the frame it
// encapsulates. Decode and DecodeInner set it on a packet whose Status is
// OK; it holds offsets, not slices, so it keeps no memory alive.
//
// Kind is set when the packet is a packet of that tunnel protocol, found by
// IP protocol, UDP port or (Teredo, AYIYA) content, whether or not it
// carries a frame weir decodes. InnerLink says whether it does:
//
//   - InnerLink != 0: InnerFrame() is the encapsulated frame, to be decoded
//     with DecodeInner;
//   - InnerLink == 0: nothing to decode: a tunnel control message (a GTP
//     echo, an AYIYA heartbeat), a payload weir does not decode (GRE
//     carrying MPLS or 802.11, Geneve carrying ARP), the depth limit
//     (ExtraWeird), or, for the UDP-based kinds, a malformed header
//     (Violation).
//
// For IP-in-IP and GRE (OuterIsConn false), a malformed tunnel header ends
// decoding instead (Status Weird), as Zeek reports it and makes no
// connection of the packet.
type Tunnel struct {
	// The tunnel and the endpoints of this packet. Kind is TunnelNone when
	// the packet is not a tunnel packet; the other fields are then zero.
	Encapsulation

	// InnerLink is the link type of the encapsulated frame: sources.LinkEthernet
	// (VXLAN, Geneve 0x6558, GRE 0x6558, ERSPAN) or sources.LinkRaw (the IP
	// version nibble decides, as Zeek's IP analyzer does); 0 when there is
	// no frame to decode.
	InnerLink uint32
	// InnerOff is the offset of the encapsulated frame in Packet.IP.
	InnerOff int
	// InnerWireLen is the frame's length as the outer headers give it (for
	// UDP tunnels from the IP length, as Zeek takes it); more than what
	// was captured when the capture was cut (Packet.Truncated).
	InnerWireLen int

	// Confirmed says the packet is a valid encapsulation of a kind that
	// has a Service: Zeek's analyzer confirmation, after which the outer
	// connection's service names the tunnel. Teredo is only confirmed
	// once both directions of the connection have sent a valid packet
	// (Zeek's Tunnel::delay_teredo_confirmation): the connection layer
	// keeps that state.
	Confirmed bool
	// Violation is, for the UDP-based kinds, why the tunnel header is
	// malformed: Zeek's analyzer violation (its reason text). The packet
	// still counts in its UDP connection; there is no inner frame. Zeek
	// also stops decapsulating that connection afterwards, which needs
	// connection state the decoder does not have.
	Violation string
}

// DecodeInner decodes the frame that outer encapsulates (outer.Tunnel,
// outer.InnerFrame) into inner, as Decode does for a captured frame: it
// sets every field of inner, inner.Encap being outer.Encap followed by
// outer's tunnel. When outer carries no frame to decode (InnerLink 0, or
// outer.Status not OK), inner.Status is NotIP.
//
// inner's slices point into the same memory as outer's (the captured frame
// or a reassembly buffer of d), never into outer itself: outer may be reused,
// as the next inner for a nested tunnel for instance, once DecodeInner
// returns. Like Decode's, they are valid until the next Decode on d; inner
// must not be outer. An inner packet may carry a tunnel in turn (nested
// tunnels), up to Config.MaxTunnelDepth. Inner IP fragments are reassembled
// in the same tables as outer ones, as Zeek does.
//
// Weird names of an inner packet end in "_in_tunnel" where Zeek's do (every
// Weird; see Packet.ExtraWeirdNames for ExtraWeird).
func (d *Decoder) DecodeInner(outer, inner *Packet) {
	frame := outer.InnerFrame()
	inner.TS, inner.Iface = outer.TS, outer.Iface
	inner.Link, inner.Data, inner.WireLen = outer.Tunnel.InnerLink, frame, outer.Tunnel.InnerWireLen
	inner.Reset()
	inner.Encap = outer.Encap
	s := &d.stats
	s.InnerPackets++
	if frame == nil || !inner.Encap.push(&outer.Tunnel.Encapsulation) {
		inner.Status = NotIP
		return
	}
	d.decodeLink(inner)
	if inner.Status == OK {
		d.tunnel(inner)
	}
	switch inner.Status {
	case OK:
		s.InnerOK++
	case Weird:
		s.InnerWeird++
	}
	if inner.Status == OK && inner.Tunnel.InnerLink != 0 {
		s.Tunneled++
	}
}
