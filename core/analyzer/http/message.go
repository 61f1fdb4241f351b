package http

// This file is the HTTP message layer: Zeek's HTTP_Message, HTTP_Entity and
// the parts of MIME_Entity HTTP uses. A message is a request or a reply;
// its top-level entity reads the headers and then the body (by
// Content-Length, chunked, until the connection closes, or line by line);
// a multipart body holds child entities, one per part. Nothing of a body
// is copied except the first bytes kept for MIME sniffing.

// Whether a message may have a body (Zeek's HTTP_BODY_*).
const (
	bodyNotExpected = iota
	bodyExpected
	bodyMaybe
)

// Chunked transfer states (Zeek's CHUNKED_TRANSFER_STATE).
const (
	nonChunked = iota
	beforeChunk
	expectChunkSize
	expectChunkData
	expectChunkDataCRLF
	expectChunkTrailer
	expectNothing
)

// Content types the MIME layer distinguishes.
const (
	ctypeText = iota
	ctypeMultipart
	ctypeMessage
	ctypeOther
)

// Content encodings (Zeek's HTTP_Entity encoding).
const (
	encIdentity = iota
	encGzip
	encDeflate
)

// maxDepth bounds multipart nesting (Zeek's MIME::max_depth is 100): a
// deeper part is not split out (weird exceeded_mime_max_depth).
const maxDepth = 8

// maxBoundary bounds a multipart boundary (RFC 2046 allows 70 bytes).
const maxBoundary = 256

// unlimited is the plain-delivery length of a body that lasts until the
// connection closes (Zeek uses INT_MAX).
const unlimited = maxInt64

type message struct {
	s        *Session
	isOrig   bool
	exists   bool // Zeek's request_message / reply_message is set
	finished bool
	top      entity
	kids     *[maxDepth - 1]entity // multipart parts, nested; allocated on first use
	cur      int                   // current entity (Zeek's current_entity), -1 for none
	bodyLen  int64                 // total length of the top-level entity's body
}

// ent returns the entity at a nesting level (0: the top level).
func (m *message) ent(level int) *entity {
	if level == 0 {
		return &m.top
	}
	if m.kids == nil {
		m.kids = new([maxDepth - 1]entity)
	}
	return &m.kids[level-1]
}

type entity struct {
	m         *message
	level     int
	inHeader  bool
	endOfData bool
	hasChild  bool // current_child_entity
	expect    int  // bodyNotExpected, bodyExpected, bodyMaybe

	// The current header with its continuation lines: a header is
	// parsed when the next line shows it is complete. It stays in the
	// caller's bytes (hdrRef, borrowed) while they are valid: within one
	// Stream call, for lines not collected across calls; anything else is
	// copied to hdr (see keepHeader).
	hdr       []byte
	hdrRef    []byte
	hdrActive bool
	hdrFolds  int // lines in the header
	expect100 bool

	ctype       int
	boundary    []byte
	hasBoundary bool
	chunk       int
	contentLen  int64 // -1: not given
	rangeLen    int64
	expectLen   int64
	encoding    int
	bodyLen     int64
	partial     bool // 206 with a Content-Range
	rangeFirst  int64
	delayCRLF   bool

	// The entity's data as Zeek's file analysis sees it.
	file    bool // first byte delivered: the file exists
	fileTxn *txn
	sniffed bool
	sniff   *sniffBuf // first bytes, from the analyzer's pool
	z       *inflater
	zbuf    *sniffBuf // the inflater's prefix
	zFailed bool
}

// init starts the message (InitHTTPMessage): the top-level entity begins.
func (m *message) init(s *Session, isOrig bool, expect int) {
	if m.exists && !m.finished {
		s.weird("HTTP_overlapping_messages", "")
	}
	m.release()
	m.s, m.isOrig = s, isOrig
	m.exists, m.finished = true, false
	m.bodyLen = 0
	m.top.reset(m, 0, expect)
	m.cur = 0
	s.onBeginEntity(isOrig)
}

// keepHeaders copies every borrowed header line: the bytes it points into
// are about to become invalid.
func (m *message) keepHeaders() {
	m.top.keepHeader()
	if m.kids != nil {
		for i := range m.kids {
			m.kids[i].keepHeader()
		}
	}
}

// release returns the pooled buffers of every entity.
func (m *message) release() {
	m.top.releaseBuffers()
	if m.kids != nil {
		for i := range m.kids {
			m.kids[i].releaseBuffers()
		}
	}
}

