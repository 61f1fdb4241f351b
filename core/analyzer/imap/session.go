package imap

import (
	"bytes"

	"github.com/weirnet/weir/core/analyzer"
	"github.com/weirnet/weir/core/analyzer/internal/linebuf"
)

// commands are the IMAP commands (RFC 9051 and common extensions) a
// client line may start with after its tag.
var commands = []string{
	"CAPABILITY", "NOOP", "LOGOUT", "STARTTLS", "AUTHENTICATE", "LOGIN",
	"SELECT", "EXAMINE", "CREATE", "DELETE", "RENAME", "SUBSCRIBE",
	"UNSUBSCRIBE", "LIST", "LSUB", "STATUS", "APPEND", "CHECK", "CLOSE",
	"EXPUNGE", "SEARCH", "FETCH", "STORE", "COPY", "MOVE", "UID", "ID",
	"ENABLE", "IDLE", "NAMESPACE", "UNSELECT", "GETQUOTA", "GETQUOTAROOT",
	"SETQUOTA", "GETACL", "SETACL", "MYRIGHTS", "LISTRIGHTS", "XLIST",
	"COMPRESS", "NOTIFY", "GETMETADATA", "SETMETADATA", "SORT", "THREAD",
	"ESEARCH", "XAPPLEPUSHSERVICE",
}

// authenticating are the commands after which STARTTLS can no longer come
// (Zeek skips the connection from there on).
var authenticating = []string{"AUTHENTICATE", "LOGIN", "EXAMINE", "SELECT", "CREATE", "LIST", "FETCH"}

const maxTag = 64

type session struct {
	c     *analyzer.Conn
	lines [2]linebuf.Reader // 0: client, 1: server

	greeted   bool // the server's first line was a greeting
	greetOK   bool // ... an OK or PREAUTH one
	preauth   bool
	clientCmd bool // the client sent a well-formed tagged command
	confirmed bool
	done      bool

	tlsTag    [maxTag]byte // tag of the client's STARTTLS
	tlsTagLen int          // 0: no STARTTLS pending
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

// splitTag returns a line's tag and the word after it.
func splitTag(line []byte) (tag, word, rest []byte) {
	tag, after, _ := bytes.Cut(line, []byte(" "))
	word, rest, _ = bytes.Cut(after, []byte(" "))
	return tag, word, rest
}

// validTag reports whether t is an IMAP tag: astring characters but "+".
func validTag(t []byte) bool {
	if len(t) == 0 {
		return false
	}
	for _, c := range t {
		if c <= ' ' || c >= 0x7f {
			return false
		}
		switch c {
		case '(', ')', '{', '%', '*', '"', '\\', '+':
			return false
		}
	}
	return true
}

func isCommand(word []byte, list []string) bool {
	for _, c := range list {
		if bytes.EqualFold(word, []byte(c)) {
			return true
		}
	}
	return false
}

func (s *session) clientLine(ts int64, line []byte) {
	if len(line) == 0 {
		return
	}
	tag, word, _ := splitTag(line)
	if !validTag(tag) || !isCommand(word, commands) {
		if !s.clientCmd {
			// The first client line must be a command; later ones may be
			// literals or SASL responses.
			s.c.Violation("client line is not a tagged IMAP command")
			s.done = true
		}
		return
	}
	s.clientCmd = true
	s.maybeConfirm()
	if bytes.EqualFold(word, []byte("STARTTLS")) {
		if s.tlsTagLen > 0 {
			s.c.Weird("IMAP: client sent duplicate StartTLS", "", ts)
		}
		s.tlsTagLen = copy(s.tlsTag[:], tag)
		return
	}
	if s.confirmed && isCommand(word, authenticating) {
		s.skip()
	}
}

func (s *session) serverLine(ts int64, line []byte) {
	if !s.greeted {
		for _, g := range greetings {
			if len(line) >= len(g) && bytes.EqualFold(line[:len(g)], []byte(g)) &&
				(len(line) == len(g) || isSep(line[len(g)])) {
				s.greeted = true
				s.greetOK = g != "* BYE"
				s.preauth = g == "* PREAUTH"
			}
		}
		if !s.greeted {
			s.c.Violation("server greeting is not * OK, * PREAUTH or * BYE")
			s.done = true
			return
		}
		s.maybeConfirm()
		return
	}
	if len(line) == 0 || line[0] == '*' || line[0] == '+' {
		return
	}
	tag, word, _ := splitTag(line)
	status := bytes.EqualFold(word, []byte("OK")) || bytes.EqualFold(word, []byte("NO")) || bytes.EqualFold(word, []byte("BAD"))
	if !validTag(tag) || !status {
		if !s.confirmed {
			s.c.Violation("server line is not an IMAP response")
			s.done = true
		}
		return
	}
	if s.tlsTagLen > 0 && bytes.Equal(tag, s.tlsTag[:s.tlsTagLen]) {
		s.tlsTagLen = 0
		if !bytes.EqualFold(word, []byte("OK")) {
			s.c.Weird("IMAP: server refused StartTLS", "", ts)
			return
		}
		if !s.confirmed {
			s.confirmed = true
			s.c.Confirm()
		}
		s.c.StartAnalyzer("ssl")
		s.skip()
	}
}

// maybeConfirm confirms once both sides have spoken IMAP.
func (s *session) maybeConfirm() {
	if s.confirmed || !s.greetOK || !s.clientCmd {
		return
	}
	s.confirmed = true
	s.c.Confirm()
	if s.preauth {
		// Already authenticated: STARTTLS is not allowed.
		s.skip()
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

// Datagram implements analyzer.Session; IMAP runs over TCP only.
func (s *session) Datagram(int64, bool, []byte) {}

// End implements analyzer.Session.
func (s *session) End(int64) {}
