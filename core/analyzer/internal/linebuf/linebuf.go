// Package linebuf splits one direction of a TCP byte stream into lines for
// the line-oriented analyzers (POP3, IMAP, SMTP, FTP, IRC), with a bound on
// how much a line may make it buffer.
//
// A Reader holds at most Max (+1 for a "\r") bytes of a line that straddles two deliveries;
// a longer line is cut at Max (the caller is told, so it can report Zeek's
// contentline_size_exceeded weird) and the rest of it up to the newline is
// dropped. Lines that arrive whole in one delivery are returned without
// copying.
package linebuf

import "bytes"

// Reader is the line state of one direction. The zero value is not
// usable: make one with New.
type Reader struct {
	buf  []byte // partial line carried over between deliveries; len <= max+1
	max  int
	long bool // the partial line already exceeded max
}

// New returns a Reader that cuts lines at max bytes (max >= 1).
func New(max int) Reader {
	if max < 1 {
		max = 1
	}
	return Reader{max: max}
}

// Max reports the line bound.
func (r *Reader) Max() int { return r.max }

// Pending reports how many bytes of an unfinished line are buffered.
func (r *Reader) Pending() int { return len(r.buf) }

// Next returns the next complete line of b: line is the line without its
// "\n" or "\r\n", rest is what follows it in b. ok is false when b holds no
// end of line: then all of b was taken into the partial line (up to the
// bound) and rest is nil. truncated reports a line longer than Max; line
// then holds its first Max bytes.
//
// line may alias b or the Reader's buffer: it is valid only until the next
// call. The Reader never keeps b.
func (r *Reader) Next(b []byte) (line, rest []byte, truncated, ok bool) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		r.keep(b)
		return nil, nil, false, false
	}
	seg := b[:i]
	rest = b[i+1:]
	if n := len(seg); n > 0 && seg[n-1] == '\r' {
		seg = seg[:n-1]
	} else if n == 0 && !r.long && len(r.buf) > 0 && r.buf[len(r.buf)-1] == '\r' {
		r.buf = r.buf[:len(r.buf)-1] // "\r" and "\n" arrived apart
	}
	if len(r.buf) == 0 && !r.long {
		line = seg
	} else {
		r.keep(seg)
		line = r.buf
	}
	truncated = r.long || len(line) > r.max
	if len(line) > r.max {
		line = line[:r.max]
	}
	r.buf = r.buf[:0]
	r.long = false
	return line, rest, truncated, true
}

// keep appends p to the partial line, within the bound.
func (r *Reader) keep(p []byte) {
	room := r.max + 1 - len(r.buf) // one spare byte for a "\r" before the "\n"
	if len(p) > room {
		p = p[:room]
		r.long = true
	}
	if len(p) > 0 {
		r.buf = append(r.buf, p...)
	}
}

// Reset drops any partial line.
func (r *Reader) Reset() {
	r.buf = r.buf[:0]
	r.long = false
}

// ReplyCode parses a numeric reply line of SMTP or FTP ("250 ok", or
// "211-" opening a multi-line reply): the code, whether more lines of the
// reply follow, and whether the line is a reply at all. Codes outside 100
// to max are not replies.
func ReplyCode(line []byte, max int) (code int, more, ok bool) {
	if len(line) < 3 {
		return 0, false, false
	}
	for _, c := range line[:3] {
		if c < '0' || c > '9' {
			return 0, false, false
		}
		code = code*10 + int(c-'0')
	}
	if code < 100 || code > max {
		return 0, false, false
	}
	if len(line) == 3 {
		return code, false, true
	}
	switch line[3] {
	case '-':
		return code, true, true
	case ' ', '\t', '\r':
		return code, false, true
	}
	return 0, false, false
}
