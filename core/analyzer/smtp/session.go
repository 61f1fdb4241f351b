package smtp

import (
	"bytes"

	"github.com/weirnet/weir/core/analyzer"
	"github.com/weirnet/weir/core/analyzer/internal/linebuf"
)

type command uint8

const (
	cmdUnknown command = iota
	cmdHello           // EHLO, HELO, LHLO
	cmdStartTLS
	cmdMail
	cmdAuth
	cmdData
	cmdBdat
	cmdOther // RCPT, RSET, NOOP, QUIT, VRFY, ...
)

var commands = [...]struct {
	word string
	cmd  command
}{
	{"EHLO", cmdHello}, {"HELO", cmdHello}, {"LHLO", cmdHello},
	{"STARTTLS", cmdStartTLS}, {"MAIL", cmdMail}, {"AUTH", cmdAuth},
	{"DATA", cmdData}, {"BDAT", cmdBdat},
	{"RCPT", cmdOther}, {"RSET", cmdOther}, {"NOOP", cmdOther}, {"QUIT", cmdOther},
	{"VRFY", cmdOther}, {"EXPN", cmdOther}, {"HELP", cmdOther}, {"ETRN", cmdOther},
	{"TURN", cmdOther}, {"ATRN", cmdOther}, {"XCLIENT", cmdOther}, {"XFORWARD", cmdOther},
	{"SEND", cmdOther}, {"SOML", cmdOther}, {"SAML", cmdOther}, {"XEXCH50", cmdOther},
}

func parseCommand(line []byte) command {
	line = bytes.TrimLeft(line, " 	")
	word, _, _ := bytes.Cut(line, []byte(" "))
	for _, c := range commands {
		if bytes.EqualFold(word, []byte(c.word)) {
			return c.cmd
		}
	}
	return cmdUnknown
}

// parseReply returns the code of a reply line and whether more lines of
// the reply follow ("250-"). ok is false if the line is not a reply.
func parseReply(line []byte) (code int, more, ok bool) {
	return linebuf.ReplyCode(line, 599)
}

type session struct {
	c       *analyzer.Conn
	lines   [2]linebuf.Reader // 0: client, 1: server
	pending []command         // FIFO of commands awaiting a reply
	maxPend int

	greeted   bool
	clientCmd bool // a client command was seen
	confirmed bool
	inAuth    bool // the server sent 334: client lines are SASL data
	done      bool
}

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
			s.c.Weird("contentline_size_exceeded", "", ts)
		}
		if isOrig {
			s.clientLine(ts, line)
		} else {
			s.serverLine(ts, line)
		}
	}
}

func (s *session) clientLine(ts int64, line []byte) {
	if len(line) == 0 {
		return
	}
	if s.inAuth {
		s.inAuth = false // one SASL response per 334 challenge
		return
	}
	cmd := parseCommand(line)
	if cmd == cmdUnknown {
		if !s.clientCmd && !s.confirmed {
			s.c.Violation("first client command is not SMTP")
			s.done = true
			return
		}
		s.c.Weird("smtp_unknown_command", "", ts)
		return
	}
	s.clientCmd = true
	if len(s.pending) == s.maxPend {
		s.c.Weird("smtp_too_many_pending_commands", "", ts)
		copy(s.pending, s.pending[1:])
		s.pending = s.pending[:len(s.pending)-1]
	}
	s.pending = append(s.pending, cmd)
}

func (s *session) serverLine(ts int64, line []byte) {
	code, more, ok := parseReply(line)
	if !ok {
		if !s.confirmed {
			s.c.Violation("server line is not an SMTP reply")
			s.done = true
			return
		}
		s.c.Weird("smtp_invalid_reply", "", ts)
		return
	}
	if more {
		return // the last line of a multi-line reply decides
	}
	if !s.greeted {
		s.greeted = true
		if code != 220 && code != 421 && code != 554 {
			s.c.Violation("server greeting is not 220, 421 or 554")
			s.done = true
		}
		return
	}
	if len(s.pending) == 0 {
		return
	}
	cmd := s.pending[0]
	if code == 334 && cmd == cmdAuth {
		s.inAuth = true // the AUTH command stays pending
		return
	}
	if code == 354 && cmd == cmdData {
		// The message follows; it ends the exchange as far as the
		// service is concerned.
		s.skip()
		return
	}
	copy(s.pending, s.pending[1:])
	s.pending = s.pending[:len(s.pending)-1]
	s.inAuth = false
	positive := code >= 200 && code < 300
	switch cmd {
	case cmdHello:
		if positive {
			s.confirm()
		}
	case cmdStartTLS:
		if code == 220 {
			s.confirm()
			s.c.StartAnalyzer("ssl")
			s.skip()
		}
	case cmdMail:
		if positive && s.confirmed {
			s.skip()
		}
	case cmdAuth:
		if code == 235 && s.confirmed {
			s.skip()
		}
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

// Datagram implements analyzer.Session; SMTP runs over TCP only.
func (s *session) Datagram(int64, bool, []byte) {}

// End implements analyzer.Session.
func (s *session) End(int64) {}
