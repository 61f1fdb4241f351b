package dns

import (
	"bytes"

	"github.com/weirnet/weir/core/event"
)

// txn is one dns.log record being built: Zeek's DNS::Info. A txn is held by
// the session's current-transaction slot (Zeek's c$dns), by the pending
// query slot or by a pending queue, and goes back to the session's free
// list when none holds it any more. Its buffers are reused.
type txn struct {
	ts      int64
	transID uint16
	rtt     int64

	query            []byte
	qclass, qtype    uint16
	qtypeName        string
	rcode, z, opcode uint8

	hasRTT, hasQuery, hasQType, hasRcode bool
	aa, tc, rd, ra, rejected             bool
	netbiosOp                            bool // opcode names from the NetBIOS table
	sawQuery, sawReply                   bool
	pending                              bool // in the pending query slot or a pending queue
	truncated                            bool // answers were dropped (MaxAnswerBytes)

	text []byte  // answer texts, concatenated
	ends []int32 // end offset of each answer in text
	ttls []int64 // ns, one per answer
}

func (t *txn) size() int { return len(t.query) + len(t.text) + 12*len(t.ends) }

// reset clears t for reuse, keeping its buffers unless they grew large.
func (t *txn) reset() {
	q, x, e, l := t.query[:0], t.text[:0], t.ends[:0], t.ttls[:0]
	if cap(x) > 64<<10 {
		x, e, l = nil, nil, nil
	}
	*t = txn{query: q, text: x, ends: e, ttls: l}
}

// pendQueue holds the unmatched messages of one transaction id, oldest
// first; pendTable the queues in the order their ids first appeared (Zeek
// iterates its table in hash order; weir uses insertion order so that the
// output does not depend on a hash seed).
type pendQueue struct {
	id uint16
	q  []*txn
}

type pendTable struct {
	qs []pendQueue
}

func (pt *pendTable) find(id uint16) int {
	for i := range pt.qs {
		if pt.qs[i].id == id {
			return i
		}
	}
	return -1
}

// add appends an empty queue for id, reusing a spare backing array.
func (pt *pendTable) add(id uint16) int {
	n := len(pt.qs)
	if n < cap(pt.qs) {
		pt.qs = pt.qs[:n+1]
		pt.qs[n].id = id
		pt.qs[n].q = pt.qs[n].q[:0]
	} else {
		pt.qs = append(pt.qs, pendQueue{id: id})
	}
	return n
}

// remove deletes queue i, keeping its backing array past the end for add.
func (pt *pendTable) remove(i int) {
	spare := pt.qs[i].q[:0]
	copy(pt.qs[i:], pt.qs[i+1:])
	last := len(pt.qs) - 1
	pt.qs[last] = pendQueue{q: spare}
	pt.qs = pt.qs[:last]
}

// pop takes the oldest message of id, or nil.
func (pt *pendTable) pop(id uint16) *txn {
	i := pt.find(id)
	if i < 0 {
		return nil
	}
	return pt.popAt(i)
}

func (pt *pendTable) popAt(i int) *txn {
	q := pt.qs[i].q
	t := q[0]
	copy(q, q[1:])
	q[len(q)-1] = nil
	pt.qs[i].q = q[:len(q)-1]
	if len(pt.qs[i].q) == 0 {
		pt.remove(i)
	}
	return t
}

// newTxn starts a record at network time ts (Zeek's new_session).
func (s *session) newTxn(ts int64, id uint16) *txn {
	var t *txn
	if n := len(s.free); n > 0 {
		t = s.free[n-1]
		s.free = s.free[:n-1]
	} else {
		t = new(txn)
	}
	t.ts, t.transID = ts, id
	return t
}

// release returns t to the free list once nothing holds it.
func (s *session) release(t *txn) {
	if t == s.cur || t.pending {
		return
	}
	s.held -= t.size()
	t.reset()
	s.free = append(s.free, t)
}

func (s *session) setCur(t *txn) {
	old := s.cur
	s.cur = t
	if old != nil && old != t {
		s.release(old)
	}
}

