package http

import "bytes"

// This file holds the byte-level parsers, each following the Zeek function
// named in its comment so that odd input is read the way Zeek reads it.

// version is an HTTP version; the zero value is "unknown" (Zeek's {0,0}).
type version struct{ major, minor uint8 }

var v09, v10, v11 = version{0, 9}, version{1, 0}, version{1, 1}

// String formats the version as Zeek's "%.1f" does for single digits.
func (v version) String() string {
	if v.major < 10 && v.minor < 10 {
		return versionStrings[v.major][v.minor]
	}
	return "0.0"
}

var versionStrings = func() (t [10][10]string) {
	for a := range t {
		for b := range t[a] {
			t[a][b] = string([]byte{'0' + byte(a), '.', '0' + byte(b)})
		}
	}
	return t
}()

// parseVersion reads "D.D" at the start of b (HTTP_Version); ok is false
// for anything else.
func parseVersion(b []byte) (version, bool) {
	if len(b) >= 3 && isDigit(b[0]) && b[1] == '.' && isDigit(b[2]) {
		return version{b[0] - '0', b[2] - '0'}, true
	}
	return version{}, false
}

// isHTTPTokenChar is Zeek's is_HTTP_token_char (RFC 2616 token).
func isHTTPTokenChar(c byte) bool {
	if c <= 31 || c >= 127 {
		return false
	}
	switch c {
	case ' ', '\t', '(', ')', '<', '>', '@', ',', ';', ':', '\\', '"', '/', '[', ']', '?', '=', '{', '}':
		return false
	}
	return true
}

// isSpace is C's isspace, which Zeek's skip_whitespace uses.
func isSpace(c byte) bool { return c == ' ' || c >= '\t' && c <= '\r' }

func skipSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	return b
}

// isLWS is MIME's linear white space.
func isLWS(c byte) bool { return c == ' ' || c == '\t' }

// isURIChar: RFC 3986 reserved or unreserved, or '%' (Zeek's ParseRequest).
func isURIChar(c byte) bool {
	if isAlpha(c) || isDigit(c) {
		return true
	}
	switch c {
	case ':', '/', '?', '#', '[', ']', '@', '!', '$', '&', '\'', '(', ')', '*', '+', ',', ';', '=',
		'-', '_', '.', '~', '%':
		return true
	}
	return false
}

// requestLine is the outcome of parsing a request line.
type requestLine struct {
	method []byte
	uri    []byte // as sent
	// setVersion says whether the line names a version (version, which
	// is zero when malformed) or, without "HTTP/", is HTTP/0.9; when it
	// is false ("HTTP/" too short) the connection's version stays.
	setVersion bool
	version    version
	noURI      bool // missing_HTTP_uri
	lowercase  bool // lowercase_HTTP_keyword
	// weird is bad_HTTP_request or bad_HTTP_request_with_version when
	// the line is not a request at all (method is nil).
	weird string
}

// parseRequestLine follows HTTP_RequestLine and ParseRequest up to the
// HTTP/0.9 plausibility check, which needs the connection's version and is
// the caller's (is09Plausible).
func parseRequestLine(line []byte) requestLine {
	var r requestLine
	n := 0
	for n < len(line) && isHTTPTokenChar(line[n]) {
		n++
	}
	if n == 0 {
		if len(line) >= 9 && hasPrefixFold(line[len(line)-9:], " http/") {
			r.weird = "bad_HTTP_request_with_version"
		} else {
			r.weird = "bad_HTTP_request"
		}
		return r
	}
	rest := skipSpace(line[n:])
	if len(rest) == len(line)-n {
		r.weird = "bad_HTTP_request"
		return r
	}
	r.method = line[:n]
	// ParseRequest: the URI runs over URI characters; the version is the
	// next "HTTP/" (in any case, lower case being a weird) after white
	// space, and the URI ends where the last search step started (so it
	// may contain spaces).
	end := 0
	for end < len(rest) && isURIChar(rest[end]) {
		end++
	}
	if hasPrefixFold(rest, "http/") {
		if !bytes.HasPrefix(rest, []byte("HTTP/")) {
			r.lowercase = true
		}
		if end >= len(rest) {
			r.noURI = true
			end = 0
		}
	}
	uriEnd := end
	vs := end
	for ; vs < len(rest); vs++ {
		uriEnd = vs
		vs += len(rest[vs:]) - len(skipSpace(rest[vs:]))
		if hasPrefixFold(rest[vs:], "http/") {
			if !bytes.HasPrefix(rest[vs:], []byte("HTTP/")) {
				r.lowercase = true
			}
			break
		}
	}
	switch {
	case vs >= len(rest):
		r.setVersion, r.version = true, v09
	case vs+8 <= len(rest):
		r.setVersion = true
		r.version, _ = parseVersion(rest[vs+5:])
	}
	r.uri = rest[:uriEnd]
	return r
}

