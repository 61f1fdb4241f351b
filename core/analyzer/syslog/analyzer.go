// Package syslog identifies syslog over UDP (RFC 3164, RFC 5424) for
// conn.log's service.
//
// Zeek's syslog analyzer accepts any datagram on its port, with or
// without a priority. Weir confirms on the first datagram that is text:
// a priority "<0>" to "<191>" (no leading zeros) followed by anything, or,
// without a priority, printable text (UTF-8 allowed; tabs, line ends and a
// trailing NUL tolerated). A first datagram with other binary content is a
// violation. The session then skips both directions.
//
// Detection off port 514 is strict: a priority followed by an RFC 5424
// version ("1 ") or an RFC 3164 timestamp ("Oct 11 22:14:15 ").
//
// Datagram never keeps the bytes it is given and allocates nothing.
package syslog

import (
	"github.com/weirnet/weir/core/analyzer"
)

// Name is the analyzer's name, and the service conn.log shows.
const Name = "syslog"

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
