package live

import (
	"errors"
	"hash/maphash"
	"time"

	"github.com/weirnet/weir/sources"
)

// dedup remembers the hashes of recent frames, to recognise the copy of a
// frame that another source (the other tap) saw too. It is a hash table of
// fixed size with buckets of two entries, the older of which a new frame
// replaces: memory is fixed, lookups are O(1), nothing is allocated.
type dedup struct {
	seed   maphash.Seed
	mask   uint64
	window int64
	tab    []dedupEntry // 2 entries per bucket
}

type dedupEntry struct {
	hash uint64 // 0: empty
	ts   int64
	src  int
}

func newDedup(entries int, window time.Duration) (*dedup, error) {
	if entries < 2 || entries&(entries-1) != 0 {
		return nil, errors.New("live: DedupEntries must be a power of two, at least 2")
	}
	return &dedup{seed: maphash.MakeSeed(), mask: uint64(entries/2 - 1), window: int64(window), tab: make([]dedupEntry, entries)}, nil
}

// seen reports whether f, from source src, is a copy of a frame another
// source delivered within the window before it; if not, it remembers f.
// A copy is forgotten once matched, so a third copy is not dropped.
func (d *dedup) seen(f *sources.Frame, src int) bool {
	h := maphash.Bytes(d.seed, f.Data) ^ uint64(f.WireLen)*0x9e3779b97f4a7c15
	if h == 0 {
		h = 1
	}
	b := d.tab[2*(h&d.mask) : 2*(h&d.mask)+2]
	for i := range b {
		e := &b[i]
		if e.hash == h && e.src != src && f.TS-e.ts <= d.window && e.ts-f.TS <= d.window {
			e.hash = 0
			return true
		}
	}
	// Replace the empty or older entry.
	i := 0
	if b[0].hash != 0 && (b[1].hash == 0 || b[1].ts < b[0].ts) {
		i = 1
	}
	b[i] = dedupEntry{hash: h, ts: f.TS, src: src}
	return false
}
