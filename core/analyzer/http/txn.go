package http

import (
	"slices"

	"github.com/weirnet/weir/core/event"
)

// This file is the part of Zeek's base/protocols/http/main.zeek and
// entities.zeek that builds http.log records from the analyzer's events:
// the table of pending request/response pairs, how requests and replies
// are matched (pipelining, 1xx interim replies, replies without requests),
// and when a record is logged.

// txn is one pending http.log record. The record is published by pointer,
// so after log it is never touched again.
type txn struct {
	rec    event.HTTP
	idx    uint64 // key in the pending table
	logged bool
	// Zeek keeps the current MIME entity's file name on the record
	// (HTTP::Info$current_entity); so do we.
	entity      bool
	filename    string
	hasFilename bool
	files       [2]int // files seen per direction (orig, resp), for max_files
}

// txns is the per-connection state: Zeek's HTTP::State plus c$http, the
// record the last event was about.
type txns struct {
	pending []*txn // in creation order; small (bounded by max_pending_requests+1)
	inline  [2]*txn
	curReq  uint64
	curResp uint64
	depth   uint64
	cur     *txn
}

func (t *txns) find(idx uint64) *txn {
	for _, p := range t.pending {
		if p.idx == idx {
			return p
		}
	}
	return nil
}

func (t *txns) remove(p *txn) {
	if i := slices.Index(t.pending, p); i >= 0 {
		t.pending = slices.Delete(t.pending, i, i+1)
	}
}

// setState is set_state: it makes the record of the current request (or
// response) current, creating it if needed, and returns it.
func (s *Session) setState(isOrig bool) *txn {
	t := &s.txns
	idx := t.curResp
	if isOrig {
		idx = t.curReq
	}
	p := t.find(idx)
	if p == nil {
		if t.pending == nil {
			t.pending = t.inline[:0]
		}
		t.depth++
		p = &txn{idx: idx}
		p.rec.TS = s.ts
		p.rec.UID = s.conn.UID
		p.rec.ID = s.conn.ID
		p.rec.TransDepth = t.depth
		p.rec.Tags = emptyTags
		t.pending = append(t.pending, p)
	}
	t.cur = p
	return p
}

// emptyTags is the (always empty) tags set, shared by every record.
var emptyTags = []string{}

// log publishes a record and forgets it.
func (s *Session) log(p *txn) {
	if p.logged {
		return
	}
	p.logged = true
	s.txns.remove(p)
	s.conn.Emit(event.Event{Kind: event.KindHTTPTransaction, Time: s.ts, HTTP: &p.rec})
}

// httpMethods is HTTP::http_methods: other methods are reported as the
// weird unknown_HTTP_method.
var httpMethods = []string{
	"GET", "POST", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE", "CONNECT",
	"PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK",
	"POLL", "REPORT", "SUBSCRIBE", "BMOVE", "SEARCH",
}

// onRequest is the http_request event handler.
func (s *Session) onRequest(method []byte, uri []byte) {
	t := &s.txns
	if t.curReq < t.curResp {
		s.weird("HTTP_response_before_request", "")
		t.curReq = t.curResp
	}
	if max := s.an.cfg.MaxPendingRequests; max > 0 && len(t.pending) > max {
		s.weird("HTTP_excessive_pipelining", "")
		if t.curResp == 0 {
			t.curResp++
		}
		for ; t.curResp < t.curReq; t.curResp++ {
			if p := t.find(t.curResp); p != nil {
				s.log(p)
			}
		}
	}
	t.curReq++
	p := s.setState(true)
	p.rec.Method = internMethod(method)
	buf := unescapeURI(s.scratch[:0], uri, s)
	p.rec.URI = string(buf)
	if cap(buf) <= maxKeptLineBuf {
		s.scratch = buf[:0]
	}
	p.rec.Set |= event.HTTPMethod | event.HTTPURI
	if !slices.Contains(httpMethods, p.rec.Method) {
		s.weird("unknown_HTTP_method", p.rec.Method)
	}
}

// internMethod returns the method as a string, without allocating for the
// common ones.
func internMethod(m []byte) string {
	for _, k := range httpMethods {
		if string(m) == k {
			return k
		}
	}
	return string(m)
}

func isInfo(code uint64) bool { return code >= 100 && code <= 199 }

// onReply is the http_reply event handler.
func (s *Session) onReply(ver version, code int, reason []byte, hasReason bool) {
	t := &s.txns
	// After a 1xx the final reply still belongs to the same record.
	if p := t.find(t.curResp); p == nil || p.rec.Has(event.HTTPStatusCode) && !isInfo(p.rec.StatusCode) {
		t.curResp++
	}
	p := s.setState(false)
	p.rec.StatusCode = uint64(code)
	p.rec.StatusMsg = "<empty>"
	if hasReason {
		p.rec.StatusMsg = internReason(reason)
	}
	p.rec.Version = ver.String()
	p.rec.Set |= event.HTTPStatusCode | event.HTTPStatusMsg | event.HTTPVersion
	if isInfo(p.rec.StatusCode) {
		p.rec.InfoCode = p.rec.StatusCode
		p.rec.InfoMsg = p.rec.StatusMsg
		p.rec.Set |= event.HTTPInfoCode | event.HTTPInfoMsg
	}
}

var commonReasons = []string{"OK", "Not Found", "Not Modified", "Found", "Moved Permanently",
	"No Content", "Partial Content", "Continue", "Bad Request", "Forbidden", "Internal Server Error"}