// setSession finds or starts the record a message belongs to, as Zeek's
// DNS::set_session hook: messages to a multicast address each get their
// own record; a query pairs with the oldest unmatched reply of its id or
// waits; a reply pairs with the waiting query of its id or waits itself.
func (s *session) setSession(ts int64, h *header) {
	var t *txn
	switch {
	case s.respMulticast():
		t = s.newTxn(ts, h.id)
		t.sawQuery, t.sawReply = true, true
	case !h.qr:
		if t = s.replies.pop(h.id); t != nil {
			t.pending = false
			break
		}
		t = s.newTxn(ts, h.id)
		if s.pq == nil {
			s.pq = t
			t.pending = true
		} else {
			s.enqueue(&s.queries, h.id, t, ts)
		}
	default:
		if s.pq != nil && s.pq.transID == h.id {
			t = s.pq
			t.pending = false
			s.pq = nil
			// Refill the pending slot so that the order of waiting
			// queries is kept: one with the same id first, else the
			// oldest of any id.
			if len(s.queries.qs) > 0 {
				next := s.queries.pop(h.id)
				if next == nil {
					next = s.queries.popAt(0)
				}
				s.pq = next
			}
			break
		}
		if t = s.queries.pop(h.id); t != nil {
			t.pending = false
			break
		}
		t = s.newTxn(ts, h.id)
		s.enqueue(&s.replies, h.id, t, ts)
	}
	s.setCur(t)
	if h.qr {
		t.rcode, t.hasRcode = h.rcode, true
		if h.rcode != 0 && h.qd == 0 {
			t.rejected = true
		}
	}
	t.opcode, t.netbiosOp = h.opcode, s.p.netbios
}

// enqueue adds t to a pending table (Zeek's enqueue_new_msg): past the
// configured limits the waiting messages are logged unmatched.
func (s *session) enqueue(pt *pendTable, id uint16, t *txn, ts int64) {
	i := pt.find(id)
	if i < 0 {
		if len(pt.qs) > s.a.cfg.MaxPendingQueryIDs {
			s.flushTable(pt, ts)
		}
		i = pt.add(id)
	} else if len(pt.qs[i].q) > s.a.cfg.MaxPendingMsgs {
		s.flushQueue(&pt.qs[i], ts)
	}
	pt.qs[i].q = append(pt.qs[i].q, t)
	t.pending = true
}

// flushQueue logs and empties one pending queue.
func (s *session) flushQueue(pq *pendQueue, ts int64) {
	for i, t := range pq.q {
		pq.q[i] = nil
		s.emit(t, ts)
		t.pending = false
		s.release(t)
	}
	pq.q = pq.q[:0]
}

// flushTable logs and empties a pending table.
func (s *session) flushTable(pt *pendTable, ts int64) {
	for i := range pt.qs {
		s.flushQueue(&pt.qs[i], ts)
	}
	pt.qs = pt.qs[:0]
}

// flushPending logs every unmatched record (Zeek's finalize_dns).
func (s *session) flushPending(ts int64) {
	if t := s.pq; t != nil {
		s.pq = nil
		s.emit(t, ts)
		t.pending = false
		s.release(t)
	}
	s.flushTable(&s.queries, ts)
	s.flushTable(&s.replies, ts)
}

// request applies a question of a query (Zeek's dns_request handler).
func (s *session) request(h *header, name []byte, qtype, qclass uint16) {
	t := s.cur
	if !h.tracked || t == nil {
		return
	}
	t.rd, t.tc, t.z = h.rd, h.tc, h.z
	t.qclass, t.qtype, t.hasQType = qclass, qtype, true
	t.qtypeName = qtypeName(qtype)
	q := name
	if s.id.RespP == 137 && s.id.Proto == event.TransportUDP {
		if d := decodeNetbiosName(name, &s.nbName); len(d) > 0 {
			q = d
		}
		if qtype == typeSRV {
			t.qtypeName = "NBSTAT"
		}
	}
	s.held += len(q) - len(t.query)
	t.query = append(t.query[:0], q...)
	t.hasQuery = true
}

