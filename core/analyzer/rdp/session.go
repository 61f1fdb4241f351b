package rdp

import "github.com/weirnet/weir/core/analyzer"

// first gathers one direction's first PDU.
type first struct {
	buf  [maxPDU]byte
	n    int
	done bool // the PDU was complete and valid
}

type session struct {
	c        *analyzer.Conn
	pdu      [2]first
	selected uint32
	done     bool
}

// Stream implements analyzer.Session.
func (s *session) Stream(ts int64, isOrig bool, b []byte) {
	if s.done {
		return
	}
	d, code := 1, byte(codeCC)
	if isOrig {
		d, code = 0, codeCR
	}
	f := &s.pdu[d]
	if f.done {
		return // later PDUs are not looked at
	}
	k := copy(f.buf[f.n:], b)
	f.n += k
	n, err := tpktLen(f.buf[:f.n], code)
	if err != "" {
		s.violation(err)
		return
	}
	if n == 0 || f.n < n {
		return
	}
	sel, err := checkPDU(f.buf[:n], code)
	if err != "" {
		s.violation(err)
		return
	}
	f.done = true
	if !isOrig {
		s.selected = sel
	}
	if !s.pdu[0].done || !s.pdu[1].done {
		return
	}
	s.done = true
	s.c.Confirm()
	if s.selected != 0 {
		s.c.StartAnalyzer("ssl")
	}
	s.c.Skip(true)
	s.c.Skip(false)
}

func (s *session) violation(reason string) {
	s.done = true
	s.c.Violation(reason)
}

// Gap implements analyzer.Session: the first PDUs are lost; the session
// gives up.
func (s *session) Gap(ts int64, isOrig bool, n uint64) {
	if !s.done {
		s.done = true
		s.c.Skip(true)
		s.c.Skip(false)
	}
}

// Datagram implements analyzer.Session; RDP over UDP (MS-RDPEUDP) is not
// analyzed.
func (s *session) Datagram(int64, bool, []byte) {}

// End implements analyzer.Session.
func (s *session) End(int64) {}
