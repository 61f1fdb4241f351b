package file

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/weirnet/weir/sources"
)

// TestMergeFiles merges real file sources, whose frames are slices of
// their read buffers, including one that is cut short: every frame must
// come out intact, in time order, and the cut file must be reported.
func TestMergeFiles(t *testing.T) {
	const n = 3000 // enough to cycle the 1 MiB buffers
	data := func(src, i int) []byte {
		return fmt.Appendf(payload(src*n+i, 200+i%300), "src%d#%d", src, i)
	}
	ts := func(src, i int) int64 { return 1700000000e9 + int64(i)*3000 + int64(src)*1000 }

	p0 := newPcap(binary.LittleEndian, true, sources.LinkEthernet, 0)
	ng := newNg(binary.BigEndian)
	ng.idb(uint16(sources.LinkRaw), 0, 9, 0)
	p2 := newPcap(binary.BigEndian, true, sources.LinkEthernet, 0)
	for i := range n {
		p0.packet(ts(0, i), data(0, i), 1000)
		ng.epb(0, uint64(ts(1, i)), data(1, i), 1000)
		p2.packet(ts(2, i), data(2, i), 1000)
	}
	cut := p2.bytes()[:p2.offs[n/2]+20] // packet n/2+1 is truncated
	paths := []string{
		writeFile(t, "a.pcap", p0.bytes()),
		writeFile(t, "b.pcapng.zst", zstded(t, ng.bytes())),
		writeFile(t, "c.pcap.gz", gzipped(t, cut)),
	}
	var srcs []sources.Source
	for _, p := range paths {
		s, err := Open(p)
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, s)
	}
	m := sources.NewMerger(srcs)
	defer m.Close()
	next := make([]int, 3)
	last := int64(0)
	var f sources.Frame
	for {
		err := m.Next(&f)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		i := next[f.Source]
		next[f.Source]++
		if f.TS != ts(f.Source, i) || string(f.Data) != string(data(f.Source, i)) {
			t.Fatalf("frame %d of source %d: ts %d, data %.24q", i, f.Source, f.TS, f.Data)
		}
		if f.TS < last {
			t.Fatalf("time went back: %d after %d", f.TS, last)
		}
		last = f.TS
	}
	if next[0] != n || next[1] != n || next[2] != n/2 {
		t.Fatalf("frames per source: %v", next)
	}
	errs := m.Errors()
	var re *ReadError
	if len(errs) != 1 || !errors.As(errs[0], &re) || re.Path != paths[2] || re.Packet != n/2+1 {
		t.Fatalf("Errors() = %v", errs)
	}
	if counts := m.Counts(); counts[0] != n || counts[1] != n || counts[2] != n/2 {
		t.Fatalf("Counts() = %v", counts)
	}
}
