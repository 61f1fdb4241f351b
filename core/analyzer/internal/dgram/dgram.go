// Package dgram is the analyzer shared by the UDP protocols that are
// identified by their first datagram (NTP, DHCP, SNMP, SIP, RADIUS,
// syslog): port hints from the configuration, content detection, and a
// session that decides on the first datagram in either direction.
//
// Confirmation follows Zeek, which confirms on the first message that
// parses: the first datagram either side sends is checked; if it is
// well-formed the session confirms and skips both directions, otherwise
// it is a violation. Later datagrams are ignored either way, and TCP bytes
// are not analyzed.
//
// Each protocol keeps its own package (name, configuration, checks, docs
// and tests) and embeds Analyzer in its own analyzer type.
package dgram

import (
	"fmt"

	"github.com/weirnet/weir/core/analyzer"
)

// Protocol is what differs between the datagram protocols.
type Protocol struct {
	// Name is the analyzer's name and the service conn.log shows.
	Name string
	// Check returns why b is not a well-formed message of the protocol,
	// or "" if it is. It must not keep b and should not allocate.
	Check func(b []byte) string
	// Detectable reports whether b, seen off the port hints, is this
	// protocol; it may be stricter than Check. Nil means Check(b) == "".
	// It must not keep b and should not allocate.
	Detectable func(b []byte) bool
	// Flip, if set, reports whether the well-formed message b, sent by
	// the originator if isOrig, shows the roles reversed (a server's
	// reply from the originator). The session then flips the
	// connection's roles, once, as Zeek's NTP analyzer does; until then
	// it keeps examining datagrams. It must not keep b.
	Flip func(isOrig bool, b []byte) bool
}

// Analyzer is a configured datagram-protocol analyzer. It is shared by all
// workers: Detect and NewSession are safe for concurrent use.
type Analyzer struct {
	p     Protocol
	ports []uint16
}

// New returns an analyzer for p with the port hints ports (copied), or an
// error naming what is wrong with them.
func New(p Protocol, ports []uint16) (Analyzer, error) {
	a := Analyzer{p: p, ports: append([]uint16(nil), ports...)}
	return a, a.Init()
}

// FromTOML returns an analyzer.Factory's New for a protocol package:
// defaults from def, overridden by the decoded configuration table, then
// built by build.
func FromTOML[C any, A analyzer.Analyzer](def func() C, build func(C) (A, error)) func(decode func(v any) error) (analyzer.Analyzer, error) {
	return func(decode func(v any) error) (analyzer.Analyzer, error) {
		cfg := def()
		if decode != nil {
			if err := decode(&cfg); err != nil {
				return nil, err
			}
		}
		a, err := build(cfg)
		if err != nil {
			return nil, err
		}
		return a, nil
	}
}

// Init implements analyzer.Initializer: every port hint must be a port.
func (a *Analyzer) Init() error {
	for _, p := range a.ports {
		if p == 0 {
			return fmt.Errorf("analyzer/%s: ports: 0 is not a port", a.p.Name)
		}
	}
	return nil
}

// Name implements analyzer.Analyzer.
func (a *Analyzer) Name() string { return a.p.Name }

// Transports implements analyzer.Analyzer.
func (a *Analyzer) Transports() analyzer.Transport { return analyzer.UDP }

// Ports implements analyzer.Analyzer; the slice must not be modified.
func (a *Analyzer) Ports() []uint16 { return a.ports }

// Detect implements analyzer.Analyzer: one datagram tells.
func (a *Analyzer) Detect(isOrig bool, data []byte) analyzer.Verdict {
	ok := false
	if a.p.Detectable != nil {
		ok = a.p.Detectable(data)
	} else {
		ok = a.p.Check(data) == ""
	}
	if ok {
		return analyzer.Match
	}
	return analyzer.NoMatch
}

// NewSession implements analyzer.Analyzer.
func (a *Analyzer) NewSession(c *analyzer.Conn) analyzer.Session {
	return &session{c: c, check: a.p.Check, flip: a.p.Flip}
}

type session struct {
	c     *analyzer.Conn
	check func([]byte) string
	flip  func(bool, []byte) bool
	done  bool // the first datagram decided
}

// Datagram implements analyzer.Session: the first datagram decides; with
// Flip, later ones are examined until the roles have flipped.
func (s *session) Datagram(ts int64, isOrig bool, b []byte) {
	if !s.done {
		s.done = true
		if err := s.check(b); err != "" {
			s.c.Violation(err)
			return
		}
		s.c.Confirm()
	} else if s.check(b) != "" {
		return
	}
	if s.flip != nil {
		if !s.flip(isOrig, b) {
			return
		}
		s.c.FlipRoles()
	}
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
