package http

import (
	"github.com/weirnet/weir/core/analyzer"
)

// Request and reply states (Zeek's HTTP_ExpectRequest, HTTP_ExpectReply).
const (
	expectLine = iota
	expectMessage
	expectTrailer
	expectNone
	expectReplyHTTP09
)

// Session is the HTTP analysis of one TCP connection (Zeek's
// HTTP_Analyzer). It is driven by one goroutine: the engine worker that
// owns the connection.
//
// Beyond analyzer.Session it offers EndOfStream and Reset (the end of one
// direction by FIN, and a RST), which decide how a message cut by the
// connection's end is completed.
type Session struct {
	an   *Analyzer
	conn *analyzer.Conn
	ts   int64

	lines    [2]lineReader // originator, responder
	req, rep message

	reqState, repState int
	numRequests        int
	reqVersion         version
	repVersion         version
	keepAlive          bool
	connClose          bool
	reqOngoing         bool
	repOngoing         bool
	connectReq         bool
	upgraded           bool
	upgradeConn        bool
	upgradeProto       bool
	unanswered         methodQueue
	replyCode          int
	http09Reply        bool // the HTTP/0.9 pseudo reply began

	confirmed   bool
	ended       bool
	tunneled    bool
	tunnelWeird string // weird for bytes that follow the switch in its segment
	sawSingleCR bool
	sawSingleLF bool

	txns        txns
	scratch     []byte // URI unescaping, Basic auth decoding
	lineInPlace bool   // the line being handled lies in the Stream call's bytes
}

// Tunneled reports whether the connection switched protocols: a CONNECT
// request answered with a 2xx reply (Zeek: 200), or a 101 Switching
// Protocols reply with Connection: upgrade and an Upgrade header. At the
// end of that reply's headers the session asks the core to detect the
// protocol afresh on the bytes that follow (Conn.Redetect, as Zeek attaches
// a new PIA) and stops reading both directions.
func (s *Session) Tunneled() bool { return s.tunneled }

// Stream delivers in-order bytes of one direction; b is not retained.
func (s *Session) Stream(ts int64, isOrig bool, b []byte) {
	if s.ended || len(b) == 0 {
		return
	}
	s.ts = ts
	if s.tunneled || s.upgraded {
		return
	}
	if !isOrig && s.repState == expectReplyHTTP09 {
		s.http09(b)
		return
	}
	s.stream(dir(isOrig), b)
	s.tunnelWeird = ""
}

// Gap reports n bytes of one direction that will never arrive. Inside a
// body of known length parsing goes on after it; anywhere else the
// direction's message is cut short and the direction is no longer read
// (a gap from the originator also ends the reply being read, whose body
// may depend on the request).
func (s *Session) Gap(ts int64, isOrig bool, n uint64) {
	if s.ended || n == 0 {
		return
	}
	s.ts = ts
	if s.tunneled {
		return
	}
	d := dir(isOrig)
	if s.lines[d].skip || s.upgraded {
		return
	}
	m := &s.rep
	if isOrig {
		m = &s.req
	}
	gap := int64(maxInt64)
	if n < uint64(maxInt64) {
		gap = int64(n)
	}
	if m.exists && m.undelivered(gap) {
		return
	}
	if isOrig {
		s.requestMade(true)
		s.replyMade(true)
	} else {
		s.replyMade(true)
	}
	s.skipDir(d)
}

// Datagram is not used: HTTP runs over TCP.
func (s *Session) Datagram(int64, bool, []byte) {}

// EndOfStream reports that one direction ended in order (its FIN was
// reached, Zeek's EndpointEOF): a partial last line is read as a line and
// the direction's message ends normally.
func (s *Session) EndOfStream(ts int64, isOrig bool) {
	if s.ended || s.tunneled {
		return
	}
	s.ts = ts
	d := dir(isOrig)
	if !(d == 1 && s.http09Reply) {
		s.flushPartial(d)
	}
	if s.ended {
		return
	}
	if isOrig {
		s.requestMade(false)
	} else {
		s.replyMade(false)
	}
}

// Reset reports a RST: messages in progress end as interrupted and
// nothing more is parsed (Zeek's ConnectionReset).
func (s *Session) Reset(ts int64) {
	if s.ended || s.tunneled {
		return
	}
	s.ts = ts
	s.requestMade(true)
	s.replyMade(true)
}

// End is called once when the connection is removed: messages in progress
// end as interrupted and every pending record is published (Zeek's Done
// and finalize_http).
func (s *Session) End(ts int64) {
	if s.ended {
		return
	}
	s.ts = ts
	s.ended = true
	s.requestMade(true)
	s.replyMade(true)
	s.flushAll()
	s.req.release()
	s.rep.release()
}

func (s *Session) weird(name, addl string) { s.conn.Weird(name, addl, s.ts) }
func (s *Session) weirdName(name string)   { s.weird(name, "") }

func (s *Session) confirm() {
	if !s.confirmed {
		s.confirmed = true
		s.conn.Confirm()
	}
}

