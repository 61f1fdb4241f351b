package irc

import (
	"github.com/weirnet/weir/core/analyzer"
	"github.com/weirnet/weir/core/analyzer/internal/linebuf"
)

// Numeric replies the session acts on.
const (
	rplWelcome  = 1
	rplStartTLS = 670
	errStartTLS = 691
)

type session struct {
	c     *analyzer.Conn
	lines [2]linebuf.Reader // 0: client, 1: server

	clientReg bool // the client sent a registration command
	serverIRC bool // the server sent a well-formed message
	confirmed bool
	starttls  bool // the client asked for STARTTLS
	done      bool
	nlines    int // lines seen before confirmation
}

// maxUnconfirmedLines bounds how long a session may run without seeing
// IRC registration.
const maxUnconfirmedLines = 64

// Stream implements analyzer.Session.
func (s *session) Stream(ts int64, isOrig bool, b []byte) {
	d := 1
	if isOrig {
		d = 0
	}
	for !s.done && len(b) > 0 {
		line, rest, truncated, ok := s.lines[d].Next(b)
		if !ok {
			return
		}
		b = rest
		if truncated {
			s.c.Weird("irc_line_size_exceeded", "", ts)
			continue
		}
		s.line(ts, isOrig, line)
	}
}

func (s *session) line(ts int64, isOrig bool, line []byte) {
	if len(line) == 0 {
		return
	}
	if !s.confirmed {
		if s.nlines++; s.nlines > maxUnconfirmedLines {
			s.c.Violation("no IRC registration")
			s.done = true
			return
		}
	}
	m, ok := parse(line)
	if !ok {
		if !s.confirmed {
			s.c.Violation("line is not an IRC message")
			s.done = true
			return
		}
		s.c.Weird("irc_invalid_line", "", ts)
		return
	}
	if isOrig {
		if registers(m) || m.is("PASS") || m.is("SERVICE") || m.is("WEBIRC") {
			s.clientReg = true
		}
		if m.is("STARTTLS") {
			s.starttls = true
		}
		s.maybeConfirm()
		return
	}
	s.serverIRC = true
	s.maybeConfirm()
	switch m.code() {
	case rplStartTLS:
		if !s.starttls {
			s.c.Weird("irc_unsolicited_starttls_reply", "", ts)
		}
		if s.clientReg || s.starttls {
			s.confirm()
			s.c.StartAnalyzer("ssl")
			s.skip()
		}
	case errStartTLS:
		s.starttls = false
	case rplWelcome:
		if s.confirmed {
			s.skip() // registered: STARTTLS can no longer come
		}
	}
}

func (s *session) maybeConfirm() {
	if s.clientReg && s.serverIRC {
		s.confirm()
	}
}

func (s *session) confirm() {
	if !s.confirmed {
		s.confirmed = true
		s.c.Confirm()
	}
}

func (s *session) skip() {
	s.done = true
	s.c.Skip(true)
	s.c.Skip(false)
}

// Gap implements analyzer.Session: the partial line of that direction is
// lost.
func (s *session) Gap(ts int64, isOrig bool, n uint64) {
	if isOrig {
		s.lines[0].Reset()
	} else {
		s.lines[1].Reset()
	}
}

// Datagram implements analyzer.Session; IRC runs over TCP only.
func (s *session) Datagram(int64, bool, []byte) {}

// End implements analyzer.Session.
func (s *session) End(int64) {}
