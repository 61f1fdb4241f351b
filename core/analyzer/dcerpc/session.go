package dcerpc

import "github.com/weirnet/weir/core/analyzer"

// framer follows one direction's PDUs.
type framer struct {
	buf  [keepLen]byte
	n    int // bytes of the current PDU in buf
	frag int // the current PDU's fragment length, once its header is in
	seen int // bytes of the current PDU consumed so far
}

type session struct {
	c    *analyzer.Conn
	fr   [2]framer
	done bool
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
			f.seen += k
			b = b[k:]
			if f.n < headerLen {
				if err := checkPrefix(f.buf[:f.n], isOrig); err != "" {
					s.done = true
					s.c.Violation(err)
				}
				return
			}
			frag, err := checkHeader(f.buf[:headerLen], isOrig)
			if err != "" {
				s.done = true
				s.c.Violation(err)
				return
			}
			f.frag = frag
		}
		if want := min(f.frag, keepLen); f.n < want {
			k := copy(f.buf[f.n:want], b)
			f.n += k
			f.seen += k
			b = b[k:]
		}
		// Pass over the rest of the PDU.
		k := min(f.frag-f.seen, len(b))
		f.seen += k
		b = b[k:]
		if f.seen < f.frag {
			return
		}
		err := checkBody(f.buf[:min(f.frag, keepLen)])
		*f = framer{}
		if err != "" {
			s.done = true
			s.c.Violation(err)
			return
		}
		// A whole valid PDU: Zeek confirms here.
		s.done = true
		s.c.Confirm()
		s.c.Skip(true)
		s.c.Skip(false)
	}
}

// Gap implements analyzer.Session: framing is lost, so the session gives
// up.
func (s *session) Gap(ts int64, isOrig bool, n uint64) {
	if !s.done {
		s.done = true
		s.c.Skip(true)
		s.c.Skip(false)
	}
}

// Datagram implements analyzer.Session; connectionless DCE-RPC is not
// analyzed.
func (s *session) Datagram(int64, bool, []byte) {}

// End implements analyzer.Session.
func (s *session) End(int64) {}
