package file

import (
	"errors"
	"io"
	"testing"

	"github.com/weirnet/weir/sources"
)

// The fuzz targets feed arbitrary bytes through the whole of Open and Next,
// decompression included. Their seeds are in testdata/fuzz/<target>/:
// small valid files in each byte order and resolution, compressed ones, and
// broken ones. Reading must never panic, must end (every Next that returns
// a frame consumes input), and must keep the error contract.

func FuzzPcap(f *testing.F)   { f.Fuzz(fuzzRead) }
func FuzzPcapng(f *testing.F) { f.Fuzz(fuzzRead) }

func fuzzRead(t *testing.T, data []byte) {
	src, err := openSmall("fuzz", data)
	if err != nil {
		return
	}
	defer src.Close()
	var fr sources.Frame
	for n := int64(0); ; n++ {
		before := src.w.off
		err := src.Next(&fr)
		if err == io.EOF {
			return
		}
		if err != nil {
			var re *ReadError
			if !errors.As(err, &re) {
				t.Fatalf("error %v is not a *ReadError", err)
			}
			if re.Packet != n+1 {
				t.Fatalf("error %v names packet %d after %d frames", err, re.Packet, n)
			}
			if re.Offset < before {
				t.Fatalf("error %v names offset %d, before the end of the last frame (%d)", err, re.Offset, before)
			}
			return
		}
		if len(fr.Data) > fr.WireLen {
			t.Fatalf("frame %d: %d bytes captured of %d on the wire", n+1, len(fr.Data), fr.WireLen)
		}
		if src.w.off <= before {
			t.Fatalf("frame %d consumed no input", n+1)
		}
	}
}