// violation: before the protocol is confirmed the connection is not HTTP
// (the core ends the session); after, Zeek's analyzer stops reading the
// direction, which is what we do (Zeek's DPD may also drop the analyzer
// for small connections; its records are logged at the end either way).
func (s *Session) violation(isOrig bool, reason string) {
	if !s.confirmed {
		s.conn.Violation(reason)
		if !s.ended {
			s.End(s.ts)
		}
		return
	}
	if isOrig {
		s.reqState = expectNone
	} else {
		s.repState = expectNone
	}
	s.skipDir(dir(isOrig))
}

// skipDir stops reading a direction.
func (s *Session) skipDir(d int) {
	if !s.lines[d].skip {
		s.lines[d].skip = true
		s.conn.Skip(d == 0)
	}
}

func (s *Session) setPlain(isOrig bool, n int64) { s.lines[dir(isOrig)].plain = n }

// setDeliverySize is SetDeliverySize (see lineReader.delivery).
func (s *Session) setDeliverySize(isOrig bool, n int64) { s.lines[dir(isOrig)].delivery = n }

// setVersion is SetVersion: a version differing from the one seen before
// is a weird; HTTP/1.1 and later mean persistent connections.
func (s *Session) setVersion(v *version, nv version) {
	if *v == (version{}) {
		*v = nv
	} else if *v != nv {
		s.weird("HTTP_version_mismatch", "")
		*v = nv
	}
	if v.major > 1 || v.major == 1 && v.minor > 0 {
		s.keepAlive = true
	}
}

// line handles one line of a direction (HTTP_Analyzer::DeliverStream).
func (s *Session) line(d int, line []byte) {
	if d == 0 {
		s.requestSide(line)
	} else {
		s.replySide(line)
	}
}

// plainData handles body bytes read plainly.
func (s *Session) plainData(d int, b []byte) {
	if d == 0 {
		if s.req.exists {
			s.req.deliver(b, false)
		} else {
			s.weird("unexpected_client_HTTP_data", "")
		}
		return
	}
	if s.rep.exists {
		s.rep.deliver(b, false)
	} else {
		s.weird("unexpected_server_HTTP_data", "")
	}
}

func (s *Session) requestSide(line []byte) {
	switch s.reqState {
	case expectLine:
		r := parseRequestLine(line)
		ok := r.method != nil
		if ok {
			if r.lowercase {
				s.weird("lowercase_HTTP_keyword", "")
			}
			if r.noURI {
				s.weird("missing_HTTP_uri", "")
			}
			if r.setVersion {
				s.setVersion(&s.reqVersion, r.version)
			}
			if s.reqVersion == v09 && !r.is09Plausible() {
				ok, r.weird = false, "bad_HTTP_request"
			}
		}
		if !ok {
			s.weird(r.weird, "")
			switch {
			case !s.requestExpected():
				// Zeek: crud_trailing_HTTP_request (an http_event).
			case len(line) == 0:
				s.weird("empty_http_request", "")
			default:
				s.violation(true, "not a http request line")
			}
			return
		}
		s.numRequests++
		if !s.keepAlive && s.numRequests > 1 {
			s.weird("unexpected_multiple_HTTP_requests", "")
		}
		s.reqState = expectMessage
		s.reqOngoing = true
		s.unanswered.push(equalFold(r.method, "HEAD"))
		s.confirm()
		if equalFold(r.method, "CONNECT") {
			s.connectReq = true
		}
		s.onRequest(r.method, r.uri)
		s.req.init(s, true, bodyMaybe)
		if s.reqVersion == v09 {
			if string(r.method) != "GET" {
				s.weird("invalid_http_09_request_method", string(r.method))
			}
			if s.rep.exists {
				s.weird("http_09_reply_before_request", "")
				s.rep.done(false)
				s.rep.exists = false
			}
			// The reply is raw data up to the close.
			s.repState = expectReplyHTTP09
			s.lines[1].buf = s.lines[1].buf[:0]
		}
	case expectMessage:
		s.req.deliver(line, true)
	}
}

// requestExpected: another request may follow (Zeek's RequestExpected).
func (s *Session) requestExpected() bool { return s.numRequests == 0 || s.keepAlive }

func (s *Session) replySide(line []byte) {
	switch s.repState {
	case expectLine:
		r := parseReplyLine(line)
		if r.lowercase {
			s.weird("lowercase_HTTP_keyword", "")
		}
		if r.isHTTP {
			s.setVersion(&s.repVersion, r.version)
		}
		if !r.ok {
			if len(line) > 0 {
				s.violation(false, "not a http reply line")
			}
			return
		}
		if s.unanswered.len() > 0 {
			s.confirm()
		}
		s.repState = expectMessage
		s.repOngoing = true
		s.replyCode = r.code
		s.onReply(s.repVersion, r.code, r.reason, r.hasReason)
		if s.connectReq && (r.code < 200 || r.code > 299) {
			s.connectReq = false
		}
		s.rep.init(s, false, s.expectReplyBody())
	case expectMessage:
		s.rep.deliver(line, true)
		if s.connectReq && len(line) == 0 && !s.tunneled && !s.ended {
			s.startTunnel("protocol_data_with_HTTP_CONNECT_reply")
		}
	}
}