// is09Plausible is HTTP_RequestLine's check once the connection's request
// version is HTTP/0.9: a method of at least three letters (GET) and a URI.
func (r *requestLine) is09Plausible() bool { return len(r.method) >= 3 && len(r.uri) > 0 }

// replyLine is the outcome of parsing a status line.
type replyLine struct {
	isHTTP    bool // starts with "HTTP/": version is set (zero when malformed)
	lowercase bool // ... written in lower case (lowercase_HTTP_keyword)
	version   version
	code      int
	reason    []byte
	hasReason bool
	ok        bool
}

// parseReplyLine follows HTTP_ReplyLine.
func parseReplyLine(line []byte) replyLine {
	var r replyLine
	if !hasPrefixFold(line, "http/") {
		return r
	}
	r.lowercase = !bytes.HasPrefix(line, []byte("HTTP/"))
	rest := line[5:]
	r.isHTTP = true
	r.version, _ = parseVersion(rest)
	for len(rest) > 0 && !isLWS(rest[0]) {
		rest = rest[1:]
	}
	if len(rest) == 0 {
		return r
	}
	rest = skipSpace(rest)
	if len(rest) < 3 {
		return r
	}
	if isDigit(rest[0]) && isDigit(rest[1]) && isDigit(rest[2]) {
		r.code = int(rest[0]-'0')*100 + int(rest[1]-'0')*10 + int(rest[2]-'0')
	}
	r.ok = true
	rest = rest[3:]
	for len(rest) > 0 && !isLWS(rest[0]) {
		rest = rest[1:]
	}
	if len(rest) == 0 {
		return r // no reason phrase: tolerated
	}
	r.reason = skipSpace(rest)
	r.hasReason = true
	return r
}

func isHex(c byte) bool { return isDigit(c) || c|0x20 >= 'a' && c|0x20 <= 'f' }

func unhex(c byte) byte {
	if isDigit(c) {
		return c - '0'
	}
	return c | 0x20 - 'a' + 10
}

// weirder reports a weird by name; *Session is one.
type weirder interface{ weirdName(string) }

// unescapeURI appends the URI with percent escapes decoded to dst, as
// Zeek's unescape_URI does, and reports the weirds it meets through w
// (which may be nil).
func unescapeURI(dst, uri []byte, w weirder) []byte {
	weird := func(name string) {
		if w != nil {
			w.weirdName(name)
		}
	}
	for i := 0; i < len(uri); i++ {
		c := uri[i]
		if c != '%' {
			dst = append(dst, c)
			continue
		}
		i++
		switch {
		case i == len(uri):
			dst = append(dst, '%')
			{
				weird("illegal_%_at_end_of_URI")
			}
			return dst
		case i+1 == len(uri):
			dst = append(dst, '%', uri[i])
			{
				weird("partial_escape_at_end_of_URI")
			}
			return dst
		case uri[i] == '%':
			// "%%": the first '%' is dropped.
			{
				weird("double_%_in_URI")
			}
			i -= 1
		case isHex(uri[i]) && isHex(uri[i+1]):
			dst = append(dst, unhex(uri[i])<<4|unhex(uri[i+1]))
			i++
		case len(uri)-i >= 5 && uri[i] == 'u' && isHex(uri[i+1]) && isHex(uri[i+2]) && isHex(uri[i+3]) && isHex(uri[i+4]):
			// %uXXXX, with a leading zero byte dropped.
			if !(uri[i+1] == '0' && uri[i+2] == '0') {
				dst = append(dst, unhex(uri[i+1])<<4|unhex(uri[i+2]))
			}
			dst = append(dst, unhex(uri[i+3])<<4|unhex(uri[i+4]))
			i += 4
		default:
			{
				weird("unescaped_%_in_URI")
			}
			dst = append(dst, '%', uri[i])
		}
	}
	return dst
}

