// Package ntp identifies NTP (RFC 5905, and the mode 6 control and mode 7
// private messages of ntpd) for conn.log's service.
//
// Confirmation follows Zeek, which confirms on the first message that
// parses: the session confirms on the first well-formed datagram in either
// direction (a reply may come first, as in captures with reordering), and
// then skips both directions. A datagram that is not a well-formed NTP
// message before confirmation is a violation.
//
// Well-formed, for modes 1 to 5: version 1 to 4, at least 48 bytes, a
// stratum of at most 16, a poll exponent and a precision in the ranges
// RFC 5905 allows, and what follows the header is a MAC (4+16 or 4+20
// bytes, or a 4-byte crypto-NAK) or NTPv4 extension fields. Mode 6: a
// 12-byte header whose count fits the datagram. Mode 7: version 2 to 4 and
// at least 8 bytes. Mode 0 is reserved.
//
// Detection, off the NTP port, is stricter: modes 1 to 5 only, the
// message exactly 48 bytes or 48 plus a MAC, and a client's transmit
// timestamp or a server's reference timestamp set, so that 48 zero bytes or
// other protocols' datagrams do not pass.
//
// Datagram never keeps the bytes it is given and allocates nothing.
package ntp

import (
	"github.com/weirnet/weir/core/analyzer"
)

// Name is the analyzer's name, and the service conn.log shows.
const Name = "ntp"

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

// Analyzer is the configured NTP analyzer. It is shared by all workers:
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

// Stream implements analyzer.Session; NTP over TCP is not analyzed.
func (s *session) Stream(int64, bool, []byte) {}

// Gap implements analyzer.Session.
func (s *session) Gap(int64, bool, uint64) {}

// End implements analyzer.Session.
func (s *session) End(int64) {}

var (
	_ analyzer.Analyzer    = (*Analyzer)(nil)
	_ analyzer.Initializer = (*Analyzer)(nil)
)
