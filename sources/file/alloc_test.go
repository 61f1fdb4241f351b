package file

import (
	"testing"

	"github.com/weirnet/weir/sources"
)

// TestNextDoesNotAllocate guards the zero-allocation promise: once the
// read buffer is warm, Next allocates nothing, whatever the format or
// compression.
func TestNextDoesNotAllocate(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts need a full run")
	}
	captures := []struct {
		name string
		b    []byte
	}{
		{"pcap", benchPcap(20000)},
		{"pcapng", benchPcapng(20000)},
	}
	for _, c := range captures {
		for _, comp := range compressions {
			t.Run(c.name+"/"+comp.name, func(t *testing.T) {
				src, err := openBytes(c.name, comp.fn(t, c.b))
				if err != nil {
					t.Fatal(err)
				}
				var f sources.Frame
				for range 100 { // warm up: decompressor buffers fill lazily
					if err := src.Next(&f); err != nil {
						t.Fatal(err)
					}
				}
				allocs := testing.AllocsPerRun(10000, func() {
					if err := src.Next(&f); err != nil {
						t.Fatal(err)
					}
				})
				if allocs != 0 {
					t.Errorf("Next allocates %.3f times per frame", allocs)
				}
			})
		}
	}
}