func internReason(r []byte) string {
	for _, k := range commonReasons {
		if string(r) == k {
			return k
		}
	}
	return string(r)
}

// onHeader is the http_header event handler (main.zeek and entities.zeek).
func (s *Session) onHeader(isOrig bool, kind hdr, value []byte) {
	p := s.setState(isOrig)
	if isOrig {
		switch kind {
		case hReferer:
			p.rec.Referrer = string(value)
			p.rec.Set |= event.HTTPReferrer
		case hHost:
			p.rec.Host = string(value)
			p.rec.Set |= event.HTTPHost
		case hOrigin:
			p.rec.Origin = string(value)
			p.rec.Set |= event.HTTPOrigin
		case hUserAgent:
			p.rec.UserAgent = string(value)
			p.rec.Set |= event.HTTPUserAgent
		case hAuthorization, hProxyAuthorization:
			s.basicAuth(p, value)
		default:
			if kind.isProxy() {
				v := hdrNames[kind] + " -> " + string(value)
				if !slices.Contains(p.rec.Proxied, v) {
					p.rec.Proxied = append(p.rec.Proxied, v)
				}
			}
		}
	}
	// entities.zeek: the file name of the current entity.
	if p.entity {
		if kind == hContentDisposition && hasFilenameParam(value, true) ||
			kind == hContentType && hasFilenameParam(value, false) {
			p.filename = extractFilename(value)
			p.hasFilename = true
		}
	}
}

// basicAuth sets the user name (and, if configured, the password) from a
// Basic authorization value.
func (s *Session) basicAuth(p *txn, value []byte) {
	if len(value) < 6 || !hasPrefixFold(value, "basic ") {
		return
	}
	enc := value[5:]
	for len(enc) > 0 && isLWS(enc[0]) {
		enc = enc[1:]
	}
	up := decodeBase64(s.scratch[:0], enc, s)
	if cap(up) <= maxKeptLineBuf {
		s.scratch = up[:0]
	}
	if i := slices.Index(up, ':'); i >= 0 {
		p.rec.Username = string(up[:i])
		p.rec.Set |= event.HTTPUsername
		if s.an.cfg.CapturePassword {
			p.rec.Password = string(up[i+1:])
			p.rec.Set |= event.HTTPPassword
		}
		return
	}
	p.rec.Username = "<problem-decoding> (" + string(value) + ")"
	p.rec.Set |= event.HTTPUsername
	if s.an.cfg.CapturePassword {
		p.rec.Password = string(up)
		p.rec.Set |= event.HTTPPassword
	}
}

// onMessageDone is the http_message_done event handler: the body length,
// then, for a final reply, the record is logged.
func (s *Session) onMessageDone(isOrig bool, bodyLen int64) {
	p := s.setState(isOrig)
	n := uint64(0)
	if bodyLen > 0 {
		n = uint64(bodyLen)
	}
	if isOrig {
		p.rec.RequestBodyLen = n
		return
	}
	p.rec.ResponseBodyLen = n
	if !(p.rec.Has(event.HTTPStatusCode) && isInfo(p.rec.StatusCode)) {
		s.log(p)
	}
}

// onBeginEntity is the http_begin_entity event handler.
func (s *Session) onBeginEntity(isOrig bool) {
	p := s.setState(isOrig)
	p.entity, p.filename, p.hasFilename = true, "", false
}

// onEndEntity is the http_end_entity event handler.
func (s *Session) onEndEntity() {
	if p := s.txns.cur; p != nil {
		p.entity, p.filename, p.hasFilename = false, "", false
	}
}

// onNewFile is file_over_new_connection for a body (or multipart part)
// that delivered its first byte: it returns the record the file belongs
// to (c$http at that moment) and records the file name.
func (s *Session) onNewFile(isOrig bool) *txn {
	p := s.txns.cur
	if p == nil || p.logged {
		return p
	}
	d := dir(isOrig)
	if p.files[d] >= s.an.cfg.MaxFiles {
		return p
	}
	p.files[d]++
	if p.entity && p.hasFilename {
		if isOrig {
			p.rec.OrigFilenames = append(p.rec.OrigFilenames, p.filename)
		} else {
			p.rec.RespFilenames = append(p.rec.RespFilenames, p.filename)
		}
	}
	return p
}

// onSniff is file_sniff: the MIME type of a file joins its record.
func (s *Session) onSniff(p *txn, isOrig bool, mime string) {
	if p == nil || p.logged || mime == "" {
		return
	}
	v := &p.rec.RespMIMETypes
	if isOrig {
		v = &p.rec.OrigMIMETypes
	}
	if len(*v) >= s.an.cfg.MaxFiles {
		return
	}
	*v = append(*v, mime)
}

// flushAll is finalize_http: every pending record is logged, in the order
// of its key (Zeek iterates its table in hash order). Key 0 is never used.
func (s *Session) flushAll() {
	t := &s.txns
	slices.SortStableFunc(t.pending, func(a, b *txn) int {
		switch {
		case a.idx < b.idx:
			return -1
		case a.idx > b.idx:
			return 1
		}
		return 0
	})
	for len(t.pending) > 0 {
		p := t.pending[0]
		if p.idx == 0 {
			t.pending = t.pending[1:]
			continue
		}
		s.log(p)
	}
}

func dir(isOrig bool) int {
	if isOrig {
		return 0
	}
	return 1
}
