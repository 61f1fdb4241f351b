package main

import (
	"bytes"
	"errors"
	"strconv"
)

// Limits of the parser: what it keeps is bounded whatever the traffic.
const (
	maxLine  = 64 << 10  // a type line or inline command longer than this is a protocol error
	maxBulk  = 512 << 20 // Redis's own proto-max-bulk-len
	maxCount = 1 << 31   // elements of one aggregate
	maxDepth = 32        // nesting of aggregates
	maxKeep  = 128       // bytes kept of each of the first strings of a command or reply
	maxParts = 2         // strings kept of a command: its name and first argument (the key)
)

// errProtocol reports a stream that is not RESP; the parser stops.
var errProtocol = errors.New("redis: not RESP")

// msg is the summary of one top-level RESP value: a command (an array of
// bulk strings, or an inline command) from the client, a reply from the
// server.
type msg struct {
	Type  byte     // RESP type byte of the value ('+', '-', ':', '$', '*', ...); 'i' for an inline command
	Null  bool     // RESP2 null bulk string or array ($-1, *-1), or RESP3 null (_)
	N     int64    // integer value; length of a string; elements of an aggregate (pairs for a map)
	Str   string   // simple string or error text; a string's first maxKeep bytes
	Parts []string // first maxParts strings directly inside an array (a command's name and key), maxKeep bytes each
	Elems int      // elements directly inside an aggregate
}

// state of the parser, between calls.
const (
	stLine     = iota // reading a type line (or an inline command)
	stBulk            // reading a bulk string's bytes
	stBulkCRLF        // reading the CRLF after them
)

// parser reads the RESP values of one direction of a connection, delivered
// in pieces of any size. It is a state machine over the bytes: a bulk
// string is counted, not buffered, so memory stays within maxLine plus a
// few kept strings whatever the values' sizes. The fields are exported for
// the plugin's snapshot (JSON).
type parser struct {
	State    int
	Line     []byte  // the type line read so far
	BulkType byte    // '$', '=' or '!'
	BulkLeft int64   // bytes of the bulk string still to come
	BulkLen  int64   // its length
	Keep     []byte  // its first maxKeep bytes
	CRLF     int     // bytes of the trailing CRLF read
	Stack    []int64 // elements still to come in each open aggregate
	Cur      *msg    // the top-level value being read
	Err      bool    // the stream was not RESP: ignore the rest
}

// feed parses b and calls emit for every complete top-level value. It
// returns errProtocol, once, when the stream turns out not to be RESP;
// after that it ignores everything.
func (p *parser) feed(b []byte, emit func(*msg)) error {
	for len(b) > 0 && !p.Err {
		switch p.State {
		case stLine:
			i := bytes.IndexByte(b, '\n')
			if i < 0 {
				if len(p.Line)+len(b) > maxLine {
					return p.fail()
				}
				p.Line = append(p.Line, b...)
				return nil
			}
			if len(p.Line)+i > maxLine {
				return p.fail()
			}
			line := b[:i]
			if len(p.Line) > 0 {
				p.Line = append(p.Line, line...)
				line = p.Line
			}
			b = b[i+1:]
			line = bytes.TrimSuffix(line, []byte{'\r'})
			err := p.line(line, emit)
			p.Line = p.Line[:0]
			if err != nil {
				return p.fail()
			}
		case stBulk:
			n := min(int64(len(b)), p.BulkLeft)
			if k := min(int64(maxKeep-len(p.Keep)), n); k > 0 {
				p.Keep = append(p.Keep, b[:k]...)
			}
			b = b[n:]
			p.BulkLeft -= n
			if p.BulkLeft == 0 {
				p.State, p.CRLF = stBulkCRLF, 0
			}
		case stBulkCRLF:
			if b[0] != "\r\n"[p.CRLF] {
				return p.fail()
			}
			b = b[1:]
			if p.CRLF++; p.CRLF == 2 {
				p.State = stLine
				v := msg{Type: p.BulkType, N: p.BulkLen, Str: string(p.Keep)}
				p.Keep = p.Keep[:0]
				p.value(&v, emit)
			}
		}
	}
	return nil
}