// http09 handles the responder's bytes after an HTTP/0.9 request: no
// status line, no headers, a body up to the close.
func (s *Session) http09(b []byte) {
	if !s.rep.exists {
		s.http09Reply = true
		s.setVersion(&s.repVersion, v09)
		if s.unanswered.len() > 0 {
			s.confirm()
			s.unanswered.pop()
		}
		s.connClose = true
		s.repOngoing = true
		s.onReply(s.repVersion, s.replyCode, nil, false)
		s.rep.init(s, false, s.expectReplyBody())
		s.rep.deliver(nil, true) // no headers
	}
	s.rep.deliver(b, false)
}

// expectReplyBody is ExpectReplyMessageBody: no body for HEAD, 1xx, 204
// and 304.
func (s *Session) expectReplyBody() int {
	if head, ok := s.unanswered.front(); ok && head {
		return bodyNotExpected
	}
	if c := s.replyCode; c >= 100 && c < 200 || c == 204 || c == 304 {
		return bodyNotExpected
	}
	return bodyExpected
}

// httpHeader is HTTP_Analyzer::HTTP_Header and the http_header event.
func (s *Session) httpHeader(isOrig bool, kind hdr, h header) {
	switch {
	case isOrig && kind == hConnection:
		if tok, _ := valueToken(h.value); equalFold(tok, "keep-alive") {
			s.keepAlive = true
		}
	case !isOrig && kind == hConnection:
		tok, _ := valueToken(h.value)
		if equalFold(tok, "close") {
			s.connClose = true
		} else if equalFold(tok, "upgrade") {
			s.upgradeConn = true
		}
	case !isOrig && kind == hUpgrade:
		tok, _ := valueToken(h.value)
		s.upgradeProto = len(tok) > 0
	}
	s.onHeader(isOrig, kind, h.value)
}

// requestMade is RequestMade: the request message ends.
func (s *Session) requestMade(interrupted bool) {
	if !s.reqOngoing {
		return
	}
	s.reqOngoing = false
	if s.req.exists {
		s.req.done(interrupted)
	}
	if interrupted {
		s.reqState = expectNone
	} else {
		s.reqState = expectLine
	}
}

// replyMade is ReplyMade: the reply message ends; a 101 with Upgrade
// hands the connection to another protocol.
func (s *Session) replyMade(interrupted bool) {
	if !s.repOngoing {
		return
	}
	s.repOngoing = false
	if s.rep.exists {
		s.rep.done(interrupted)
	}
	if (s.replyCode < 100 || s.replyCode >= 200) && s.unanswered.len() > 0 {
		s.unanswered.pop()
	}
	if s.replyCode == 101 && s.unanswered.len() == 1 && s.upgradeConn && s.upgradeProto {
		s.upgraded = true
		if !s.ended {
			s.startTunnel("protocol_data_with_HTTP_upgrade_reply")
		}
	}
	s.replyCode = 0
	s.upgradeConn, s.upgradeProto = false, false
	if interrupted || s.upgraded {
		s.repState = expectNone
	} else {
		s.repState = expectLine
	}
}

// startTunnel hands the connection to a new protocol detection. Bytes
// that follow the reply's headers in the same segment are reported (Zeek's
// protocol_data_with_HTTP_CONNECT_reply) by feed.
func (s *Session) startTunnel(weird string) {
	s.tunneled = true
	s.tunnelWeird = weird
	s.conn.Redetect()
	s.skipDir(0)
	s.skipDir(1)
}

// methodQueue is the FIFO of requests not answered yet (Zeek's
// unanswered_requests); only whether each was a HEAD matters. The first
// 256 are kept exactly, more are counted as non-HEAD, so a flood of
// pipelined requests costs no memory.
type methodQueue struct {
	head  [4]uint64 // HEAD flags of the ring
	start int
	n     int
	extra uint64 // entries after the ring, none a HEAD
}

const queueRing = 256

func (q *methodQueue) len() uint64 { return uint64(q.n) + q.extra }

func (q *methodQueue) push(isHead bool) {
	if q.extra > 0 || q.n == queueRing {
		q.extra++
		return
	}
	i := (q.start + q.n) % queueRing
	if isHead {
		q.head[i/64] |= 1 << (i % 64)
	} else {
		q.head[i/64] &^= 1 << (i % 64)
	}
	q.n++
}

func (q *methodQueue) front() (isHead, ok bool) {
	if q.n > 0 {
		return q.head[q.start/64]&(1<<(q.start%64)) != 0, true
	}
	return false, q.extra > 0
}

func (q *methodQueue) pop() {
	switch {
	case q.n > 0:
		q.start = (q.start + 1) % queueRing
		q.n--
		if q.extra > 0 {
			// The oldest counted entry moves into the ring.
			q.extra--
			i := (q.start + q.n) % queueRing
			q.head[i/64] &^= 1 << (i % 64)
			q.n++
		}
	case q.extra > 0:
		q.extra--
	}
}

// Interface guards.
var _ analyzer.Session = (*Session)(nil)
