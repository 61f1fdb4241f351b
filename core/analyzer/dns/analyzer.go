// Package dns is weir's DNS analyzer: it parses DNS messages over UDP and
// TCP and publishes one event.KindDNSMessage event per record of Zeek's
// dns.log, with Zeek's semantics (pairing of queries and replies by
// transaction id, rtt, the answers formatted per record type as Zeek's
// base scripts format them, rejected, multicast and NetBIOS handling).
//
// The analyzer also serves NetBIOS name service (port 137), mDNS (5353)
// and LLMNR (5355), which share the message format. README.md lists what
// is parsed, the weirds, and where weir deliberately differs from Zeek.
//
// Buffers: Datagram and Stream never retain the bytes they are given.
// Whole TCP messages are parsed in place; one split across segments is
// copied into a per-direction buffer of at most 64 KiB. Records waiting
// for their counterpart are bounded in number (max_pending_msgs,
// max_pending_query_ids) and in bytes (max_pending_bytes). Session state
// is pooled: a connection costs one small handle; parsing a message
// allocates nothing once warm; a published record costs two allocations
// (the event and its text).
package dns

import (
	"fmt"
	"sync"

	"github.com/weirnet/weir/core/analyzer"
)

// Name is the analyzer's name, and the service conn.log shows.
const Name = "dns"

func init() {
	analyzer.Register(analyzer.Factory{Name: Name, New: newFromTOML})
}

func newFromTOML(decode func(v any) error) (analyzer.Analyzer, error) {
	cfg := DefaultConfig()
	if decode != nil {
		if err := decode(&cfg); err != nil {
			return nil, fmt.Errorf("analyzer/dns: %w", err)
		}
	}
	return New(cfg)
}

// Analyzer is the configured DNS analyzer. It is shared by all workers:
// Detect and NewSession are safe for concurrent use; each session belongs
// to one worker.
type Analyzer struct {
	cfg  Config
	pool sync.Pool // of *session
}

// New returns an analyzer with cfg (start from DefaultConfig), or an error
// naming what is wrong with it.
func New(cfg Config) (*Analyzer, error) {
	cfg.Ports = append([]uint16(nil), cfg.Ports...)
	cfg.MulticastSubnets = append([]string(nil), cfg.MulticastSubnets...)
	cfg.multicast = nil
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Analyzer{cfg: cfg}, nil
}

// Config returns the configuration in use.
func (a *Analyzer) Config() Config { return a.cfg }

// Name implements analyzer.Analyzer.
func (a *Analyzer) Name() string { return Name }

// Transports implements analyzer.Analyzer.
func (a *Analyzer) Transports() analyzer.Transport { return analyzer.TCP | analyzer.UDP }

// Ports implements analyzer.Analyzer; the slice must not be modified.
func (a *Analyzer) Ports() []uint16 { return a.cfg.Ports }

// NewSession implements analyzer.Analyzer. The session's state comes from a
// pool and returns to it at End; the handle returned here is the
// connection's own, so a call after End is ignored rather than reaching a
// session that serves another connection by then.
func (a *Analyzer) NewSession(c *analyzer.Conn) analyzer.Session { return &handle{s: a.newSession(c)} }

var _ analyzer.Analyzer = (*Analyzer)(nil)
