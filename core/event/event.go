// Package event defines the typed events weir's core publishes to plugins.
//
// Events are values: a plugin may keep them. Every event carries the network
// time at which it was produced (Time) and a stable tie-break (Key) so that
// the bus can deliver them in the same order whatever the number of workers.
package event

import "net/netip"

// Kind names an event type. Plugins subscribe by kind.
type Kind uint8

const (
	KindConnStart Kind = iota + 1
	KindConnEnd
	KindWeird
	KindHTTPTransaction
	KindSSHHandshake
	KindTLSHandshake
	KindDNSMessage
	KindStreamData
	KindDatagram
	KindStats
)

var kindNames = [...]string{KindConnStart: "ConnStart", KindConnEnd: "ConnEnd", KindWeird: "Weird",
	KindHTTPTransaction: "HTTPTransaction", KindSSHHandshake: "SSHHandshake", KindTLSHandshake: "TLSHandshake",
	KindDNSMessage: "DNSMessage", KindStreamData: "StreamData", KindDatagram: "Datagram", KindStats: "Stats"}

// Kinds lists every kind, in numeric order.
func Kinds() []Kind {
	var out []Kind
	for k, n := range kindNames {
		if n != "" {
			out = append(out, Kind(k))
		}
	}
	return out
}

func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return "Kind(?)"
}

// ParseKind maps a name as written in configuration to a Kind.
func ParseKind(s string) (Kind, bool) {
	for k, n := range kindNames {
		if n != "" && n == s {
			return Kind(k), true
		}
	}
	return 0, false
}

// Transport is the transport protocol of a connection as Zeek names it.
type Transport uint8

const (
	TransportUnknown Transport = iota // Zeek's unknown_transport
	TransportTCP
	TransportUDP
	TransportICMP
)

func (t Transport) String() string {
	switch t {
	case TransportTCP:
		return "tcp"
	case TransportUDP:
		return "udp"
	case TransportICMP:
		return "icmp"
	}
	return "unknown_transport"
}

// ConnID is Zeek's conn_id: the originator and responder endpoints. For ICMP
// the ports are the message type and the counterpart type (or the code for
// one-way messages), as Zeek assigns them.
type ConnID struct {
	OrigH, RespH netip.Addr
	OrigP, RespP uint16
	Proto        Transport
}

// Event is one published event. Exactly one of the payload pointers is set,
// according to Kind.
type Event struct {
	Kind Kind
	Time int64  // network time (ns) at which the event was produced
	Key  string // stable tie-break among events of the same Time (usually the uid)
	Seq  uint64 // tie-break among events of the same Time and Key

	Conn  *Conn
	Weird *Weird
	HTTP  *HTTP
	SSH   *SSH
	TLS   *TLS
	DNS   *DNS
	Data  *Data // StreamData and Datagram
	Stats *Stats
}

// Stats is a live sensor's periodic report (Zeek's stats.log and
// capture_loss.log): counts over the interval that ends at TS.
type Stats struct {
	TS, Delta   int64  // end of the interval and its length (ns)
	Pkts        uint64 // frames processed
	Bytes       uint64 // bytes on the wire of those frames
	KernelRecv  uint64 // frames the capture sources received (live)
	KernelDrops uint64 // frames the kernel dropped (live)
	Events      uint64 // events published
	MemMB       uint64 // heap in use, MiB
	Acks, Gaps  uint64 // TCP acks on established connections, and those that revealed missing data
	Lag         int64  // wall clock minus network time at TS (live; ns)
	Queued      uint64 // events waiting in the plugins' queues at TS
	// By transport, indexed by Transport: connections tracked at TS, and
	// connections created during the interval.
	Active [4]int64
	New    [4]uint64
}

// Data is raw payload for plugins that analyze their own protocol:
// reassembled stream bytes (StreamData) or one UDP payload (Datagram).
type Data struct {
	UID    string
	ID     ConnID
	IsOrig bool
	Seq    uint64 // StreamData: offset of Bytes in its direction's stream
	Gap    uint64 // StreamData: bytes missing before Bytes (0 if none)
	Bytes  []byte // owned by the event: the core copies before publishing
}

// Conn is the summary of a connection, Zeek's conn.log record. It is carried
// by ConnStart (only identity fields set) and ConnEnd (everything).
type Conn struct {
	UID   string
	ID    ConnID
	Start int64 // first packet, ns
	// Duration is last packet minus first packet (ns). Zeek leaves duration
	// and the byte counts unset when the duration is zero.
	Duration        int64
	OrigBytes       uint64
	RespBytes       uint64
	ConnState       string
	LocalOrig       Tristate
	LocalResp       Tristate
	MissedBytes     uint64
	History         string
	OrigPkts        uint64
	OrigIPBytes     uint64
	RespPkts        uint64
	RespIPBytes     uint64
	IPProto         uint8
	Service         []string // detected protocols, in confirmation order
	TunnelParents   []string
	CommunityID     string
	VLAN, InnerVLAN uint16
}

// Tristate is a boolean that may be unset (Zeek's optional bool).
type Tristate uint8

const (
	Unset Tristate = iota
	False
	True
)

// Weird is an anomaly: Zeek's weird.log record.
type Weird struct {
	TS     int64
	UID    string  // empty when not tied to a connection
	ID     *ConnID // nil when not tied to a connection
	Name   string
	Addl   string
	Notice bool
	Peer   string
	Source string
}
