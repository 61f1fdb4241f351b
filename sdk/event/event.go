// Package event holds the typed events a plugin receives from weir's core.
//
// The types mirror weir's core events (core/event) field for field; they are
// declared here, by hand, so that a plugin depends on this small package
// and not on the core or on generated protobuf code. The SDK converts the
// wire messages (sdk/proto/weir/v1/event.proto) into these types.
//
// Events are values: a plugin may keep an event, its payload and the byte
// slices and strings it holds after Handle returns. The slice of events
// passed to Handle is the plugin's as well.
//
// Every event carries the network time at which it was produced (Time) and
// a stable tie-break (Key, Seq): the core delivers events in (Time, Key,
// Seq) order, whatever the number of its workers.
package event

import "net/netip"

// Kind names an event type. Plugins subscribe by kind. The values are those
// of the wire protocol and of the core.
type Kind uint8

// The event kinds.
const (
	KindConnStart       Kind = 1 // a connection is first seen
	KindConnEnd         Kind = 2 // a connection is forgotten; carries the conn.log summary
	KindWeird           Kind = 3 // an anomaly in the traffic
	KindHTTPTransaction Kind = 4 // an HTTP request and its reply
	KindSSHHandshake    Kind = 5 // an SSH session's handshake summary
	KindTLSHandshake    Kind = 6 // a TLS or DTLS handshake summary
	KindDNSMessage      Kind = 7 // a DNS query and its answers
	KindStreamData      Kind = 8 // reassembled TCP payload, for subscribed ports or protocols
	KindDatagram        Kind = 9 // one UDP payload, for subscribed ports or protocols
)

var kindNames = [...]string{KindConnStart: "ConnStart", KindConnEnd: "ConnEnd", KindWeird: "Weird",
	KindHTTPTransaction: "HTTPTransaction", KindSSHHandshake: "SSHHandshake", KindTLSHandshake: "TLSHandshake",
	KindDNSMessage: "DNSMessage", KindStreamData: "StreamData", KindDatagram: "Datagram"}

// MaxKind is the largest kind this version of the SDK knows.
const MaxKind = KindDatagram

// Kinds lists every kind, in numeric order.
func Kinds() []Kind {
	out := make([]Kind, 0, len(kindNames))
	for k, n := range kindNames {
		if n != "" {
			out = append(out, Kind(k))
		}
	}
	return out
}

// String returns the kind's name as written in configuration
// ("ConnEnd").
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

// The transports.
const (
	TransportUnknown Transport = iota // Zeek's unknown_transport
	TransportTCP
	TransportUDP
	TransportICMP
)

// String returns Zeek's name: tcp, udp, icmp or unknown_transport.
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

// ConnID is Zeek's conn_id: the originator and responder endpoints. For
// ICMP the ports are the message type and the counterpart type (or the code
// for one-way messages), as Zeek assigns them.
type ConnID struct {
	OrigH, RespH netip.Addr
	OrigP, RespP uint16
	Proto        Transport
}

// Event is one published event. Exactly one of the payload pointers is
// set, according to Kind.
type Event struct {
	Kind Kind
	Time int64  // network time (ns since the Unix epoch) at which the event was produced
	Key  string // stable tie-break among events of the same Time (usually the uid)
	Seq  uint64 // tie-break among events of the same Time and Key

	Conn  *Conn  // ConnStart, ConnEnd
	Weird *Weird // Weird
	HTTP  *HTTP  // HTTPTransaction
	SSH   *SSH   // SSHHandshake
	TLS   *TLS   // TLSHandshake
	DNS   *DNS   // DNSMessage
	Data  *Data  // StreamData, Datagram
}

// Data is raw payload for a plugin that analyzes its own protocol:
// reassembled stream bytes (StreamData) or one UDP payload (Datagram).
type Data struct {
	UID    string
	ID     ConnID
	IsOrig bool   // sent by the originator
	Seq    uint64 // StreamData: offset of Bytes in its direction's stream
	Gap    uint64 // StreamData: bytes missing before Bytes (0 if none)
	Bytes  []byte // the plugin's to keep
}

// Conn is the summary of a connection, Zeek's conn.log record. It is
// carried by ConnStart (only UID, ID and Start set) and ConnEnd
// (everything).
type Conn struct {
	UID   string
	ID    ConnID
	Start int64 // first packet, ns
	// Duration is last packet minus first packet (ns). Zeek leaves
	// duration and the byte counts unset when the duration is zero.
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

// The values of a Tristate.
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
