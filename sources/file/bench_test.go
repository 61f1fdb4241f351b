package file

import (
	"encoding/binary"
	"io"
	"testing"

	"github.com/weirnet/weir/sources"
)

// benchSizes is a rough mix of a busy link: many ACKs, some mid-size,
// many full frames.
var benchSizes = [...]int{66, 1514, 66, 590, 1514, 1514, 66, 350, 1514, 98}

// benchPacket returns frame i of a synthetic capture: repeated headers and
// a payload that compresses about as well as real traffic (which is to
// say, partly).
func benchPacket(i int, buf []byte) []byte {
	n := benchSizes[i%len(benchSizes)]
	b := buf[:n]
	copy(b, payload(i%64, min(n, 64)))
	for j := 64; j < n; j++ {
		b[j] = byte(j*7+i) & 0x3f
	}
	return b
}

func benchPcap(n int) []byte {
	w := newPcap(binary.LittleEndian, false, sources.LinkEthernet, 262144)
	buf := make([]byte, 2048)
	for i := range n {
		p := benchPacket(i, buf)
		w.packet(1700000000e9+int64(i)*1000, p, len(p))
	}
	return w.bytes()
}

func benchPcapng(n int) []byte {
	w := newNg(binary.LittleEndian)
	w.idb(uint16(sources.LinkEthernet), 262144, 9, 0)
	buf := make([]byte, 2048)
	for i := range n {
		p := benchPacket(i, buf)
		w.epb(0, 1700000000e9+uint64(i)*1000, p, len(p))
	}
	return w.bytes()
}

const benchPackets = 50000

func BenchmarkReadPcap(b *testing.B)       { benchRead(b, benchPcap(benchPackets), compressions[0].fn) }
func BenchmarkReadPcapng(b *testing.B)     { benchRead(b, benchPcapng(benchPackets), compressions[0].fn) }
func BenchmarkReadPcapGzip(b *testing.B)   { benchRead(b, benchPcap(benchPackets), gzipped) }
func BenchmarkReadPcapZstd(b *testing.B)   { benchRead(b, benchPcap(benchPackets), zstded) }
func BenchmarkReadPcapngZstd(b *testing.B) { benchRead(b, benchPcapng(benchPackets), zstded) }

// benchRead reads a generated file from disk; one op is one packet. The
// file is reopened when it ends, with the timer stopped.
func benchRead(b *testing.B, capture []byte, compress func(testing.TB, []byte) []byte) {
	content := compress(b, capture)
	path := writeFile(b, "bench", content)
	open := func() sources.Source {
		src, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		return src
	}
	src := open()
	var f sources.Frame
	var bytes int64
	b.ReportAllocs()
	for b.Loop() {
		err := src.Next(&f)
		if err == io.EOF {
			b.StopTimer()
			src.Close()
			src = open()
			b.StartTimer()
			err = src.Next(&f)
		}
		if err != nil {
			b.Fatal(err)
		}
		bytes += int64(len(f.Data))
	}
	src.Close()
	b.ReportMetric(float64(bytes)/1e6/b.Elapsed().Seconds(), "MB/s")
}
