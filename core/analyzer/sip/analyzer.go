// Package sip identifies SIP (RFC 3261) over UDP for conn.log's service.
//
// A datagram is SIP when it starts with a request line (a known method,
// a sip:, sips: or tel: URI, "SIP/2.0") or a status line ("SIP/2.0", a
// three-digit code from 100 to 699, a space), followed by header lines
// that include Via and Call-ID (or their compact forms v and i) before the
// blank line. Detection needs such a datagram (Zeek's dpd_sip signature
// looks at the start line); the session confirms on the first one in either
// direction and then skips both; a first datagram that is not SIP is a
// violation.
//
// Datagram never keeps the bytes it is given and allocates nothing.
package sip

import (
	"github.com/weirnet/weir/core/analyzer"
)

// Name is the analyzer's name, and the service conn.log shows.
const Name = "sip"

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

// Analyzer is the configured analyzer. It is shared by all workers:
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
	if detectable(data) {
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

// Datagram implements analyzer.Session: the first datagram decides.
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

// Stream implements analyzer.Session; only UDP is analyzed.
func (s *session) Stream(int64, bool, []byte) {}

// Gap implements analyzer.Session.
func (s *session) Gap(int64, bool, uint64) {}

// End implements analyzer.Session.
func (s *session) End(int64) {}

var (
	_ analyzer.Analyzer    = (*Analyzer)(nil)
	_ analyzer.Initializer = (*Analyzer)(nil)
)