// atoi follows Zeek's util::atoi_n: an optional '-', then at least one
// digit of the base; it stops at the first other byte. Unlike Zeek it does
// not wrap around: values beyond int64 saturate.
func atoi(b []byte, base int64) (int64, bool) {
	neg := false
	if len(b) > 0 && b[0] == '-' {
		neg = true
		b = b[1:]
	}
	var n int64
	i := 0
	for ; i < len(b); i++ {
		c := b[i]
		var d int64
		switch {
		case isDigit(c):
			d = int64(c - '0')
		case c >= 'a' && int64(c) < 'a'-10+base:
			d = int64(c-'a') + 10
		case c >= 'A' && int64(c) < 'A'-10+base:
			d = int64(c-'A') + 10
		default:
			if i == 0 {
				return 0, false
			}
			goto done
		}
		if d >= base {
			if i == 0 {
				return 0, false
			}
			goto done
		}
		if n > (maxInt64-d)/base {
			n = maxInt64
		} else {
			n = n*base + d
		}
	}
	if i == 0 {
		return 0, false
	}
done:
	if neg {
		n = -n
	}
	return n, true
}

const maxInt64 = 1<<63 - 1

// MIME helpers (Zeek's MIME.cc).

func isFieldNameChar(c byte) bool { return c >= 33 && c <= 126 && c != ':' }

func isTSpecial(c byte, boundary bool) bool {
	if boundary {
		return c == '"'
	}
	switch c {
	case '(', ')', '<', '>', '@', ',', ';', ':', '\\', '"', '/', '[', ']', '?', '=':
		return true
	}
	return false
}

func isTokenChar(c byte, boundary bool) bool { return c >= 33 && c <= 126 && !isTSpecial(c, boundary) }

// skipComment skips one "(...)" comment (MIME_skip_comments).
func skipComment(b []byte) int {
	if len(b) == 0 || b[0] != '(' {
		return 0
	}
	par := 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '(':
			par++
		case ')':
			par--
			if par == 0 {
				return i + 1
			}
		case '\\':
			i++
		}
	}
	return len(b)
}

// skipLWSComments is MIME_skip_lws_comments.
func skipLWSComments(b []byte) int {
	i := 0
	for i < len(b) {
		if isLWS(b[i]) {
			i++
		} else if b[i] == '(' {
			i += skipComment(b[i:])
		} else {
			return i
		}
	}
	return len(b)
}

// getToken is MIME_get_token: the first token after white space and
// comments; end is the offset after it, -1 when there is none.
func getToken(b []byte, boundary bool) (tok []byte, end int) {
	i := 0
	if !boundary {
		i = skipLWSComments(b)
	}
	for i < len(b) {
		if isTokenChar(b[i], boundary) {
			j := i
			for j < len(b) && isTokenChar(b[j], boundary) {
				j++
			}
			return b[i:j], j
		}
		j := skipLWSComments(b[i:])
		if j > 0 {
			i += j
		} else {
			i++
		}
	}
	return nil, -1
}

// header is a parsed header line (MIME_Header).
type header struct {
	name  []byte
	value []byte
}

// parseHeader splits a (concatenated) header line into name and value as
// MIME_Header does; ok is false for a malformed line, which Zeek ignores.
func parseHeader(line []byte) (header, bool) {
	var h header
	i := skipLWSComments(line)
	for i < len(line) && !isFieldNameChar(line[i]) {
		j := skipLWSComments(line[i:])
		if j > 0 {
			i += j
		} else {
			i++
		}
	}
	if i >= len(line) {
		return h, false
	}
	j := i
	for j < len(line) && isFieldNameChar(line[j]) {
		j++
	}
	h.name = line[i:j]
	rest := line[j:]
	k := skipLWSComments(rest)
	if k >= len(rest) || rest[k] != ':' {
		return h, false
	}
	h.value = rest[k+1:]
	for len(h.value) > 0 && isSpace(h.value[0]) {
		h.value = h.value[1:]
	}
	return h, true
}

// valueToken is MIME_Header::get_value_token with the rest after it.
func valueToken(value []byte) (tok, rest []byte) {
	t, end := getToken(value, false)
	if end < 0 {
		return nil, nil
	}
	return t, value[end:]
}

// equalFold compares ASCII case-insensitively (MIME's istrequal).
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		x, y := b[i], s[i]
		if x >= 'A' && x <= 'Z' {
			x += 'a' - 'A'
		}
		if y >= 'A' && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// contentType parses a Content-Type value (MIME_get_slash_token_pair and
