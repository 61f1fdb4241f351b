package file

import "io"

// window is a read buffer that hands out slices of itself. It does what
// bufio.Reader's Peek and Discard do, and what they cannot: it grows when a
// record is larger than the buffer, and it counts the stream offset, which
// error messages need. Frames are slices of the window, so a packet is
// copied once, from the file (or the decompressor) into the window, and
// never again.
//
// A slice returned by peek is valid until the next peek or skip: both may
// move the unread bytes to the front of the buffer to make room.
type window struct {
	r      io.Reader
	buf    []byte
	lo, hi int   // unread bytes are buf[lo:hi]
	off    int64 // stream offset of buf[lo]
	err    error // first error from r (io.EOF at its end); sticky
}

func newWindow(r io.Reader, size int) window {
	return window{r: r, buf: make([]byte, size)}
}

// peek returns the next n bytes without consuming them. If the stream ends
// first it returns the bytes that remain and the error that ended it
// (io.EOF at a clean end).
func (w *window) peek(n int) ([]byte, error) {
	if w.hi-w.lo >= n {
		return w.buf[w.lo : w.lo+n], nil
	}
	return w.fill(n)
}

// fill is peek's slow path, kept apart so that peek inlines.
func (w *window) fill(n int) ([]byte, error) {
	if w.err == nil {
		switch {
		case n > len(w.buf):
			// A record larger than the window: grow it, once, to fit. The
			// callers bound n, so this cannot be driven by a corrupt length.
			size := 2 * len(w.buf)
			if size < n {
				size = n
			}
			nb := make([]byte, size)
			w.hi = copy(nb, w.buf[w.lo:w.hi])
			w.lo = 0
			w.buf = nb
		case w.lo+n > len(w.buf):
			// Not enough room after the unread bytes: slide them down. They
			// are less than one record, so this is cheap.
			w.hi = copy(w.buf, w.buf[w.lo:w.hi])
			w.lo = 0
		}
		for empty := 0; w.hi-w.lo < n; {
			m, err := w.r.Read(w.buf[w.hi:])
			w.hi += m
			if err != nil {
				w.err = err
				break
			}
			if m > 0 {
				empty = 0
			} else if empty++; empty >= 100 {
				w.err = io.ErrNoProgress
				break
			}
		}
	}
	if w.hi-w.lo < n {
		return w.buf[w.lo:w.hi], w.err
	}
	return w.buf[w.lo : w.lo+n], nil
}

// discard consumes n bytes that a peek has just returned.
func (w *window) discard(n int) {
	w.lo += n
	w.off += int64(n)
}

// skip consumes n bytes without keeping them, however many there are: it
// is how blocks nobody reads are passed over without growing the window.
// It returns an error if the stream ends first; off then tells how far it
// got.
func (w *window) skip(n int64) error {
	if avail := int64(w.hi - w.lo); n <= avail {
		w.discard(int(n))
		return nil
	}
	n -= int64(w.hi - w.lo)
	w.off += int64(w.hi - w.lo)
	w.lo, w.hi = 0, 0
	for empty := 0; n > 0; {
		if w.err != nil {
			return w.err
		}
		m, err := w.r.Read(w.buf)
		if int64(m) > n {
			// Read past the end of the skip: keep the rest.
			w.lo, w.hi = int(n), m
			w.off += n
			n = 0
		} else {
			w.off += int64(m)
			n -= int64(m)
		}
		if err != nil {
			w.err = err
		} else if m > 0 {
			empty = 0
		} else if empty++; empty >= 100 {
			w.err = io.ErrNoProgress
		}
	}
	return nil
}
