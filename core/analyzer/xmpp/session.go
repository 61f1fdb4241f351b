package xmpp

import (
	"bytes"

	"github.com/weirnet/weir/core/analyzer"
)

// maxUnconfirmedTags bounds how long a session may run without both
// stream headers.
const maxUnconfirmedTags = 64

type session struct {
	c    *analyzer.Conn
	tags [2]tagReader // 0: client, 1: server

	first      [2]bool // the direction's first tag was checked
	header     [2]bool // the direction opened a jabber stream
	confirmed  bool
	starttls   bool // the client sent <starttls>
	inFeatures bool // inside the server's <stream:features>
	tlsOffered bool // ... which offered <starttls>
	ntags      int
	done       bool
}

// Stream implements analyzer.Session.
func (s *session) Stream(ts int64, isOrig bool, b []byte) {
	d := 1
	if isOrig {
		d = 0
	}
	for !s.done && len(b) > 0 {
		tag, rest, ok, bad := s.tags[d].next(b)
		b = rest
		if bad {
			if !s.confirmed {
				s.c.Violation("not an XMPP stream")
				s.done = true
				return
			}
			s.c.Weird("xmpp_tag_too_long", "", ts)
			continue
		}
		if !ok {
			return
		}
		s.tag(ts, d, tag)
	}
}

func (s *session) tag(ts int64, d int, tag []byte) {
	if !s.confirmed {
		if s.ntags++; s.ntags > maxUnconfirmedTags {
			s.c.Violation("no XMPP stream headers")
			s.done = true
			return
		}
	}
	if len(tag) == 0 || tag[0] == '!' || tag[0] == '?' {
		// Comments and processing instructions; the declaration may
		// precede the stream header only.
		if !s.first[d] && !isDecl(tag) && !s.confirmed {
			s.c.Violation("stream does not open with a stream header")
			s.done = true
		}
		return
	}
	if isStreamHeader(tag) {
		s.first[d] = true
		if !jabberNS(tag) {
			if !s.confirmed {
				s.c.Violation("stream header without a jabber: namespace")
				s.done = true
			}
			return
		}
		s.header[d] = true
		if s.header[0] && s.header[1] && !s.confirmed {
			s.confirmed = true
			s.c.Confirm()
		}
		return
	}
	if !s.first[d] {
		s.first[d] = true
		if !s.confirmed {
			s.c.Violation("stream does not open with a stream header")
			s.done = true
			return
		}
	}
	name, end := localName(tag)
	if d == 0 {
		switch {
		case !end && bytes.Equal(name, []byte("starttls")):
			s.starttls = true
		case !end && bytes.Equal(name, []byte("auth")) && s.confirmed:
			s.skip() // SASL: STARTTLS comes before it or not at all
		}
		return
	}
	switch {
	case bytes.Equal(name, []byte("features")):
		if !end && tag[len(tag)-1] != '/' {
			s.inFeatures, s.tlsOffered = true, false
			return
		}
		s.inFeatures = false
		if s.confirmed && !s.tlsOffered && !s.starttls {
			s.skip() // features without STARTTLS
		}
	case !end && bytes.Equal(name, []byte("starttls")):
		if s.inFeatures {
			s.tlsOffered = true
		}
	case !end && bytes.Equal(name, []byte("proceed")) && s.starttls:
		if s.header[0] && s.header[1] && !s.confirmed {
			s.confirmed = true
			s.c.Confirm()
		}
		if s.confirmed {
			s.c.StartAnalyzer("ssl")
		}
		s.skip()
	case !end && bytes.Equal(name, []byte("failure")) && s.starttls:
		s.starttls = false
		s.c.Weird("xmpp_starttls_failure", "", ts)
	}
}

func (s *session) skip() {
	s.done = true
	s.c.Skip(true)
	s.c.Skip(false)
}

// Gap implements analyzer.Session: the partial tag of that direction is
// lost.
func (s *session) Gap(ts int64, isOrig bool, n uint64) {
	if isOrig {
		s.tags[0].reset()
	} else {
		s.tags[1].reset()
	}
}

// Datagram implements analyzer.Session; XMPP runs over TCP only.
func (s *session) Datagram(int64, bool, []byte) {}

// End implements analyzer.Session.
func (s *session) End(int64) {}