// ParseFieldParameters): the media type and subtype, and for multipart
// and message types the boundary parameter.
func contentType(value []byte) (typ, sub, boundary []byte, hasBoundary, ok bool) {
	t, end := getToken(value, false)
	if end < 0 {
		return
	}
	rest := value[end:]
	k := skipLWSComments(rest)
	if k >= len(rest) || rest[k] != '/' {
		return
	}
	rest = rest[k+1:]
	s, end := getToken(rest, false)
	if end < 0 {
		return
	}
	typ, sub, ok = t, s, true
	if !equalFold(typ, "multipart") && !equalFold(typ, "message") {
		return
	}
	multipart := equalFold(typ, "multipart")
	rest = rest[end:]
	for {
		k := skipLWSComments(rest)
		if k >= len(rest) || rest[k] != ';' {
			return
		}
		rest = rest[k+1:]
		attr, end := getToken(rest, false)
		if end < 0 {
			return
		}
		rest = rest[end:]
		k = skipLWSComments(rest)
		if k >= len(rest) || rest[k] != '=' {
			continue
		}
		rest = rest[k+1:]
		isB := multipart && equalFold(attr, "boundary")
		val, end := getValue(rest, isB)
		if end < 0 {
			continue
		}
		if isB {
			boundary, hasBoundary = val, true
		}
		rest = rest[end:]
	}
}

// getValue is MIME_get_value: a quoted string or a token. Quoted pairs are
// left as they are (the value only serves as a boundary, which rarely has
// any).
func getValue(b []byte, boundary bool) ([]byte, int) {
	off := 0
	if !boundary {
		off = skipLWSComments(b)
	}
	b2 := b[off:]
	if len(b2) > 0 && b2[0] == '"' {
		q := skipLWSComments(b2)
		b3 := b2[q:]
		for i := 1; i < len(b3); i++ {
			switch b3[i] {
			case '"':
				return b3[1:i], off + q + i + 1
			case '\\':
				i++
			}
		}
		return nil, -1
	}
	tok, end := getToken(b2, boundary)
	if end < 0 {
		return nil, -1
	}
	return tok, off + end
}

// boundaryDelimiter is CheckBoundaryDelimiter: 0 not a boundary line, 1 a
// boundary, 2 the closing boundary.
func boundaryDelimiter(line, boundary []byte) int {
	if len(line) < 2 || line[0] != '-' || line[1] != '-' {
		return 0
	}
	line = line[2:]
	if !bytes.HasPrefix(line, boundary) {
		return 0
	}
	line = line[len(boundary):]
	if len(line) >= 2 && line[0] == '-' && line[1] == '-' {
		return 2
	}
	return 1
}

// hasFilenameParam reports whether a header value carries a file name the
// way entities.zeek tests it: filename[blank]*\*?= for Content-Disposition,
// name[blank]*= for Content-Type.
func hasFilenameParam(value []byte, disposition bool) bool {
	for i := 0; i+4 < len(value); i++ {
		if disposition {
			if !hasPrefixFold(value[i:], "filename") {
				continue
			}
			j := i + 8
			for j < len(value) && isLWS(value[j]) {
				j++
			}
			if j < len(value) && value[j] == '*' {
				j++
			}
			if j < len(value) && value[j] == '=' {
				return true
			}
			continue
		}
		if !hasPrefixFold(value[i:], "name") {
			continue
		}
		j := i + 4
		for j < len(value) && isLWS(value[j]) {
			j++
		}
		if j < len(value) && value[j] == '=' {
			return true
		}
	}
	return false
}

