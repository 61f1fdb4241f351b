// Package dhcp identifies DHCP (RFC 2131, RFC 2132) for conn.log's
// service.
//
// Detection (Zeek's dhcp_cookie signature, made strict) and confirmation
// both need a well-formed message: a BOOTP operation (1 request, 2 reply),
// a hardware address length of at most 16, the 236-byte BOOTP header, the
// DHCP magic cookie 99.130.83.99, and options that parse (each within the
// datagram, up to the end option) with a DHCP message type, if present, of
// 1 to 18. The session confirms on the first such datagram in either
// direction and then skips both; a first datagram that is not one is a
// violation.
//
// Datagram never keeps the bytes it is given and allocates nothing.
package dhcp

import (
	"github.com/weirnet/weir/core/analyzer"
)

// Name is the analyzer's name, and the service conn.log shows.
const Name = "dhcp"

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

// Analyzer is the configured DHCP analyzer. It is shared by all workers:
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

// Stream implements analyzer.Session; DHCP runs over UDP only.
func (s *session) Stream(int64, bool, []byte) {}

// Gap implements analyzer.Session.
func (s *session) Gap(int64, bool, uint64) {}

// End implements analyzer.Session.
func (s *session) End(int64) {}

var (
	_ analyzer.Analyzer    = (*Analyzer)(nil)
	_ analyzer.Initializer = (*Analyzer)(nil)
)
