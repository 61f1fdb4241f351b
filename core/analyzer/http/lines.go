package http

import "bytes"

// lineReader splits one direction of a connection into lines, or hands
// bytes through unsplit while a body of known length is read ("plain
// delivery"), the way Zeek's ContentLine support analyzer does for HTTP:
//
//   - CRLF, a lone CR and a lone LF each end a line (CR and LF may arrive
//     in different segments: a CR ends the line at once and a LF right
//     after it is dropped), except in multipart bodies, where only CRLF
//     does (crlfOnly);
//   - a line reaching the length bound is cut there (weird
//     contentline_size_exceeded) and the rest is read as the next line.
//
// Lines wholly inside one Stream call are handed out without copying; only
// a line that spans calls is collected in buf, which is bounded by max.
type lineReader struct {
	buf      []byte // the start of a line that spans Stream calls
	lastChar byte   // last byte consumed, for CR-LF across calls
	plain    int64  // bytes still to hand through unsplit
	// delivery is Zeek's ContentLine delivery_length: when a body of
	// known length is read line by line (multipart), the Stream calls
	// after its headers count it down, and a call that brings it to
	// exactly zero ends a partial last line (weird
	// line_terminated_without_CRLF). -1: off.
	delivery int64
	crlfOnly bool // only CRLF ends a line (Zeek: SetCRLFAsEOL(0))
	suppress bool // no weirds about line ends (multipart bodies)
	skip     bool // deliver nothing more (Zeek: SetSkipDeliveries)
	max      int
}

// maxKeptLineBuf is the capacity of a line buffer kept between lines;
// a bigger one (grown for one long line) is dropped for the GC.
const maxKeptLineBuf = 4 << 10

func (lr *lineReader) reset(max int) {
	buf := lr.buf[:0]
	if cap(buf) > maxKeptLineBuf {
		buf = nil
	}
	*lr = lineReader{buf: buf, max: max, delivery: -1}
}

// stream is ContentLine's DeliverStream: one Stream call's bytes.
func (s *Session) stream(d int, b []byte) {
	lr := &s.lines[d]
	if lr.delivery > 0 {
		lr.delivery -= int64(len(b))
	}
	s.feed(d, b)
	if lr.delivery == 0 {
		lr.delivery = -1
		if len(lr.buf) > 0 && !lr.skip && !s.ended {
			s.weird("line_terminated_without_CRLF", "")
			s.feed(d, crlfBytes)
		}
	}
	// Header lines read in place must outlive b.
	if d == 0 {
		s.req.keepHeaders()
	} else {
		s.rep.keepHeaders()
	}
}

// feed delivers b to the session: lines to s.line, body bytes to
// s.plainData. It stops early when the session stops reading the direction
// (a tunnel took over, the analyzer gave up on it).
func (s *Session) feed(d int, b []byte) {
	lr := &s.lines[d]
	for len(b) > 0 {
		if s.tunneled {
			if w := s.tunnelWeird; w != "" {
				s.tunnelWeird = ""
				s.weird(w, itoa(len(b)))
			}
			return
		}
		if lr.skip || s.ended || s.upgraded {
			return
		}
		if !lr.crlfOnly && lr.lastChar == '\r' && b[0] == '\n' {
			// The CR already ended the line.
			lr.lastChar = '\n'
			b = b[1:]
			continue
		}
		if lr.plain > 0 {
			n := len(b)
			if int64(n) > lr.plain {
				n = int(lr.plain)
			}
			lr.lastChar = 0
			lr.plain -= int64(n)
			s.plainData(d, b[:n])
			b = b[n:]
			continue
		}
		b = b[s.lineOnce(d, b):]
	}
}

