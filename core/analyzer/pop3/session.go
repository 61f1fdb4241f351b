package pop3

import (
	"bytes"

	"github.com/weirnet/weir/core/analyzer"
	"github.com/weirnet/weir/core/analyzer/internal/linebuf"
)

// command is a POP3 command the session tracks.
type command uint8

const (
	cmdUnknown command = iota
	cmdUser
	cmdPass
	cmdApop
	cmdAuth
	cmdCapa
	cmdStls
	cmdStat
	cmdList
	cmdRetr
	cmdTop
	cmdUidl
	cmdDele
	cmdNoop
	cmdRset
	cmdLast
	cmdXsender
	cmdQuit
)

var commands = [...]struct {
	word string
	cmd  command
}{
	{"USER", cmdUser}, {"PASS", cmdPass}, {"APOP", cmdApop}, {"AUTH", cmdAuth},
	{"CAPA", cmdCapa}, {"STLS", cmdStls}, {"STAT", cmdStat}, {"LIST", cmdList},
	{"RETR", cmdRetr}, {"TOP", cmdTop}, {"UIDL", cmdUidl}, {"DELE", cmdDele},
	{"NOOP", cmdNoop}, {"RSET", cmdRset}, {"LAST", cmdLast}, {"XSENDER", cmdXsender},
	{"QUIT", cmdQuit},
}

// parseCommand returns the command of a client line and whether it has an
// argument. Command words are case-insensitive.
func parseCommand(line []byte) (command, bool) {
	line = bytes.TrimLeft(line, " \t")
	word, rest, _ := bytes.Cut(line, []byte(" "))
	for _, c := range commands {
		if bytes.EqualFold(word, []byte(c.word)) {
			return c.cmd, len(bytes.TrimSpace(rest)) > 0
		}
	}
	return cmdUnknown, false
}

// pending is a command waiting for its reply.
type pending struct {
	cmd    command
	hasArg bool
}

// multiLine reports whether a "+OK" to p starts a multi-line reply.
func (p pending) multiLine() bool {
	switch p.cmd {
	case cmdCapa, cmdRetr, cmdTop:
		return true
	case cmdList, cmdUidl, cmdAuth:
		return !p.hasArg
	}
	return false
}

type session struct {
	c       *analyzer.Conn
	lines   [2]linebuf.Reader // 0: client, 1: server
	pending []pending         // FIFO of commands awaiting a reply
	maxPend int

	greeted   bool // the server's greeting was seen
	confirmed bool
	multi     bool // inside a multi-line reply, until "."
	done      bool // handed off or skipping: nothing more to do
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
	cmd, hasArg := parseCommand(line)
	if cmd == cmdUnknown {
		// Inside an AUTH exchange the client sends SASL responses.
		if n := len(s.pending); n > 0 && s.pending[n-1].cmd == cmdAuth {
			return
		}
		s.c.Weird("pop3_client_command_unknown", "", ts)
		return
	}
	if len(s.pending) == s.maxPend {
		s.c.Weird("pop3_too_many_pending_commands", "", ts)
		copy(s.pending, s.pending[1:])
		s.pending = s.pending[:len(s.pending)-1]
	}
	s.pending = append(s.pending, pending{cmd, hasArg})
}

// pop removes the oldest pending command.
func (s *session) pop() (pending, bool) {
	if len(s.pending) == 0 {
		return pending{}, false
	}
	p := s.pending[0]
	copy(s.pending, s.pending[1:])
	s.pending = s.pending[:len(s.pending)-1]
	return p, true
}

func (s *session) serverLine(ts int64, line []byte) {
	if s.multi {
		if len(line) == 1 && line[0] == '.' {
			s.multi = false
		}
		return
	}
	status := statusOf(line)
	if !s.greeted {
		if status != statusOK && status != statusErr {
			s.c.Violation("server greeting is not +OK or -ERR")
			s.done = true
			return
		}
		s.greeted = true
		return
	}
	switch status {
	case statusOK:
		p, ok := s.pop()
		if !ok {
			return // an unsolicited +OK; Zeek ignores it too
		}
		if p.cmd != cmdQuit && !s.confirmed {
			s.confirmed = true
			s.c.Confirm()
		}
		switch p.cmd {
		case cmdStls:
			s.c.StartAnalyzer("ssl")
			s.skip()
			return
		case cmdPass, cmdApop, cmdStat, cmdList, cmdRetr, cmdTop, cmdUidl, cmdDele:
			// Authenticated (or in the transaction state already): STLS
			// may no longer come.
			s.skip()
			return
		case cmdAuth:
			if p.hasArg {
				s.skip()
				return
			}
		}
		if p.multiLine() {
			s.multi = true
		}
	case statusErr:
		s.pop()
	case statusCont:
		// A SASL challenge: the AUTH command stays pending.
		if n := len(s.pending); n == 0 || s.pending[0].cmd != cmdAuth {
			s.c.Weird("pop3_unexpected_continuation", "", ts)
		}
	default:
		if !s.confirmed {
			s.c.Violation("unknown server reply")
			s.done = true
			return
		}
		s.c.Weird("pop3_server_command_unknown", "", ts)
	}
}

type status uint8

const (
	statusNone status = iota
	statusOK
	statusErr
	statusCont
)

// statusOf classifies a server line by its status indicator.
func statusOf(line []byte) status {
	switch {
	case hasWord(line, "+OK"):
		return statusOK
	case hasWord(line, "-ERR"):
		return statusErr
	case len(line) == 1 && line[0] == '+', len(line) > 1 && line[0] == '+' && line[1] == ' ':
		return statusCont
	}
	return statusNone
}

// hasWord reports whether line starts with word (case-insensitively)
// followed by the end of the line or white space.
func hasWord(line []byte, word string) bool {
	if len(line) < len(word) || !bytes.EqualFold(line[:len(word)], []byte(word)) {
		return false
	}
	return len(line) == len(word) || isStatusEnd(line[len(word)])
}

// skip stops delivery of both directions: nothing more is needed.
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

// Datagram implements analyzer.Session; POP3 runs over TCP only.
func (s *session) Datagram(int64, bool, []byte) {}

// End implements analyzer.Session.
func (s *session) End(int64) {}