func (e *entity) reset(m *message, level, expect int) {
	e.releaseBuffers()
	hdr, boundary := e.hdr[:0], e.boundary[:0]
	if cap(hdr) > maxKeptLineBuf {
		hdr = nil
	}
	*e = entity{m: m, level: level, inHeader: true, expect: expect, hdr: hdr, boundary: boundary,
		contentLen: -1, rangeLen: -1}
}

func (e *entity) releaseBuffers() {
	if e.m == nil {
		return
	}
	an := e.m.s.an
	if e.sniff != nil {
		an.putSniff(e.sniff)
		e.sniff = nil
	}
	if e.z != nil {
		an.putInflater(e.z)
		e.z = nil
	}
	if e.zbuf != nil {
		an.putSniff(e.zbuf)
		e.zbuf = nil
	}
}

func (e *entity) parent() *entity {
	if e.level == 0 {
		return nil
	}
	return e.m.ent(e.level - 1)
}

func (e *entity) parentMultipart() bool {
	p := e.parent()
	return p != nil && p.ctype == ctypeMultipart
}

// deliver is MIME_Message::Deliver: everything enters at the top.
func (m *message) deliver(b []byte, crlf bool) { m.top.deliver(b, crlf) }

// deliver is HTTP_Entity::Deliver: a header line, a body line (crlf: it
// ended with a line end) or a piece of a body read plainly.
func (e *entity) deliver(b []byte, crlf bool) {
	if e.endOfData {
		return // data after the end of the entity (Zeek: illegal format)
	}
	if e.inHeader {
		e.headerLine(b)
		return
	}
	switch {
	case e.ctype == ctypeMultipart || e.ctype == ctypeMessage:
		e.body(b, crlf)
		if e.level == 0 && e.contentLen > 0 {
			// A multipart body read line by line still ends after
			// Content-Length bytes.
			e.expectLen -= int64(len(b))
			if crlf {
				e.expectLen -= 2
			}
			if e.expectLen <= 0 {
				e.m.s.setPlain(e.m.isOrig, 0)
				e.endOfDataNow()
			}
		}
	case e.chunk != nonChunked:
		e.chunked(b)
	case e.contentLen >= 0:
		e.body(b, false)
		e.expectLen -= int64(len(b))
		if e.expectLen <= 0 {
			e.m.s.setPlain(e.m.isOrig, 0)
			e.m.s.setDeliverySize(e.m.isOrig, -1)
			e.endOfDataNow()
		}
	default:
		e.body(b, crlf)
	}
}

func (e *entity) chunked(b []byte) {
	s := e.m.s
	switch e.chunk {
	case expectChunkSize:
		n, ok := atoi(b, 16)
		if !ok {
			s.weird("HTTP_bad_chunk_size", string(b))
			n = 0
		}
		e.expectLen = n
		if n > 0 {
			e.chunk = expectChunkData
			s.setPlain(e.m.isOrig, n)
		} else {
			// The last chunk: trailer headers follow.
			e.inHeader = true
			e.chunk = expectChunkTrailer
		}
	case expectChunkData:
		e.expectLen -= int64(len(b))
		if e.expectLen <= 0 {
			s.setPlain(e.m.isOrig, 0)
			e.chunk = expectChunkDataCRLF
		}
		e.body(b, false)
	case expectChunkDataCRLF:
		// Zeek notes "inaccurate chunk size" for data here, and moves
		// on to the next chunk size either way.
		e.chunk = expectChunkSize
	}
}

// headerLine is MIME_Entity::Deliver in the header part.
func (e *entity) headerLine(b []byte) {
	if len(b) == 0 || b[0] == 0 {
		e.finishHeader()
		e.inHeader = false
		e.submitAllHeaders()
		if !e.endOfData && e.ctype == ctypeMessage {
			e.beginChild()
		}
		return
	}
	if isLWS(b[0]) {
		if !e.hdrActive {
			// A first header line starting with white space is read
			// as a new header without it.
			for len(b) > 0 && isLWS(b[0]) {
				b = b[1:]
			}
			e.newHeader(b)
			return
		}
		e.keepHeader()
		if max := e.m.s.an.cfg.MaxHeaderBytes; max > 0 && len(e.hdr) >= max {
			e.m.s.weird("exceeded_mime_max_header_bytes", itoa(len(e.hdr)))
			return
		}
		e.hdr = append(e.hdr, b...)
		e.hdrFolds++
		return
	}
	e.newHeader(b)
}

