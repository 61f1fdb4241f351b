package dns

import (
	"time"

	"github.com/weirnet/weir/core/analyzer"
	"github.com/weirnet/weir/core/event"
)

// session analyzes one connection: UDP datagrams are messages; a TCP
// stream is a sequence of messages each preceded by its two-byte length.
// Sessions come from a pool and go back to it at End.
type session struct {
	a  *Analyzer
	c  *analyzer.Conn
	id event.ConnID // the connection's id, flipped if Zeek would flip it

	p            parser
	firstMessage bool
	confirmed    bool
	inCall       bool // inside Datagram/Stream/End: End from a Violation must wait
	ended        bool // End was called; nothing more is processed

	// Pairing state (Zeek's c$dns and c$dns_state).
	cur       *txn
	pq        *txn
	queries   pendTable
	replies   pendTable
	free      []*txn
	held      int // bytes held by live records
	replyBuf  []byte
	emitBuf   []byte
	nbName    [16]byte
	tcp       [2]framer // 0: originator, 1: responder
	multicast bool      // the responder address is multicast
}

// framer splits one direction of a TCP connection into messages.
type framer struct {
	state   uint8  // what the next byte is
	size    int    // length of the message being collected
	buf     []byte // its bytes so far, when it spans segments
	skip    int    // bytes still to drop after a gap inside a message
	lost    bool   // a gap took a length prefix: framing is lost
	partial bool   // buf holds the start of a message
}

const (
	lenHi = iota
	lenLo
	body
)

// maxRetainedTCPBuf is the largest reassembly buffer a pooled session keeps.
const maxRetainedTCPBuf = 4 << 10

func (a *Analyzer) newSession(c *analyzer.Conn) *session {
	s, _ := a.pool.Get().(*session)
	if s == nil {
		s = &session{replyBuf: make([]byte, 0, 2*nameMax), emitBuf: make([]byte, 0, 512)}
	}
	s.a, s.c, s.id = a, c, c.ID
	s.p.conn = c
	s.p.maxDepth = a.cfg.MaxCompressionDepth
	s.p.netbios = c.ID.RespP == 137
	s.firstMessage = true
	s.multicast = a.cfg.isMulticast(c.ID.RespH)
	if d := int64(a.cfg.SessionTimeout.Duration); d > 0 && c.ID.Proto == event.TransportUDP {
		// Zeek's DNS_Analyzer::ExpireTimer: checked every timeout, the
		// second less of idleness sparing the usual query and reply a
		// second check.
		c.ExpireIdle(d, d-int64(time.Second))
	}
	return s
}

// recycle resets s and returns it to the pool. Fields are cleared one by
// one: assigning a zero session would also clear the parser's name buffers
// (1.5 KiB) for nothing.
func (s *session) recycle() {
	for _, t := range s.free {
		t.reset()
	}
	if len(s.free) > 8 {
		clear(s.free[8:])
		s.free = s.free[:8]
	}
	for i := range s.tcp {
		f := &s.tcp[i]
		b := f.buf[:0]
		if cap(b) > maxRetainedTCPBuf {
			b = nil
		}
		*f = framer{buf: b}
	}
	a := s.a
	s.a, s.c, s.id = nil, nil, event.ConnID{}
	s.p.msg, s.p.conn = nil, nil
	s.firstMessage, s.confirmed, s.inCall, s.ended, s.multicast = false, false, false, false, false
	s.cur, s.pq = nil, nil
	s.queries.qs, s.replies.qs = s.queries.qs[:0], s.replies.qs[:0]
	s.held = 0
	s.replyBuf, s.emitBuf = s.replyBuf[:0], s.emitBuf[:0]
	a.pool.Put(s)
}

// respMulticast reports whether the responder is a multicast address
// (DNS::multicast_subnets): each message is then its own record.
func (s *session) respMulticast() bool { return s.multicast }

// flip swaps originator and responder, as Zeek's DNS analyzer does when the
// first message from the originator is a reply.
func (s *session) flip() {
	s.id.OrigH, s.id.RespH = s.id.RespH, s.id.OrigH
	s.id.OrigP, s.id.RespP = s.id.RespP, s.id.OrigP
	s.multicast = s.a.cfg.isMulticast(s.id.RespH)
}

func (s *session) confirm() {
	if !s.confirmed {
		s.confirmed = true
		s.c.Confirm()
	}
}

// violation reports that the traffic is not DNS. The tracker answers with
// End, possibly before this returns.
func (s *session) violation(reason string) { s.c.Violation(reason) }

// Datagram implements analyzer.Session: one UDP payload is one message. b
// is not retained.
func (s *session) Datagram(ts int64, isOrig bool, b []byte) {
	if s.ended {
		return
	}
	s.inCall = true
	s.message(ts, b, boolInt(isOrig))
	s.leave()
}

