package krb

import (
	"encoding/binary"

	"github.com/weirnet/weir/core/analyzer"
)

// record follows one direction's TCP records.
type record struct {
	buf  [4 + prefixLen]byte
	n    int // bytes of the current record in buf
	size int // the record's length (after the prefix), once known
	seen int // bytes of the record consumed, prefix included
}

type session struct {
	c    *analyzer.Conn
	rec  [2]record
	done bool
}

// Datagram implements analyzer.Session: one message per datagram.
func (s *session) Datagram(ts int64, isOrig bool, b []byte) {
	if s.done {
		return
	}
	n, err := checkPrefix(b)
	if err == "" && n != len(b) {
		err = "message length does not match the datagram"
	}
	s.finish(err)
}

// Stream implements analyzer.Session: 4-byte length prefixed records.
func (s *session) Stream(ts int64, isOrig bool, b []byte) {
	d := 1
	if isOrig {
		d = 0
	}
	r := &s.rec[d]
	for !s.done && len(b) > 0 {
		if r.n < 4 {
			k := copy(r.buf[r.n:4], b)
			r.n += k
			r.seen += k
			b = b[k:]
			if r.n < 4 {
				return
			}
			size := binary.BigEndian.Uint32(r.buf[:4])
			if size < minMessage || size > maxRecord {
				s.finish("record length out of range")
				return
			}
			r.size = int(size)
		}
		if want := 4 + min(r.size, prefixLen); r.n < want {
			k := copy(r.buf[r.n:want], b)
			r.n += k
			r.seen += k
			b = b[k:]
			if r.n > 4 && !appTag(r.buf[4]) {
				s.finish("not a Kerberos application tag")
				return
			}
		}
		k := min(4+r.size-r.seen, len(b))
		r.seen += k
		b = b[k:]
		if r.seen < 4+r.size {
			return
		}
		n, err := checkPrefix(r.buf[4:r.n])
		if err == "" && n != r.size {
			err = "message length does not match the record"
		}
		s.finish(err)
	}
}

// finish confirms (err == "") or reports a violation, and stops.
func (s *session) finish(err string) {
	s.done = true
	if err != "" {
		s.c.Violation(err)
		return
	}
	s.c.Confirm()
	s.c.Skip(true)
	s.c.Skip(false)
}

// Gap implements analyzer.Session: framing is lost; the session gives up.
func (s *session) Gap(ts int64, isOrig bool, n uint64) {
	if !s.done {
		s.done = true
		s.c.Skip(true)
		s.c.Skip(false)
	}
}

// End implements analyzer.Session.
func (s *session) End(int64) {}