func (e *entity) newHeader(b []byte) {
	e.finishHeader()
	if len(b) == 0 {
		return
	}
	e.hdr = e.hdr[:0]
	e.hdrRef = nil
	if e.m.s.lineInPlace {
		e.hdrRef = b
	} else {
		e.hdr = append(e.hdr, b...)
	}
	e.hdrActive = true
	e.hdrFolds = 1
}

// keepHeader copies a borrowed header line into the entity's buffer.
func (e *entity) keepHeader() {
	if e.hdrRef != nil {
		e.hdr = append(e.hdr[:0], e.hdrRef...)
		e.hdrRef = nil
	}
}

// finishHeader parses the collected header and submits it.
func (e *entity) finishHeader() {
	if !e.hdrActive {
		return
	}
	e.hdrActive = false
	line := e.hdr
	if e.hdrRef != nil {
		line, e.hdrRef = e.hdrRef, nil
	}
	h, ok := parseHeader(line)
	if ok {
		e.submitHeader(h)
	}
	if cap(e.hdr) > maxKeptLineBuf {
		e.hdr = nil
	} else {
		e.hdr = e.hdr[:0]
	}
}

// submitHeader is ParseMIMEHeader, HTTP_Entity::SubmitHeader and
// HTTP_Analyzer::HTTP_Header in the order Zeek runs them.
func (e *entity) submitHeader(h header) {
	s := e.m.s
	if e.level == 0 && e.hdrFolds > 1 {
		s.weird("HTTP_obsolete_line_folding", string(h.name))
	}
	kind := headerKind(h.name)
	switch {
	case kind == hContentType:
		typ, sub, boundary, hasB, ok := contentType(h.value)
		_ = sub
		if ok {
			switch {
			case equalFold(typ, "multipart"):
				e.ctype = ctypeMultipart
			case equalFold(typ, "message"):
				e.ctype = ctypeMessage
			case equalFold(typ, "text"):
				e.ctype = ctypeText
			default:
				e.ctype = ctypeOther
			}
			if hasB {
				if len(boundary) > maxBoundary {
					boundary = boundary[:maxBoundary]
				}
				e.boundary = append(e.boundary[:0], boundary...)
				e.hasBoundary = true
			}
			if e.ctype == ctypeMultipart && !e.hasBoundary {
				e.ctype = ctypeOther // no boundary: an opaque body
			}
		}
	case kind == hContentLength:
		if e.chunk != nonChunked {
			s.weird("HTTP_content_length_and_chunked", "")
		}
		if tok, _ := valueToken(h.value); tok != nil {
			if n, ok := atoi(tok, 10); ok && n >= 0 {
				if n > 0 && tok[0] == '0' {
					s.weird("HTTP_content_length_leading_zeros", string(tok))
				}
				e.contentLen = n
				if e.partial && e.rangeLen != e.contentLen {
					s.weird("HTTP_range_not_matching_len", "")
					e.contentLen = max(e.contentLen, e.rangeLen)
				}
				if e.contentLen == 0 && e.expect100 {
					s.weird("HTTP_content_length_0_and_expect_100_cont", "")
				}
			} else {
				s.weird("HTTP_bad_content_length", string(tok))
				e.contentLen = 0
			}
		}
	case kind == hContentRange && s.replyCode == 206:
		if e.chunk != nonChunked {
			s.weird("HTTP_content_range_and_chunked", "")
		}
		e.contentRange(h.value)
	case kind == hTransferEncoding:
		if e.level != 0 {
			s.weird("HTTP_nested_transfer_encoding_header", "")
			break
		}
		v := s.repVersion
		if s.reqOngoing {
			v = s.reqVersion
		}
		if tok, rest := valueToken(h.value); equalFold(tok, "chunked") && v == v11 {
			e.chunk = beforeChunk
			if len(rest) > 0 {
				s.weird("HTTP_chunked_multi", string(rest))
			}
			if e.contentLen >= 0 {
				s.weird("HTTP_content_length_and_chunked", "")
			}
		}
	case kind == hContentEncoding:
		if tok, _ := valueToken(h.value); equalFold(tok, "gzip") || equalFold(tok, "x-gzip") {
			e.encoding = encGzip
		} else if equalFold(tok, "deflate") {
			e.encoding = encDeflate
		}
	case kind == hExpect:
		if tok, _ := valueToken(h.value); !equalFold(tok, "100-continue") {
			s.weird("HTTP_expect_not_100_continue", string(tok))
		}
		e.expect100 = true
		if e.contentLen == 0 {
			s.weird("HTTP_content_length_0_and_expect_100_cont", "")
		}
	}
	s.httpHeader(e.m.isOrig, kind, h)
}

