// Package snmp identifies SNMP (RFC 1157, RFC 3416, RFC 3412) over UDP for
// conn.log's service.
//
// A datagram is SNMP when it is one BER SEQUENCE filling the datagram
// whose version is 0 (v1), 1 (v2c) or 3 (v3) and whose body has the shape
// of that version: for v1 and v2c a community OCTET STRING and a PDU (tag
// 0xa0 to 0xa8) holding request-id, error-status (0 to 18) and error-index
// INTEGERs and a varbind SEQUENCE, or for a v1 trap the enterprise OID,
// agent address, generic-trap (0 to 6), specific-trap, time stamp and
// varbinds; for v3 a header SEQUENCE of message id, maximum size, a
// one-byte flags OCTET STRING and security model, then the security
// parameters OCTET STRING and a scoped PDU (a SEQUENCE, or an OCTET STRING
// when encrypted). Detection needs such a datagram; the session confirms on
// the first one in either direction (Zeek confirms on the first message it
// parses) and then skips both directions. A first datagram that is not SNMP
// is a violation.
//
// Datagram never keeps the bytes it is given and allocates nothing.
package snmp

import (
	"github.com/weirnet/weir/core/analyzer"
)

// Name is the analyzer's name, and the service conn.log shows.
const Name = "snmp"

func init() {
	analyzer.Register(analyzer.Factory{Name: Name, New: newFromTOML})
}

func newFromTOML(decode func(v any) error) (analyzer.Analyzer, error) {
	cfg := DefaultConfig()
	if decode != nil {
		if err := decode(&cfg); err != nil {
			return nil, err
		}
	}
	return New(cfg)
}

// Analyzer is the configured SNMP analyzer. It is shared by all workers:
// Detect and NewSession are safe for concurrent use.
type Analyzer struct {
	cfg Config
}

// New returns an analyzer with cfg (start from DefaultConfig), or an error
// naming what is wrong with it.
func New(cfg Config) (*Analyzer, error) {
	cfg.Ports = append([]uint16(nil), cfg.Ports...)
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Analyzer{cfg: cfg}, nil
}

// Init implements analyzer.Initializer.
func (a *Analyzer) Init() error { return a.cfg.validate() }

// Name implements analyzer.Analyzer.
func (a *Analyzer) Name() string { return Name }

// Transports implements analyzer.Analyzer.
func (a *Analyzer) Transports() analyzer.Transport { return analyzer.UDP }

// Ports implements analyzer.Analyzer; the slice must not be modified.
func (a *Analyzer) Ports() []uint16 { return a.cfg.Ports }

// Detect implements analyzer.Analyzer.
func (a *Analyzer) Detect(isOrig bool, data []byte) analyzer.Verdict {
	if check(data) == "" {
		return analyzer.Match
	}
	return analyzer.NoMatch
}

// NewSession implements analyzer.Analyzer.
func (a *Analyzer) NewSession(c *analyzer.Conn) analyzer.Session {
	return &session{c: c}
}

type session struct {
	c    *analyzer.Conn
	done bool
}

// Datagram implements analyzer.Session.
func (s *session) Datagram(ts int64, isOrig bool, b []byte) {
	if s.done {
		return
	}
	s.done = true
	if err := check(b); err != "" {
		s.c.Violation(err)
		return
	}
	s.c.Confirm()
	s.c.Skip(true)
	s.c.Skip(false)
}

// Stream implements analyzer.Session; SNMP over TCP is not analyzed.
func (s *session) Stream(int64, bool, []byte) {}

// Gap implements analyzer.Session.
func (s *session) Gap(int64, bool, uint64) {}

// End implements analyzer.Session.
func (s *session) End(int64) {}

var (
	_ analyzer.Analyzer    = (*Analyzer)(nil)
	_ analyzer.Initializer = (*Analyzer)(nil)
)
