package xmpp

import "bytes"

// tagReader cuts one direction of an XML stream into tags: the text
// between '<' and '>'. Text outside tags is passed over; before the first
// tag only white space (and a byte order mark) may come. A '>' inside an
// attribute value ends a tag early; the element names the session looks at
// come first, so that does not matter here.
type tagReader struct {
	buf     []byte // partial tag; len <= max
	max     int
	in      bool // inside a tag
	started bool // a tag has begun on this direction
	long    bool // the partial tag exceeded max
}

// next returns the next complete tag in b (without '<' and '>') and what
// follows it. ok is false when b holds no complete tag: b was consumed.
// bad reports text before the first tag that is not white space, or a tag
// longer than max (its bytes are dropped). The tag may alias b or the
// reader's buffer and is valid until the next call.
func (t *tagReader) next(b []byte) (tag, rest []byte, ok, bad bool) {
	if !t.in {
		i := bytes.IndexByte(b, '<')
		if !t.started {
			pre := b
			if i >= 0 {
				pre = b[:i]
			}
			pre = bytes.TrimPrefix(pre, []byte("\xef\xbb\xbf"))
			if len(bytes.TrimLeft(pre, " \t\r\n")) > 0 {
				return nil, nil, false, true
			}
		}
		if i < 0 {
			return nil, nil, false, false
		}
		t.in, t.started = true, true
		b = b[i+1:]
	}
	j := bytes.IndexByte(b, '>')
	if j < 0 {
		t.keep(b)
		return nil, nil, false, false
	}
	rest = b[j+1:]
	t.in = false
	if len(t.buf) == 0 && !t.long {
		if j > t.max {
			return nil, rest, false, true
		}
		return b[:j], rest, true, false
	}
	t.keep(b[:j])
	tag, long := t.buf, t.long
	t.buf, t.long = t.buf[:0], false
	if long {
		return nil, rest, false, true
	}
	return tag, rest, true, false
}

func (t *tagReader) keep(p []byte) {
	room := t.max - len(t.buf)
	if len(p) > room {
		p = p[:room]
		t.long = true
	}
	t.buf = append(t.buf, p...)
}

func (t *tagReader) reset() {
	t.buf, t.long, t.in = t.buf[:0], false, false
}

// localName returns the element name of a start or end tag without its
// namespace prefix ("tls:proceed" is "proceed"), and whether it is an end
// tag.
func localName(tag []byte) (name []byte, end bool) {
	if len(tag) > 0 && tag[0] == '/' {
		end = true
		tag = tag[1:]
	}
	n := 0
	for n < len(tag) && !isSpace(tag[n]) && tag[n] != '/' {
		n++
	}
	name = tag[:n]
	if i := bytes.LastIndexByte(name, ':'); i >= 0 {
		name = name[i+1:]
	}
	return name, end
}
