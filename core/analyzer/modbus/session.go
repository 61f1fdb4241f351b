package modbus

import "github.com/weirnet/weir/core/analyzer"

// framer gathers one direction's frames.
type framer struct {
	buf [maxADU]byte
	n   int // bytes of the current frame in buf
}

type session struct {
	c         *analyzer.Conn
	fr        [2]framer
	valid     [2]bool // a valid frame was seen: 0 request, 1 response
	confirmed bool
	done      bool
}

// Stream implements analyzer.Session.
func (s *session) Stream(ts int64, isOrig bool, b []byte) {
	d := 1
	if isOrig {
		d = 0
	}
	f := &s.fr[d]
	for !s.done && len(b) > 0 {
		if f.n < headerLen {
			k := copy(f.buf[f.n:headerLen], b)
			f.n += k
			b = b[k:]
			if f.n < headerLen {
				return
			}
		}
		n, err := frameLen(f.buf[:headerLen])
		if err != "" {
			s.violation(err)
			return
		}
		k := copy(f.buf[f.n:n], b)
		f.n += k
		b = b[k:]
		if f.n < n {
			return
		}
		frame := f.buf[:n]
		f.n = 0
		if err := checkFrame(frame, isOrig); err != "" {
			s.violation(err)
			return
		}
		s.valid[d] = true
		if s.valid[0] && s.valid[1] {
			s.confirmed = true
			s.c.Confirm()
			s.done = true
			s.c.Skip(true)
			s.c.Skip(false)
		}
	}
}

func (s *session) violation(reason string) {
	s.done = true
	s.c.Violation(reason)
}

// Gap implements analyzer.Session: framing of that direction is lost, so
// the session gives up (Modbus frames have no marker to resynchronize on).
func (s *session) Gap(ts int64, isOrig bool, n uint64) {
	if !s.done {
		s.done = true
		s.c.Skip(true)
		s.c.Skip(false)
	}
}

// Datagram implements analyzer.Session; Modbus/UDP is not analyzed.
func (s *session) Datagram(int64, bool, []byte) {}

// End implements analyzer.Session.
func (s *session) End(int64) {}
