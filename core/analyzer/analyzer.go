// Package analyzer defines protocol analyzers: how they are registered,
// detected by content, fed reassembled TCP streams or UDP datagrams, and
// how they publish events.
//
// Lifecycle, written once here:
//
//  1. Register (from the analyzer package's init) adds a Factory to the
//     default registry; the feature set is the import list in
//     core/analyzer/all.
//  2. Per engine worker, the factory's New builds an Analyzer from its
//     configuration. If it implements Initializer, Init validates it.
//  3. For each connection whose first bytes the analyzer's Detect accepts
//     (or whose port hints name it, if configured), NewSession makes a
//     Session bound to that connection.
//  4. The tracker calls Stream (TCP, in order, after reassembly), Gap
//     (bytes that will never arrive) or Datagram (UDP) as traffic flows,
//     then End when the connection is removed.
//
// A session reports through its *Conn: Confirm when the protocol is
// certain (the service then shows in conn.log), Violation when the bytes
// are not this protocol (the session is dropped and the service removed),
// Weird for anomalies, Emit for events. Sessions never allocate per
// packet once warm and must bound what they buffer.
package analyzer

import "github.com/weirnet/weir/core/event"

// Transport says which transports an analyzer handles.
type Transport uint8

const (
	TCP Transport = 1 << iota
	UDP
)

// Verdict is what Detect concludes from the first bytes of a direction.
type Verdict uint8

const (
	NeedMore Verdict = iota // not enough bytes yet to tell
	Match                   // looks like this protocol
	NoMatch                 // is not this protocol
)

// Analyzer is one protocol's analyzer, configured.
type Analyzer interface {
	// Name is the service name as conn.log shows it ("http", "ssl", "dns").
	Name() string
	Transports() Transport
	// Ports are the default port hints: traffic to these ports is tried
	// with this analyzer even if Detect needs more bytes.
	Ports() []uint16
	// Detect examines the first bytes a direction sent (up to DetectBytes).
	// data may be kept only during the call.
	Detect(isOrig bool, data []byte) Verdict
	// NewSession starts analyzing connection c.
	NewSession(c *Conn) Session
}

// DetectBytes is how many leading bytes per direction Detect may see.
const DetectBytes = 1024

// Session analyzes one connection.
type Session interface {
	// Stream delivers the next in-order bytes of one direction of a TCP
	// connection. b is only valid during the call.
	Stream(ts int64, isOrig bool, b []byte)
	// Gap reports n bytes of one direction that will never be delivered.
	Gap(ts int64, isOrig bool, n uint64)
	// Datagram delivers one UDP payload. b is only valid during the call.
	Datagram(ts int64, isOrig bool, b []byte)
	// End is called once when the connection is removed; pending
	// transactions are flushed as events.
	End(ts int64)
}

// StreamEnder is implemented by TCP sessions that want to know when a
// direction's stream ended in order (its FIN, after every byte before it
// was delivered) and when the connection was reset. Without it, End is all
// a session is told.
type StreamEnder interface {
	EndOfStream(ts int64, isOrig bool)
	Reset(ts int64)
}

// HandshakeRequirer is implemented by analyzers that only analyze TCP
// connections whose beginning was seen (Zeek ignores partial connections
// for HTTP and SSH): they are not started on a connection picked up
// midstream.
type HandshakeRequirer interface {
	RequiresHandshake() bool
}

// Initializer is implemented by analyzers that validate their
// configuration after decoding.
type Initializer interface {
	Init() error
}

// Conn is a session's view of its connection and its way to report.
type Conn struct {
	UID   string
	ID    event.ConnID
	Start int64

	sink Sink
	name string
}

// Sink receives what sessions report. The connection tracker implements it.
type Sink interface {
	Emit(ev event.Event)
	Confirm(service string)
	Violation(service, reason string)
	Weird(name, addl string, ts int64)
	// Skip stops delivering one direction's data to the session (it has
	// what it needs), so bulk transfers cost little.
	Skip(service string, isOrig bool)
	// Start attaches the named analyzer to the connection from the next
	// byte on (STARTTLS hands the stream to "ssl"). It reports false if
	// no such analyzer is configured.
	Start(name string) bool
	// Redetect restarts content detection on the bytes that follow (an
	// HTTP CONNECT tunnel carries another protocol).
	Redetect()
}

// RoleFlipper is implemented by sinks that can swap a connection's
// originator and responder (the tracker, for UDP).
type RoleFlipper interface {
	FlipRoles() bool
}

// IdleExpirer is implemented by sinks that can remove a connection on an
// analyzer's own idle timeout (the tracker).
type IdleExpirer interface {
	ExpireIdle(service string, every, idle int64)
}

// NewConn binds a session's Conn to a sink. Used by the tracker and by
// analyzer tests.
func NewConn(uid string, id event.ConnID, start int64, service string, sink Sink) *Conn {
	return &Conn{UID: uid, ID: id, Start: start, sink: sink, name: service}
}

// Emit publishes an event. The tracker fills in the ordering key.
func (c *Conn) Emit(ev event.Event) { c.sink.Emit(ev) }

// Confirm marks the protocol as confirmed for conn.log's service.
func (c *Conn) Confirm() { c.sink.Confirm(c.name) }

// Violation reports that the traffic is not (or no longer) this protocol.
func (c *Conn) Violation(reason string) { c.sink.Violation(c.name, reason) }

// Weird reports an anomaly.
func (c *Conn) Weird(name, addl string, ts int64) { c.sink.Weird(name, addl, ts) }

// Skip stops delivery of one direction to this session.
func (c *Conn) Skip(isOrig bool) { c.sink.Skip(c.name, isOrig) }

// StartAnalyzer attaches another analyzer from the next byte on, as after
// STARTTLS. It reports false if that analyzer is not configured.
func (c *Conn) StartAnalyzer(name string) bool { return c.sink.Start(name) }

// Redetect restarts protocol detection on the bytes that follow, as for
// an HTTP CONNECT tunnel.
func (c *Conn) Redetect() { c.sink.Redetect() }

// ExpireIdle asks for the connection to be removed once it has been idle
// for at least idle, checked every `every` (ns) from now, for as long as
// this session runs; it is then logged as on its inactivity timeout. Zeek's
// DNS analyzer does so for UDP (dns_session_timeout: every 10 s, idle 9 s).
// Sinks other than the tracker ignore it.
func (c *Conn) ExpireIdle(every, idle int64) {
	if e, ok := c.sink.(IdleExpirer); ok && every > 0 {
		e.ExpireIdle(c.name, every, idle)
	}
}

// FlipRoles swaps the connection's originator and responder, as Zeek's
// Connection::FlipRoles: a UDP analyzer calls it when a message shows the
// roles reversed (a server's reply seen before the request). The tracker
// updates ID in every session's Conn, and later deliveries carry the new
// roles; conn.log's history gets a '^'. As in Zeek, the datagram being
// delivered stays counted for the originator. It reports false, changing
// nothing, where roles do not flip this way (TCP, whose roles the
// handshake decides; sinks other than the tracker).
func (c *Conn) FlipRoles() bool {
	f, ok := c.sink.(RoleFlipper)
	return ok && f.FlipRoles()
}