// contentRange reads "bytes first-last/length" of a 206 reply.
func (e *entity) contentRange(value []byte) {
	s := e.m.s
	unit, rest := valueToken(value)
	if string(unit) != "bytes" {
		s.weird("HTTP_content_range_unknown_byte_unit", "")
		return
	}
	var spec [128]byte
	r := spec[:0]
	for _, c := range rest {
		if c != ' ' && len(r) < cap(r) {
			r = append(r, c)
		}
	}
	slash := indexByte(r, '/')
	if slash < 0 {
		s.weird("HTTP_content_range_cannot_parse", "")
		return
	}
	dash := indexByte(r[:slash], '-')
	if dash < 0 {
		s.weird("HTTP_content_range_cannot_parse", "")
		return
	}
	f, okF := atoi(r[:dash], 10)
	l, okL := atoi(r[dash+1:slash], 10)
	switch {
	case !okF || !okL:
		s.weird("HTTP_content_range_cannot_parse", string(r))
		return
	case f < 0 || l < 0:
		s.weird("HTTP_content_range_invalid", string(r))
		return
	case l < f:
		s.weird("HTTP_non_positive_content_range", string(r))
		return
	case l-f > maxInt64-1:
		s.weird("HTTP_content_range_overflow", string(r))
		return
	}
	if inst := r[slash+1:]; string(inst) != "*" {
		if _, ok := atoi(inst, 10); !ok {
			s.weird("HTTP_content_range_invalid_instance", string(r))
		}
	}
	n := l - f + 1
	e.partial = true
	e.rangeFirst = f
	e.rangeLen = n
	if e.contentLen > 0 {
		if e.contentLen != n {
			s.weird("HTTP_range_not_matching_len", "")
			e.contentLen = max(e.contentLen, n)
		}
	} else {
		e.contentLen = n
	}
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// submitAllHeaders is HTTP_Entity::SubmitAllHeaders: the headers decide
// how the body is read.
func (e *entity) submitAllHeaders() {
	s := e.m.s
	lr := &s.lines[dir(e.m.isOrig)]
	if e.parentMultipart() {
		// Within a part only CRLF ends a line, so that the part's
		// bytes come back unchanged.
		lr.suppress = true
		lr.crlfOnly = true
	}
	if e.contentLen >= 0 {
		s.setDeliverySize(e.m.isOrig, e.contentLen)
	}
	if e.chunk == expectChunkTrailer {
		e.chunk = expectNothing
		e.endOfDataNow()
		return
	}
	if e.expect == bodyNotExpected {
		e.endOfDataNow()
		return
	}
	switch {
	case e.ctype == ctypeMultipart || e.ctype == ctypeMessage:
		if e.chunk != nonChunked {
			s.weird("HTTP_chunked_transfer_for_multipart_message", "")
		}
		if e.level == 0 && e.contentLen >= 0 {
			if e.contentLen > 0 {
				e.expectLen = e.contentLen
			} else {
				e.endOfDataNow()
			}
		}
	case e.chunk != nonChunked:
		e.chunk = expectChunkSize
	case e.contentLen >= 0:
		if e.contentLen > 0 {
			e.expectLen = e.contentLen
			s.setPlain(e.m.isOrig, e.contentLen)
		} else {
			e.endOfDataNow()
		}
	case s.connClose || e.encoding != encIdentity:
		// Until the connection closes.
		e.expectLen = unlimited
		s.setPlain(e.m.isOrig, unlimited)
	default:
		if e.expect != bodyExpected {
			e.endOfDataNow()
		}
		// Otherwise the body is read line by line until the
		// connection ends.
	}
}

// body is HTTP_Entity::DeliverBody: decompression, then DeliverBodyClear.
func (e *entity) body(b []byte, crlf bool) {
	if e.encoding != encIdentity && e.ctype != ctypeMultipart && e.ctype != ctypeMessage && e.m.s.an.cfg.Decompress {
		e.inflate(b)
		return
	}
	e.bodyClear(b, crlf)
}

// bodyClear counts the bytes and hands them to the MIME layer: a
// multipart entity looks for boundaries, a leaf entity's data goes to its
// "file" (which only sniffs the first bytes).
func (e *entity) bodyClear(b []byte, crlf bool) {
	e.bodyLen += int64(len(b))
	if crlf {
		e.bodyLen += 2
	}
	e.dataLine(b, crlf)
}

// dataLine is MIME_Entity::NewDataLine.
func (e *entity) dataLine(b []byte, crlf bool) {
	if e.ctype == ctypeMultipart {
		switch boundaryDelimiter(b, e.boundary) {
		case 1:
			if e.hasChild {
				e.endChild()
			}
			if !e.endOfData {
				e.beginChild()
			}
			return
		case 2:
			if e.hasChild {
				e.endChild()
			}
			e.endOfDataNow()
			return
		}
	}
	if e.ctype == ctypeMultipart || e.ctype == ctypeMessage {
		if e.hasChild {
			e.m.ent(e.level+1).deliver(b, crlf)
		}
		return
	}
	// DecodeBinary (Content-Transfer-Encoding is not decoded).
	if e.delayCRLF {
		e.delayCRLF = false
		e.data(crlfBytes)
	}
	e.data(b)
	if crlf {
		if e.parentMultipart() {
			// The CRLF before a boundary belongs to the boundary.
			e.delayCRLF = true
		} else {
			e.data(crlfBytes)
		}
	}
}

var crlfBytes = []byte("\r\n")

// data is the entity's file data (HTTP_Entity::SubmitData): the first
// byte creates the file, the first bytes are kept for sniffing.
func (e *entity) data(b []byte) {
	if len(b) == 0 {
		return
	}
	s := e.m.s
	if !e.file {
		e.file = true
		e.fileTxn = s.onNewFile(e.m.isOrig)
		// A 206 reply that does not start at offset 0 has no
		// beginning of file to sniff (and its bytes are not the
		// start of the file).
		if s.an.cfg.MIMESniffBytes > 0 && !(e.partial && e.rangeFirst != 0) {
			e.sniff = s.an.getSniff()
		} else {
			e.sniffed = true
		}
	}
	if e.sniffed || e.sniff == nil {
		return
	}
	sb := e.sniff
	room := cap(sb.b) - len(sb.b)
	if len(b) < room {
		sb.b = append(sb.b, b...)
		return
	}
	sb.b = append(sb.b, b[:room]...)
	e.doSniff()
}

// doSniff sniffs the kept bytes (when they fill the buffer, or when the
// file ends or has a gap) and gives the buffer back.
func (e *entity) doSniff() {
	if e.sniffed {
		return
	}
	e.sniffed = true
	if e.sniff == nil {
		return
	}
	s := e.m.s
	s.onSniff(e.fileTxn, e.m.isOrig, sniffMIME(e.sniff.b))
	s.an.putSniff(e.sniff)
	e.sniff = nil
}

// fileEnd is the end of the entity's file (Zeek's EndOfFile).
func (e *entity) fileEnd() {
	if e.file {
		e.doSniff()
	}
}

// inflate decompresses body bytes and counts what comes out. The first
// decompressed bytes go to the sniff buffer through the inflater's prefix.
func (e *entity) inflate(b []byte) {
	s := e.m.s
	if e.zFailed {
		return
	}
	if e.z == nil {
		e.z = s.an.getInflater()
		var prefix []byte
		if s.an.cfg.MIMESniffBytes > 0 && !(e.partial && e.rangeFirst != 0) {
			e.zbuf = s.an.getSniff()
			prefix = e.zbuf.b
		}
		e.z.reset(prefix)
	}
	before := e.z.total
	err := e.z.Write(b)
	if n := e.z.total - before; n > 0 {
		e.bodyLen += int64(n)
		if !e.file {
			e.file = true
			e.fileTxn = s.onNewFile(e.m.isOrig)
		}
	}
	if err != nil {
		s.weird("inflate_failed", "")
		e.inflateDone()
		return
	}
	if e.z.Done() || e.zbuf != nil && len(e.z.prefix) == cap(e.z.prefix) {
		e.sniffInflated()
	}
	if e.z.Done() {
		e.inflateDone()
	}
}

// sniffInflated sniffs the decompressed prefix once.
func (e *entity) sniffInflated() {
	if e.sniffed || e.z == nil || e.zbuf == nil {
		return
	}
	e.sniffed = true
	if e.file {
		e.m.s.onSniff(e.fileTxn, e.m.isOrig, sniffMIME(e.z.prefix))
	}
	e.m.s.an.putSniff(e.zbuf)
	e.zbuf = nil
	e.z.prefix = nil
}

// inflateDone ends decompression (the stream ended, failed, or the body
// ended): what was produced so far is sniffed, the state is returned.
func (e *entity) inflateDone() {
	if e.z == nil {
		e.zFailed = true
		return
	}
	e.sniffInflated()
	e.m.s.an.putInflater(e.z)
	e.z = nil
	e.zFailed = true
}

func (e *entity) beginChild() {
	if e.level+1 >= maxDepth {
		e.m.s.weird("exceeded_mime_max_depth", itoa(e.level+1))
		return
	}
	c := e.m.ent(e.level + 1)
	c.reset(e.m, e.level+1, bodyExpected)
	e.hasChild = true
	e.m.cur = e.level + 1
	e.m.s.onBeginEntity(e.m.isOrig)
}

func (e *entity) endChild() {
	c := e.m.ent(e.level + 1)
	c.endOfDataNow()
	e.hasChild = false
}

// endOfDataNow is HTTP_Entity::EndOfData and MIME_Entity::EndOfData.
func (e *entity) endOfDataNow() {
	if e.endOfData {
		return
	}
	e.endOfData = true
	if e.z != nil {
		e.inflateDone()
	}
	if e.inHeader {
		e.finishHeader()
		e.inHeader = false
		e.submitAllHeaders()
	} else if e.hasChild {
		e.endChild()
	}
	e.m.endEntity(e)
}

// endEntity is HTTP_Message::EndEntity.
func (m *message) endEntity(e *entity) {
	s := m.s
	if e.level == 0 {
		m.bodyLen += e.bodyLen
	}
	s.onEndEntity()
	m.cur = e.level - 1
	if e.parentMultipart() {
		lr := &s.lines[dir(m.isOrig)]
		lr.suppress = false
		lr.crlfOnly = false
	}
	if e.level == 0 {
		m.done(false)
		return
	}
	if m.isOrig || s.replyCode != 206 {
		e.fileEnd()
	}
	e.releaseBuffers()
}

// done is HTTP_Message::Done: the message ends (normally or interrupted).
func (m *message) done(interrupted bool) {
	if m.finished {
		return
	}
	m.finished = true
	top := &m.top
	top.endOfDataNow()
	s := m.s
	// A 206 reply's file may continue on another connection: Zeek does
	// not end it here, so it is sniffed only if its buffer filled up.
	if m.isOrig || s.replyCode != 206 {
		top.fileEnd()
	}
	m.release()
	s.onMessageDone(m.isOrig, m.bodyLen)
	if m.isOrig {
		s.requestMade(false)
	} else {
		s.replyMade(false)
	}
}

// undelivered is HTTP_Message::Undelivered: a gap of n bytes. It reports
// whether the gap lies inside a body of known length, so that parsing can
// go on after it.
func (m *message) undelivered(n int64) bool {
	e := &m.top
	if m.cur > 0 {
		e = m.ent(m.cur)
	}
	if e.endOfData && e.inHeader || e.bodyLen == 0 {
		return false
	}
	if e.file && !e.sniffed && e.sniff != nil {
		e.doSniff() // a gap ends the beginning of the file
	}
	if e.z != nil {
		e.inflateDone() // the compressed stream cannot continue
	}
	s := m.s
	switch {
	case e.chunk != nonChunked:
		if e.chunk == expectChunkData && e.expectLen >= n {
			e.bodyLen += n
			e.expectLen -= n
			s.setPlain(m.isOrig, e.expectLen)
			if e.expectLen == 0 {
				e.chunk = expectChunkDataCRLF
			}
			return true
		}
		return false
	case e.contentLen >= 0:
		if e.expectLen >= n {
			e.bodyLen += n
			e.expectLen -= n
			s.setPlain(m.isOrig, e.expectLen)
			if e.expectLen <= 0 {
				e.endOfDataNow()
			}
			return true
		}
		return false
	}
	return false
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