// extractFilename follows extract_filename_from_content_disposition in
// Zeek's base/utils/files.zeek: the text after the last name=, unquoted,
// without an RFC 5987 charset'lang' prefix, percent-decoded.
func extractFilename(value []byte) string {
	f := value
	for i := len(value) - 4; i >= 0; i-- {
		if !hasPrefixFold(value[i:], "name") {
			continue
		}
		j := i + 4
		for j < len(value) && isLWS(value[j]) {
			j++
		}
		if j < len(value) && value[j] == '*' {
			j++
		}
		if j < len(value) && value[j] == '=' {
			j++
			for j < len(value) && isLWS(value[j]) {
				j++
			}
			f = value[j:]
			break
		}
	}
	if len(f) > 0 && f[0] == '"' {
		f = f[1:]
		if q := bytes.IndexByte(f, '"'); q >= 0 {
			f = f[:q]
		}
	}
	// charset'language' prefix.
	isAttr := func(c byte) bool {
		return isAlpha(c) || isDigit(c) || c >= 0x2b && c <= 0x5e || bytes.IndexByte([]byte("!#$%&_`{}~"), c) >= 0
	}
	i := 0
	for i < len(f) && isAttr(f[i]) {
		i++
	}
	if i > 0 && i < len(f) && f[i] == '\'' {
		j := i + 1
		for j < len(f) && isAttr(f[j]) {
			j++
		}
		if j < len(f) && f[j] == '\'' {
			f = f[j+1:]
		}
	}
	return string(unescapeURI(nil, f, nil))
}

// decodeBase64 decodes standard base64 as Zeek's Base64Converter does for
// decode_base64: characters outside the alphabet are skipped (weird
// base64_illegal_encoding), decoding stops at '=', and an incomplete last
// group is decoded as far as it goes.
func decodeBase64(dst, src []byte, w weirder) []byte {
	var acc uint32
	n := 0
	bad := false
	for _, c := range src {
		var v byte
		switch {
		case c >= 'A' && c <= 'Z':
			v = c - 'A'
		case c >= 'a' && c <= 'z':
			v = c - 'a' + 26
		case c >= '0' && c <= '9':
			v = c - '0' + 52
		case c == '+':
			v = 62
		case c == '/':
			v = 63
		case c == '=':
			goto end
		default:
			bad = true
			continue
		}
		acc = acc<<6 | uint32(v)
		n++
		if n == 4 {
			dst = append(dst, byte(acc>>16), byte(acc>>8), byte(acc))
			acc, n = 0, 0
		}
	}
end:
	switch n {
	case 2:
		dst = append(dst, byte(acc>>4))
	case 3:
		dst = append(dst, byte(acc>>10), byte(acc>>2))
	}
	if bad && w != nil {
		w.weirdName("base64_illegal_encoding")
	}
	return dst
}

// hdr identifies the header names the analyzer acts on.
type hdr uint8

const (
	hOther hdr = iota
	hContentType
	hContentLength
	hContentRange
	hContentEncoding
	hContentDisposition
	hTransferEncoding
	hExpect
	hConnection
	hUpgrade
	hReferer
	hHost
	hOrigin
	hUserAgent
	hAuthorization
	hProxyAuthorization
	// HTTP::proxy_headers
	hForwarded
	hXForwardedFor
	hXForwardedFrom
	hClientIP
	hVia
	hXroxyConnection
	hProxyConnection
)

// hdrNames are the names of the headers, as Zeek upper-cases them.
var hdrNames = [...]string{
	hContentType: "CONTENT-TYPE", hContentLength: "CONTENT-LENGTH", hContentRange: "CONTENT-RANGE",
	hContentEncoding: "CONTENT-ENCODING", hContentDisposition: "CONTENT-DISPOSITION",
	hTransferEncoding: "TRANSFER-ENCODING", hExpect: "EXPECT", hConnection: "CONNECTION",
	hUpgrade: "UPGRADE", hReferer: "REFERER", hHost: "HOST", hOrigin: "ORIGIN",
	hUserAgent: "USER-AGENT", hAuthorization: "AUTHORIZATION", hProxyAuthorization: "PROXY-AUTHORIZATION",
	hForwarded: "FORWARDED", hXForwardedFor: "X-FORWARDED-FOR", hXForwardedFrom: "X-FORWARDED-FROM",
	hClientIP: "CLIENT-IP", hVia: "VIA", hXroxyConnection: "XROXY-CONNECTION", hProxyConnection: "PROXY-CONNECTION",
}

// hdrByLen lists the known names by length, for lookup.
var hdrByLen = func() (t [24][]hdr) {
	for h, n := range hdrNames {
		if n != "" {
			t[len(n)] = append(t[len(n)], hdr(h))
		}
	}
	return t
}()

// headerKind maps a header name (any case) to its hdr.
func headerKind(name []byte) hdr {
	if len(name) >= len(hdrByLen) {
		return hOther
	}
	for _, h := range hdrByLen[len(name)] {
		if equalFold(name, hdrNames[h]) {
			return h
		}
	}
	return hOther
}

func (h hdr) isProxy() bool { return h >= hForwarded }