// lineOnce consumes bytes of b up to and including one line end and
// delivers the line, or consumes all of b into the partial line. It returns
// how many bytes it consumed.
func (s *Session) lineOnce(d int, b []byte) int {
	lr := &s.lines[d]
	if lr.crlfOnly {
		return s.lineOnceCRLF(d, b)
	}
	// CR, LF and CRLF end lines. After a line ended by a lone CR, the
	// next byte that is not a line end is the weird (feed dropped a LF).
	if lr.lastChar == '\r' && b[0] != '\r' && b[0] != '\n' && !lr.suppress && !s.sawSingleCR {
		s.sawSingleCR = true
		s.weird("line_terminated_with_single_CR", "")
	}
	win := b
	if room := lr.max - len(lr.buf); len(win) > room {
		win = win[:max(room, 0)]
	}
	i := indexEOL(win)
	if i < 0 {
		if len(win) < len(b) {
			s.weird("contentline_size_exceeded", "")
			lr.lastChar = 0
			if len(win) > 0 {
				lr.lastChar = win[len(win)-1]
			}
			s.emitLine(d, win, false)
			return len(win)
		}
		lr.buf = append(lr.buf, b...)
		lr.lastChar = b[len(b)-1]
		return len(b)
	}
	if win[i] == '\r' {
		if i+1 < len(b) && b[i+1] == '\n' {
			lr.lastChar = '\n'
			s.emitLine(d, b[:i], false)
			return i + 2
		}
		lr.lastChar = '\r'
		s.emitLine(d, b[:i], false)
		return i + 1
	}
	lr.lastChar = '\n'
	s.emitLine(d, b[:i], false)
	return i + 1
}

// indexEOL returns the index of the first CR or LF in b, or -1.
func indexEOL(b []byte) int {
	j := bytes.IndexByte(b, '\n')
	w := b
	if j >= 0 {
		w = b[:j]
	}
	if k := bytes.IndexByte(w, '\r'); k >= 0 {
		return k
	}
	return j
}

// lineOnceCRLF is lineOnce when only CRLF ends a line (multipart parts):
// byte by byte, as Zeek's DoDeliverOnce.
func (s *Session) lineOnceCRLF(d int, b []byte) int {
	lr := &s.lines[d]
	for i := 0; i < len(b); i++ {
		if len(lr.buf)+i >= lr.max {
			s.weird("contentline_size_exceeded", "")
			s.emitLine(d, b[:i], false)
			return i
		}
		c := b[i]
		switch c {
		case '\r':
			if i+1 < len(b) && b[i+1] == '\n' {
				lr.lastChar = '\n'
				s.emitLine(d, b[:i], false)
				return i + 2
			}
		case '\n':
			if lr.lastChar == '\r' {
				if len(lr.buf) == 0 && i == 0 {
					// A CR ended the previous line under the
					// other line-end rule: drop the LF.
					lr.lastChar = c
					return 1
				}
				lr.lastChar = c
				s.emitLine(d, b[:i], true)
				return i + 1
			}
			if !lr.suppress && !s.sawSingleLF {
				s.sawSingleLF = true
				s.weird("line_terminated_with_single_LF", "")
			}
		}
		if lr.lastChar == '\r' && !lr.suppress && !s.sawSingleCR {
			s.sawSingleCR = true
			s.weird("line_terminated_with_single_CR", "")
		}
		lr.lastChar = c
	}
	lr.buf = append(lr.buf, b...)
	return len(b)
}

// emitLine delivers the line made of the buffered start and b, without the
// trailing CR when dropCR is set.
func (s *Session) emitLine(d int, b []byte, dropCR bool) {
	lr := &s.lines[d]
	line := b
	s.lineInPlace = true // in the Stream call's bytes: valid until it returns
	if len(lr.buf) > 0 {
		lr.buf = append(lr.buf, b...)
		line = lr.buf
		s.lineInPlace = false
	}
	if dropCR && len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	s.line(d, line)
	s.lineInPlace = false
	// The line was consumed; the buffer is free again (s.line may have
	// been reentered by nothing: it never feeds this direction).
	if cap(lr.buf) > maxKeptLineBuf {
		lr.buf = nil
	} else {
		lr.buf = lr.buf[:0]
	}
}

// flushPartial delivers a partial line at the end of a direction, as
// Zeek's ContentLine does at EndpointEOF (by feeding a LF).
func (s *Session) flushPartial(d int) {
	if len(s.lines[d].buf) > 0 {
		s.feed(d, lf)
	}
}

var lf = []byte{'\n'}