// Stream implements analyzer.Session for TCP: b (not retained) continues
// one direction's byte stream. Whole messages are parsed in place; only a
// message split across segments is copied, into a buffer of at most 64 KiB
// per direction (the largest length a prefix can give).
func (s *session) Stream(ts int64, isOrig bool, b []byte) {
	if s.ended {
		return
	}
	f := &s.tcp[boolInt(isOrig)^1]
	if f.lost {
		return
	}
	s.inCall = true
	for len(b) > 0 && !s.ended {
		if f.skip > 0 {
			n := min(f.skip, len(b))
			f.skip -= n
			b = b[n:]
			continue
		}
		switch f.state {
		case lenHi:
			if len(b) >= 2 {
				size := int(b[0])<<8 | int(b[1])
				if len(b)-2 >= size { // a whole message: no copy
					s.message(ts, b[2:2+size], boolInt(isOrig))
					b = b[2+size:]
					continue
				}
				f.size, f.state = size, body
				f.buf, f.partial = f.buf[:0], true
				b = b[2:]
				continue
			}
			f.size, f.state = int(b[0])<<8, lenLo
			b = b[1:]
		case lenLo:
			f.size |= int(b[0])
			f.state = body
			f.buf, f.partial = f.buf[:0], true
			b = b[1:]
		case body:
			n := min(f.size-len(f.buf), len(b))
			f.buf = append(f.buf, b[:n]...)
			b = b[n:]
		}
		if f.state == body && len(f.buf) == f.size {
			f.state, f.partial = lenHi, false
			s.message(ts, f.buf, boolInt(isOrig))
		}
	}
	s.leave()
}

// Gap implements analyzer.Session: n bytes of one TCP direction are
// missing. A gap inside a message of known length drops that message and
// framing resumes after it; a gap that may have swallowed a length prefix
// loses the framing, and the direction is no longer analyzed. (Zeek goes on
// reading lengths from wherever the stream resumes.)
func (s *session) Gap(ts int64, isOrig bool, n uint64) {
	if s.ended || n == 0 {
		return
	}
	f := &s.tcp[boolInt(isOrig)^1]
	if f.lost {
		return
	}
	if f.skip > 0 {
		if n < uint64(f.skip) {
			f.skip -= int(n)
			return
		}
		n -= uint64(f.skip)
		f.skip = 0
		if n == 0 {
			return
		}
	}
	if f.state == body {
		if rest := uint64(f.size - len(f.buf)); n < rest {
			f.skip = int(rest - n)
			f.state, f.partial, f.buf = lenHi, false, f.buf[:0]
			return
		} else if n == rest {
			f.state, f.partial, f.buf = lenHi, false, f.buf[:0]
			return
		}
	}
	f.lost, f.partial, f.buf = true, false, f.buf[:0]
	s.c.Skip(isOrig)
}

// End implements analyzer.Session: partial TCP messages are parsed as Zeek
// does when a connection closes, and every unmatched query and reply is
// logged. The session must not be used afterwards.
func (s *session) End(ts int64) {
	if s.ended {
		return
	}
	s.ended = true // a violation while flushing must not re-enter
	nested := s.inCall
	s.inCall = true
	for i := range s.tcp {
		if f := &s.tcp[i]; f.partial && len(f.buf) > 0 && !f.lost {
			f.partial = false
			s.message(ts, f.buf, 2)
		}
	}
	s.flushPending(ts)
	s.setCur(nil)
	if !nested {
		s.recycle()
	}
	// Called from within Datagram or Stream (a violation): leave recycles.
}

// leave ends a Datagram or Stream call; an End that happened during it
// recycles the session now.
func (s *session) leave() {
	s.inCall = false
	if s.ended {
		s.recycle()
	}
}

// handle is one connection's reference to its pooled session.
type handle struct{ s *session }

func (h *handle) Datagram(ts int64, isOrig bool, b []byte) {
	if s := h.s; s != nil {
		s.Datagram(ts, isOrig, b)
	}
}

func (h *handle) Stream(ts int64, isOrig bool, b []byte) {
	if s := h.s; s != nil {
		s.Stream(ts, isOrig, b)
	}
}

func (h *handle) Gap(ts int64, isOrig bool, n uint64) {
	if s := h.s; s != nil {
		s.Gap(ts, isOrig, n)
	}
}

func (h *handle) End(ts int64) {
	if s := h.s; s != nil {
		h.s = nil
		s.End(ts)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

var (
	_ analyzer.Session = (*session)(nil)
	_ analyzer.Session = (*handle)(nil)
)
