package conn

// reasm reassembles one direction of a TCP connection. Sequence numbers are
// relative to the endpoint's initial sequence number (the first data byte
// is 1).
//
// It does two jobs with one structure:
//   - Gap accounting, as Zeek's TCP_Reassembler: an acknowledgement of
//     bytes never seen reveals a content gap (missed_bytes, 'G'/'g').
//   - Stream delivery: in-order bytes go to the connection's analyzers.
//     In-order segments (the common case) are delivered straight from the
//     packet without copying; out-of-order ones are copied and held until
//     the hole before them fills or is declared a gap.
//
// When no one needs the bytes (no analyzer, detection finished), segments
// are tracked as ranges without data. Overlaps keep the first copy, as
// Zeek does. Memory is bounded per direction (maxSegs segments and
// maxBytes held bytes) and by the tracker's global budget; beyond that the
// highest segments are dropped, counted, and become gaps when acked.
type reasm struct {
	lastReassem uint64 // everything below was delivered or declared missing
	trimSeq     uint64 // everything below was acknowledged
	segs        []rseg // held segments above lastReassem, sorted, disjoint
	held        int    // bytes of data held in segs
	skip        bool   // above_hole_data_without_any_acks: stop reassembling
	dropped     uint64 // segments dropped by the bounds
}

type rseg struct {
	lo, hi uint64
	data   []byte // nil when the bytes are not kept
}

// deliverer receives what the reassembler releases.
type deliverer interface {
	data(seq uint64, b []byte)
	gap(seq, n uint64)
}

func (r *reasm) reset() {
	r.lastReassem, r.trimSeq = 1, 1
	for i := range r.segs {
		r.segs[i] = rseg{}
	}
	r.segs = r.segs[:0]
	r.held = 0
	r.skip = false
	r.dropped = 0
}

// undeliveredBytes is the span from the first hole to the highest segment.
func (r *reasm) undeliveredBytes() uint64 {
	if len(r.segs) == 0 {
		return 0
	}
	return r.segs[len(r.segs)-1].hi - r.lastReassem
}

// limits bound what one direction may hold.
type limits struct {
	maxSegs  int
	maxBytes int
	budget   *int64 // tracker-wide bytes held; nil = unbounded
	maxTotal int64
}

// add records [seq, seq+len(b)) (or [seq, seq+n) when b is nil and the
// bytes are not wanted) and delivers what became contiguous.
func (r *reasm) add(seq uint64, n int, b []byte, keep bool, lim *limits, d deliverer) {
	if n == 0 || r.skip {
		return
	}
	hi := seq + uint64(n)
	if hi <= r.trimSeq || hi <= r.lastReassem {
		return // old data
	}
	if seq < r.lastReassem {
		cut := r.lastReassem - seq
		seq += cut
		if b != nil {
			b = b[cut:]
		}
	}
	// Fast path: in order with nothing held.
	if seq == r.lastReassem && len(r.segs) == 0 {
		r.lastReassem = hi
		if keep && b != nil {
			d.data(seq, b)
		}
		return
	}
	// Insert the parts of [seq, hi) not already covered (first copy wins).
	i := 0
	for i < len(r.segs) && r.segs[i].hi <= seq {
		i++
	}
	for seq < hi {
		if i < len(r.segs) && r.segs[i].lo <= seq {
			// Covered by an existing segment: skip over it.
			adv := r.segs[i].hi - seq
			if r.segs[i].hi >= hi {
				break
			}
			seq += adv
			if b != nil {
				b = b[adv:]
			}
			i++
			continue
		}
		end := hi
		if i < len(r.segs) && r.segs[i].lo < end {
			end = r.segs[i].lo
		}
		var piece []byte
		if keep && b != nil {
			piece = b[:end-seq]
		}
		if !r.insert(i, rseg{lo: seq, hi: end}, piece, lim) {
			break
		}
		if b != nil {
			b = b[end-seq:]
		}
		seq = end
		i++
	}
	r.deliverContiguous(keep, lim, d)
}

// insert puts s at index i, copying piece if given. It reports false when
// the bounds refused it.
func (r *reasm) insert(i int, s rseg, piece []byte, lim *limits) bool {
	if len(r.segs) >= lim.maxSegs {
		r.dropped++
		return false
	}
	if piece != nil {
		if r.held+len(piece) > lim.maxBytes || (lim.budget != nil && *lim.budget+int64(len(piece)) > lim.maxTotal) {
			r.dropped++
			piece = nil // keep the range for gap accounting, lose the bytes
		} else {
			s.data = append([]byte(nil), piece...)
			r.held += len(piece)
			if lim.budget != nil {
				*lim.budget += int64(len(piece))
			}
		}
	}
	r.segs = append(r.segs, rseg{})
	copy(r.segs[i+1:], r.segs[i:])
	r.segs[i] = s
	return true
}

func (r *reasm) popFront(lim *limits) {
	s := r.segs[0]
	if s.data != nil {
		r.held -= len(s.data)
		if lim.budget != nil {
			*lim.budget -= int64(len(s.data))
		}
	}
	n := copy(r.segs, r.segs[1:])
	r.segs[n] = rseg{}
	r.segs = r.segs[:n]
}

// deliverContiguous releases held segments that now start at or below the
// delivery point.
func (r *reasm) deliverContiguous(keep bool, lim *limits, d deliverer) {
	for len(r.segs) > 0 && r.segs[0].lo <= r.lastReassem {
		s := r.segs[0]
		if s.hi > r.lastReassem {
			if keep && s.data != nil {
				d.data(r.lastReassem, s.data[r.lastReassem-s.lo:])
			} else if keep && s.data == nil {
				// Bytes were dropped by the bounds: the analyzer sees a gap.
				d.gap(r.lastReassem, s.hi-r.lastReassem)
			}
			r.lastReassem = s.hi
		}
		r.popFront(lim)
	}
}

// trimTo declares everything below seq acknowledged. Holes below seq are
// gaps, reported to account (missed bytes, history) and to the analyzers.
// Zeek reports nothing for a partial connection's faked-up first octets.
func (r *reasm) trimTo(seq uint64, partial bool, keep bool, lim *limits, d deliverer, account func(n uint64)) {
	if seq > r.lastReassem && !(seq <= 2 && partial) {
		if !r.skip {
			for len(r.segs) > 0 && r.segs[0].lo < seq {
				s := r.segs[0]
				if s.lo > r.lastReassem {
					n := s.lo - r.lastReassem
					account(n)
					if keep {
						d.gap(r.lastReassem, n)
					}
					r.lastReassem = s.lo
				}
				r.deliverContiguous(keep, lim, d)
			}
			if seq > r.lastReassem {
				n := seq - r.lastReassem
				account(n)
				if keep {
					d.gap(r.lastReassem, n)
				}
			}
		}
		if seq > r.lastReassem {
			r.lastReassem = seq
		}
		r.deliverContiguous(keep, lim, d)
	}
	for len(r.segs) > 0 && r.segs[0].hi <= seq {
		r.popFront(lim)
	}
	if seq > r.trimSeq {
		r.trimSeq = seq
	}
}

// clear drops everything held (skip, or connection removal).
func (r *reasm) clear(lim *limits) {
	for len(r.segs) > 0 {
		r.popFront(lim)
	}
}
