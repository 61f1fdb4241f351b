package conn

// reasm tracks, for one direction of a TCP connection, which sequence
// ranges have been seen, so that acknowledgements of data never seen reveal
// content gaps (Zeek's TCP_Reassembler: missed_bytes and the 'G'/'g'
// history letters). It stores ranges, not bytes; sequence numbers are
// relative to the endpoint's initial sequence number.
//
// Memory is bounded: at most maxRanges out-of-order ranges are kept above
// the first hole; beyond that the highest range is dropped and counted.
type reasm struct {
	lastReassem uint64 // everything below has been seen or declared missing
	trimSeq     uint64 // everything below has been acknowledged
	ranges      []seqRange
	skip        bool
	dropped     uint64
}

type seqRange struct{ lo, hi uint64 }

func (r *reasm) reset() {
	r.lastReassem, r.trimSeq = 1, 1
	r.ranges = r.ranges[:0]
	r.skip = false
	r.dropped = 0
}

// undeliveredBytes is the span from the first hole to the highest range.
func (r *reasm) undeliveredBytes() uint64 {
	if len(r.ranges) == 0 {
		return 0
	}
	return r.ranges[len(r.ranges)-1].hi - r.lastReassem
}

// add records [seq, seq+n) as seen.
func (r *reasm) add(seq, n uint64, maxRanges int) {
	if n == 0 || r.skip {
		return
	}
	hi := seq + n
	if hi <= r.trimSeq || hi <= r.lastReassem {
		return
	}
	if seq < r.lastReassem {
		seq = r.lastReassem
	}
	// Insert keeping ranges sorted and disjoint, merging touching ones.
	i := 0
	for i < len(r.ranges) && r.ranges[i].hi < seq {
		i++
	}
	j := i
	for j < len(r.ranges) && r.ranges[j].lo <= hi {
		if r.ranges[j].lo < seq {
			seq = r.ranges[j].lo
		}
		if r.ranges[j].hi > hi {
			hi = r.ranges[j].hi
		}
		j++
	}
	switch {
	case j == i:
		if len(r.ranges) >= maxRanges {
			// Keep the lowest ranges: they are the ones the next acks
			// will resolve. Drop the highest.
			r.dropped++
			if i == len(r.ranges) {
				return
			}
			r.ranges = r.ranges[:len(r.ranges)-1]
		}
		r.ranges = append(r.ranges, seqRange{})
		copy(r.ranges[i+1:], r.ranges[i:])
		r.ranges[i] = seqRange{seq, hi}
	default:
		r.ranges[i] = seqRange{seq, hi}
		r.ranges = append(r.ranges[:i+1], r.ranges[j:]...)
	}
	r.deliverContiguous()
}

func (r *reasm) deliverContiguous() {
	for len(r.ranges) > 0 && r.ranges[0].lo <= r.lastReassem {
		if r.ranges[0].hi > r.lastReassem {
			r.lastReassem = r.ranges[0].hi
		}
		r.popFront()
	}
}

// popFront removes the first range, keeping the backing array.
func (r *reasm) popFront() {
	n := copy(r.ranges, r.ranges[1:])
	r.ranges = r.ranges[:n]
}

// trimTo declares everything below seq acknowledged. Holes below seq are
// gaps: gap is called for each with its start and length. It reports
// nothing for a partial connection's faked-up first octets (Zeek does not
// either).
func (r *reasm) trimTo(seq uint64, partial bool, gap func(at, n uint64)) {
	if seq > r.lastReassem {
		r.undelivered(seq, partial, gap)
	}
	for len(r.ranges) > 0 && r.ranges[0].hi <= seq {
		r.popFront()
	}
	if seq > r.trimSeq {
		r.trimSeq = seq
	}
}

func (r *reasm) undelivered(upTo uint64, partial bool, gap func(at, n uint64)) {
	if upTo <= 2 && partial {
		return
	}
	if !r.skip {
		for len(r.ranges) > 0 && r.ranges[0].lo < upTo {
			b := r.ranges[0]
			if b.lo > r.lastReassem {
				gap(r.lastReassem, b.lo-r.lastReassem)
			}
			if b.hi > r.lastReassem {
				r.lastReassem = b.hi
			}
			r.popFront()
			r.deliverContiguous()
		}
		if upTo > r.lastReassem {
			gap(r.lastReassem, upTo-r.lastReassem)
		}
	}
	if upTo > r.lastReassem {
		r.lastReassem = upTo
	}
}
