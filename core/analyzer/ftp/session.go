package ftp

import (
	"bytes"

	"github.com/weirnet/weir/core/analyzer"
	"github.com/weirnet/weir/core/analyzer/internal/linebuf"
)

type command uint8

const (
	cmdUnknown command = iota
	cmdUser
	cmdPass
	cmdAuth
	cmdFeat
	cmdOther
)

// commands are RFC 959's and its extensions' (RFC 2228, 2389, 2428,
// 3659, 4217) commands.
var commands = [...]struct {
	word string
	cmd  command
}{
	{"USER", cmdUser}, {"PASS", cmdPass}, {"AUTH", cmdAuth}, {"FEAT", cmdFeat},
	{"ACCT", cmdOther}, {"PBSZ", cmdOther}, {"PROT", cmdOther}, {"CCC", cmdOther},
	{"ADAT", cmdOther}, {"SYST", cmdOther}, {"OPTS", cmdOther}, {"HELP", cmdOther},
	{"QUIT", cmdOther}, {"NOOP", cmdOther}, {"CWD", cmdOther}, {"CDUP", cmdOther},
	{"PWD", cmdOther}, {"TYPE", cmdOther}, {"MODE", cmdOther}, {"STRU", cmdOther},
	{"PASV", cmdOther}, {"EPSV", cmdOther}, {"PORT", cmdOther}, {"EPRT", cmdOther},
	{"LIST", cmdOther}, {"NLST", cmdOther}, {"MLSD", cmdOther}, {"MLST", cmdOther},
	{"RETR", cmdOther}, {"STOR", cmdOther}, {"STOU", cmdOther}, {"APPE", cmdOther},
	{"REST", cmdOther}, {"SIZE", cmdOther}, {"MDTM", cmdOther}, {"RNFR", cmdOther},
	{"RNTO", cmdOther}, {"DELE", cmdOther}, {"MKD", cmdOther}, {"RMD", cmdOther},
	{"STAT", cmdOther}, {"ABOR", cmdOther}, {"ALLO", cmdOther}, {"SITE", cmdOther},
	{"REIN", cmdOther}, {"SMNT", cmdOther}, {"LANG", cmdOther}, {"CLNT", cmdOther},
	{"HOST", cmdOther}, {"XPWD", cmdOther}, {"XCWD", cmdOther}, {"XMKD", cmdOther},
	{"XRMD", cmdOther}, {"XCUP", cmdOther},
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

// parseReply returns the code of a reply line and whether it opens a
// multi-line reply ("211-"). ok is false if the line is not a reply.
func parseReply(line []byte) (code int, more, ok bool) {
	return linebuf.ReplyCode(line, 659)
}

type session struct {
	c       *analyzer.Conn
	lines   [2]linebuf.Reader // 0: client, 1: server
	pending []command
	maxPend int

	greeted   bool
	clientCmd bool
	confirmed bool
	multi     int // code of the multi-line reply being read, 0 if none
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
	cmd := parseCommand(line)
	if cmd == cmdUnknown {
		if !s.clientCmd && !s.confirmed {
			s.c.Violation("first client command is not FTP")
			s.done = true
			return
		}
		s.c.Weird("ftp_unknown_command", "", ts)
		return
	}
	s.clientCmd = true
	if len(s.pending) == s.maxPend {
		s.c.Weird("ftp_too_many_pending_commands", "", ts)
		copy(s.pending, s.pending[1:])
		s.pending = s.pending[:len(s.pending)-1]
	}
	s.pending = append(s.pending, cmd)
}

func (s *session) serverLine(ts int64, line []byte) {
	code, more, ok := parseReply(line)
	if s.multi != 0 {
		// Lines of a multi-line reply are free text until one starts
		// with the same code and a space.
		if ok && !more && code == s.multi {
			s.multi = 0
			s.reply(code)
		}
		return
	}
	if !ok {
		// Some servers indent replies.
		code, more, ok = parseReply(bytes.TrimLeft(line, " "))
	}
	if !ok {
		if !s.confirmed {
			s.c.Violation("server line is not an FTP reply")
			s.done = true
			return
		}
		s.c.Weird("ftp_invalid_reply", "", ts)
		return
	}
	if more {
		s.multi = code
		return
	}
	s.reply(code)
}

// reply handles the complete reply with that code.
func (s *session) reply(code int) {
	if !s.greeted {
		switch code {
		case 120:
			return // "service ready in nnn minutes": the 220 follows
		case 220, 421:
			s.greeted = true
		default:
			s.c.Violation("server greeting is not 120, 220 or 421")
			s.done = true
		}
		return
	}
	if code >= 100 && code < 200 {
		return // preliminary: the final reply follows
	}
	if len(s.pending) == 0 {
		return
	}
	cmd := s.pending[0]
	copy(s.pending, s.pending[1:])
	s.pending = s.pending[:len(s.pending)-1]
	switch {
	case cmd == cmdUser && (code == 230 || code == 331 || code == 332),
		cmd == cmdPass && (code == 230 || code == 202),
		cmd == cmdFeat && code == 211:
		s.confirm()
	case cmd == cmdAuth && code == 234:
		s.confirm()
		s.c.StartAnalyzer("ssl")
		s.skip()
		return
	}
	if code == 230 && s.confirmed {
		s.skip() // logged in: AUTH TLS can no longer come
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

// Datagram implements analyzer.Session; FTP runs over TCP only.
func (s *session) Datagram(int64, bool, []byte) {}

// End implements analyzer.Session.
func (s *session) End(int64) {}