func (p *parser) fail() error {
	p.Err = true
	p.Line, p.Keep, p.Stack, p.Cur = nil, nil, nil, nil
	return errProtocol
}

// line handles one complete line (without its CRLF).
func (p *parser) line(l []byte, emit func(*msg)) error {
	if len(l) == 0 {
		if len(p.Stack) == 0 {
			return nil // an empty inline command: Redis ignores it
		}
		return errProtocol
	}
	t, rest := l[0], l[1:]
	switch t {
	case '+', '-':
		p.value(&msg{Type: t, Str: keep(rest)}, emit)
	case ':':
		n, err := strconv.ParseInt(string(rest), 10, 64)
		if err != nil {
			return errProtocol
		}
		p.value(&msg{Type: t, N: n, Str: keep(rest)}, emit)
	case '#', ',', '(': // bool, double, big number: kept as text
		p.value(&msg{Type: t, Str: keep(rest)}, emit)
	case '_':
		p.value(&msg{Type: t, Null: true}, emit)
	case '$', '=', '!':
		n, err := strconv.ParseInt(string(rest), 10, 64)
		if err != nil || n < -1 || n > maxBulk {
			return errProtocol
		}
		if n == -1 {
			p.value(&msg{Type: t, Null: true}, emit)
			return nil
		}
		p.BulkType, p.BulkLen, p.BulkLeft = t, n, n
		p.State, p.CRLF = stBulk, 0
		if n == 0 {
			p.State = stBulkCRLF
		}
	case '*', '~', '>', '%', '|':
		n, err := strconv.ParseInt(string(rest), 10, 64)
		if err != nil || n < -1 || n > maxCount {
			return errProtocol
		}
		if n == -1 {
			p.value(&msg{Type: t, Null: true}, emit)
			return nil
		}
		elems := n
		if t == '%' || t == '|' {
			elems = 2 * n
		}
		if len(p.Stack) == 0 {
			p.Cur = &msg{Type: t, N: n}
		} else if len(p.Stack) == 1 {
			p.Cur.Elems++
		}
		if elems == 0 { // complete already: an element of its parent
			if len(p.Stack) > 0 {
				p.Stack[len(p.Stack)-1]--
			}
			p.close(emit)
			return nil
		}
		if len(p.Stack) >= maxDepth {
			return errProtocol
		}
		p.Stack = append(p.Stack, elems)
	default:
		if len(p.Stack) > 0 {
			return errProtocol
		}
		// An inline command: words separated by spaces.
		m := &msg{Type: 'i'}
		for _, w := range bytes.Fields(l) {
			if len(m.Parts) < maxParts {
				m.Parts = append(m.Parts, keep(w))
			}
			m.Elems++
		}
		emit(m)
	}
	return nil
}

// value records a complete scalar value: a top-level one is emitted; one
// directly inside the top-level aggregate is counted (and kept, if it is
// among the first strings).
func (p *parser) value(v *msg, emit func(*msg)) {
	switch len(p.Stack) {
	case 0:
		emit(v)
		return
	case 1:
		c := p.Cur
		c.Elems++
		if len(c.Parts) < maxParts {
			c.Parts = append(c.Parts, v.Str)
		}
	}
	p.Stack[len(p.Stack)-1]--
	p.close(emit)
}

// close completes the aggregates that have all their elements.
func (p *parser) close(emit func(*msg)) {
	for {
		n := len(p.Stack)
		if n == 0 {
			// The aggregate just read was the top-level value.
			if c := p.Cur; c != nil {
				p.Cur = nil
				emit(c)
			}
			return
		}
		if p.Stack[n-1] > 0 {
			return
		}
		p.Stack = p.Stack[:n-1]
		if n-1 > 0 {
			p.Stack[n-2]--
		}
	}
}

// keep copies at most maxKeep bytes of b.
func keep(b []byte) string {
	return string(b[:min(len(b), maxKeep)])
}
