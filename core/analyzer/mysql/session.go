package mysql

import "github.com/weirnet/weir/core/analyzer"

type session struct {
	c *analyzer.Conn

	greet   [4 + maxGreeting]byte
	ngreet  int
	greeted bool

	resp  [4 + respLen]byte
	nresp int

	done bool
}

// Stream implements analyzer.Session.
func (s *session) Stream(ts int64, isOrig bool, b []byte) {
	if s.done {
		return
	}
	if !isOrig {
		s.server(b)
	} else {
		s.client(b)
	}
}

func (s *session) server(b []byte) {
	if s.greeted {
		return
	}
	s.ngreet += copy(s.greet[s.ngreet:], b)
	if s.ngreet < 5 {
		return
	}
	n := packetLen(s.greet[:])
	if s.greet[3] != 0 {
		s.violation("greeting sequence is not 0")
		return
	}
	if s.greet[4] == errPacket {
		// The server refused the client (too many connections, host
		// not allowed): MySQL, but no exchange to confirm.
		s.stop()
		return
	}
	if n < minGreeting || n > maxGreeting {
		s.violation("greeting length out of range")
		return
	}
	if s.ngreet < 4+n {
		return
	}
	if err := checkGreeting(s.greet[4 : 4+n]); err != "" {
		s.violation(err)
		return
	}
	s.greeted = true
	s.tryResponse()
}

func (s *session) client(b []byte) {
	s.nresp += copy(s.resp[s.nresp:], b)
	if s.nresp >= 4 && s.resp[3] != 1 {
		s.violation("client's first packet is not sequence 1")
		return
	}
	s.tryResponse()
}

// tryResponse judges the client's first packet once the greeting was seen
// and enough of the packet arrived.
func (s *session) tryResponse() {
	if !s.greeted || s.nresp < 4 {
		return
	}
	n := packetLen(s.resp[:])
	if s.nresp < 4+min(n, respLen) {
		return
	}
	ssl, err := checkResponse(s.resp[4:4+min(n, respLen)], n)
	if err != "" {
		s.violation(err)
		return
	}
	s.c.Confirm()
	if ssl {
		s.c.StartAnalyzer("ssl")
	}
	s.stop()
}

func (s *session) stop() {
	s.done = true
	s.c.Skip(true)
	s.c.Skip(false)
}

func (s *session) violation(reason string) {
	s.done = true
	s.c.Violation(reason)
}

// Gap implements analyzer.Session: the handshake is lost; the session
// gives up.
func (s *session) Gap(ts int64, isOrig bool, n uint64) {
	if !s.done {
		s.stop()
	}
}

// Datagram implements analyzer.Session; MySQL runs over TCP only.
func (s *session) Datagram(int64, bool, []byte) {}

// End implements analyzer.Session.
func (s *session) End(int64) {}