// reply applies one answer record of a reply with its dns.log text (Zeek's
// DNS::do_reply hook); text may be empty (the record is counted, nothing
// is logged for it). text may alias s.replyBuf.
func (s *session) reply(h *header, r *rr, text []byte) {
	defer func() { s.replyBuf = text[:0] }() // keep a grown buffer
	t := s.cur
	if !h.tracked || !h.qr || t == nil {
		return
	}
	if !t.hasQuery {
		s.held += len(r.owner) - len(t.query)
		t.query = append(t.query[:0], r.owner...)
		t.hasQuery = true
	}
	t.aa, t.ra = h.aa, h.ra
	if !t.hasRTT {
		// Zeek leaves rtt unset when it comes out zero: a reply seen
		// alone.
		if d := s.p.ts - t.ts; d != 0 {
			t.rtt, t.hasRTT = d, true
		}
	}
	if len(text) == 0 {
		return
	}
	add := h.update && r.sec == secUpdate && !bytes.HasPrefix(text, []byte("del:"))
	n := len(text)
	if add {
		n += len("add: ")
	}
	if len(t.text)+n > s.a.cfg.MaxAnswerBytes {
		if !t.truncated {
			t.truncated = true
			s.p.weird("DNS_answers_truncated", "")
		}
		return
	}
	if add {
		t.text = append(t.text, "add: "...)
	}
	t.text = append(t.text, text...)
	t.ends = append(t.ends, int32(len(t.text)))
	t.ttls = append(t.ttls, int64(r.ttl)*1e9)
	s.held += n + 12
}

// endMessage is Zeek's dns_end handling: the current record has now seen
// a query or a reply; with both it is logged.
func (s *session) endMessage(ts int64, h *header) {
	if t := s.cur; t != nil {
		if h.qr {
			t.sawReply = true
		} else {
			t.sawQuery = true
		}
		if t.sawReply && t.sawQuery {
			s.emit(t, ts)
			s.cur = nil
			s.release(t)
		}
	}
	if s.held > s.a.cfg.MaxPendingBytes {
		s.p.weird("DNS_pending_limit", "")
		s.flushPending(ts)
	}
}

// dnsBox holds an event with room for a few answers, so that a typical
// record costs one allocation for the event and one for its text.
type dnsBox struct {
	ev   event.DNS
	ans  [4]string
	ttls [4]int64
}

// emit publishes t as a record completed at network time now. The event
// owns its strings (one allocation holds the query and every answer).
func (s *session) emit(t *txn, now int64) {
	buf := append(s.emitBuf[:0], t.query...)
	buf = append(buf, t.text...)
	s.emitBuf = buf[:0]
	var str string
	if len(buf) > 0 {
		str = string(buf)
	}
	box := new(dnsBox)
	ev := &box.ev
	*ev = event.DNS{
		TS:       t.ts,
		UID:      s.c.UID,
		ID:       s.id,
		Proto:    s.id.Proto,
		TransID:  t.transID,
		RTT:      t.rtt,
		HasRTT:   t.hasRTT,
		Query:    str[:len(t.query)],
		HasQuery: t.hasQuery,
		HasQType: t.hasQType,
		HasRCode: t.hasRcode,
		AA:       t.aa, TC: t.tc, RD: t.rd, RA: t.ra,
		Z:          t.z,
		Rejected:   t.rejected,
		Opcode:     t.opcode,
		OpcodeName: opcodeName(t.opcode, t.netbiosOp),
	}
	if t.hasQType {
		ev.QClass, ev.QClassName = t.qclass, className(t.qclass)
		ev.QType, ev.QTypeName = t.qtype, t.qtypeName
	}
	if t.hasRcode {
		ev.RCode, ev.RCodeName = uint16(t.rcode), rcodeNames[t.rcode&15]
	}
	if n := len(t.ends); n > 0 {
		if n <= len(box.ans) {
			ev.Answers, ev.TTLs = box.ans[:n:n], box.ttls[:n:n]
		} else {
			ev.Answers, ev.TTLs = make([]string, n), make([]int64, n)
		}
		text := str[len(t.query):]
		prev := int32(0)
		for i, e := range t.ends {
			ev.Answers[i] = text[prev:e]
			prev = e
		}
		copy(ev.TTLs, t.ttls)
	}
	s.c.Emit(event.Event{Kind: event.KindDNSMessage, Time: now, DNS: ev})
}
