package logs

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sync"
	"testing"
)

// The benchmarks write conn-like records (benchConns: about 250 bytes of
// TSV, 450 of JSON, varied like real traffic so that compression ratios are
// realistic) and report ns per record. "discard" outputs drop the
// bytes after compression, so the figure is the writer's own cost; "file"
// writes a real file. With compression the figure is the throughput of the
// whole pipeline, bounded by the compressing goroutine; the encoding cost
// on the caller's goroutine is the "none" figure.

func BenchmarkWriteConnTSV(b *testing.B)  { benchmarkWriteConn(b, TSV) }
func BenchmarkWriteConnJSON(b *testing.B) { benchmarkWriteConn(b, JSON) }

func benchmarkWriteConn(b *testing.B, f Format) {
	for _, c := range []Compression{NoCompression, Gzip, Zstd} {
		name := string(c)
		if name == "" {
			name = "none"
		}
		b.Run(name, func(b *testing.B) { runWriteConn(b, Options{Format: f, Compress: c, fs: &discardFS{}}) })
	}
	// The same without the double buffer: compression on the caller's
	// goroutine, what the hand-off saves.
	b.Run("zstd-sync", func(b *testing.B) { runWriteConn(b, Options{Format: f, Compress: Zstd, fs: &discardFS{}, sync: true}) })
	b.Run("zstd-file", func(b *testing.B) { runWriteConn(b, Options{Format: f, Compress: Zstd, Dir: b.TempDir()}) })
}

func runWriteConn(b *testing.B, o Options) {
	w, err := Create(mustSchema("conn"), o, openTS)
	if err != nil {
		b.Fatal(err)
	}
	recs := benchConns()
	// The records' average size, for MB/s.
	start := len(w.buf)
	for i := range 64 {
		if err := writeConn(w, &recs[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(w.buf)-start) / 64)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU()
	for i := 0; b.Loop(); i++ {
		if err := writeConn(w, &recs[i%len(recs)]); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(closeTS); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	reportCPU(b, cpu)
	if fs, ok := o.fs.(*discardFS); ok && b.N > 0 {
		b.ReportMetric(float64(fs.n)/float64(b.N), "out-B/rec")
	}
}

// reportCPU reports the process's CPU time per record since start, all
// goroutines together: the cost of a record whatever else runs on the
// machine. For the compressed cases it includes the compressing goroutine.
func reportCPU(b *testing.B, start int64) {
	if end := processCPU(); end > 0 && b.N > 0 {
		b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkEncodeConn measures encoding alone, without the file, for both
// formats.
func BenchmarkEncodeConn(b *testing.B) {
	for _, f := range []Format{TSV, JSON} {
		b.Run(fmt.Sprint(f), func(b *testing.B) {
			w, err := Create(mustSchema("conn"), Options{Format: f, fs: &discardFS{}}, openTS)
			if err != nil {
				b.Fatal(err)
			}
			defer w.Close(0)
			recs := benchConns()
			b.ReportAllocs()
			cpu := processCPU()
			for i := 0; b.Loop(); i++ {
				w.buf = w.buf[:0]
				writeConn(w, &recs[i%len(recs)])
			}
			reportCPU(b, cpu)
		})
	}
}

// benchConns returns a fixed pseudo-random set of conn records: a few
// thousand hosts, ephemeral ports, common services and states, byte counts
// spread over orders of magnitude. There are enough of them (18 MB of TSV)
// that cycling through them does not let zstd's 8 MB window find whole
// records again, which would flatter its ratio and speed.
var benchConns = sync.OnceValue(func() []connRec {
	rng := rand.New(rand.NewPCG(1, 2))
	const alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	const b64 = alnum + "+/"
	word := func(first byte, n int, alphabet string) string {
		b := []byte{first}
		for range n {
			b = append(b, alphabet[rng.IntN(len(alphabet))])
		}
		return string(b)
	}
	// A site: 500 local hosts (a tenth IPv6) talking to 3000 remote ones.
	pool := func(n int, v4 func() [4]byte, v6 func() [16]byte) []netip.Addr {
		hosts := make([]netip.Addr, n)
		for i := range hosts {
			if i%10 == 0 {
				hosts[i] = netip.AddrFrom16(v6())
			} else {
				hosts[i] = netip.AddrFrom4(v4())
			}
		}
		return hosts
	}
	local := pool(500,
		func() [4]byte { return [4]byte{10, 1, byte(rng.IntN(4)), byte(rng.IntN(256))} },
		func() [16]byte {
			return [16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 1, 8: byte(rng.IntN(256)), 15: byte(rng.IntN(256))}
		})
	remote := pool(3000,
		func() [4]byte {
			return [4]byte{byte(1 + rng.IntN(223)), byte(rng.IntN(256)), byte(rng.IntN(256)), byte(rng.IntN(256))}
		},
		func() [16]byte {
			var a [16]byte
			a[0], a[1] = 0x2a, 0x00
			for i := 2; i < 16; i++ {
				a[i] = byte(rng.IntN(256))
			}
			return a
		})
	services := []string{"http", "ssl", "dns", "ssh", "ssl,http", "ntp"}
	states := []string{"SF", "SF", "SF", "S0", "REJ", "RSTO", "OTH", "S1"}
	histories := []string{"ShADadFf", "ShADadfF", "S", "ShR", "Dd", "ShADadttFf", "D"}
	recs := make([]connRec, 1<<16)
	ts := int64(openTS)
	for i := range recs {
		ts += rng.Int64N(5e6)
		r := connRec{
			ts:          ts,
			uid:         word('C', 17, alnum),
			origH:       local[rng.IntN(len(local))],
			origP:       uint16(32768 + rng.IntN(28000)),
			respH:       remote[rng.IntN(len(remote))],
			respP:       []uint16{80, 443, 53, 22, 123, 8080}[rng.IntN(6)],
			proto:       []string{"tcp", "tcp", "tcp", "udp"}[rng.IntN(4)],
			connState:   states[rng.IntN(len(states))],
			history:     histories[rng.IntN(len(histories))],
			origPkts:    uint64(1 + rng.IntN(100)),
			respPkts:    uint64(rng.IntN(200)),
			ipProto:     6,
			communityID: word('1', 28, b64),
		}
		r.communityID = "1:" + r.communityID[1:]
		if rng.IntN(3) > 0 {
			r.service = &services[rng.IntN(len(services))]
		}
		if r.connState != "S0" {
			d := rng.Int64N(int64(1) << rng.IntN(40))
			ob, rb := uint64(rng.Int64N(1<<rng.IntN(24))), uint64(rng.Int64N(1<<rng.IntN(30)))
			r.duration, r.origBytes, r.respBytes = &d, &ob, &rb
		}
		r.origIP = r.origPkts*40 + 100*uint64(rng.IntN(50))
		r.respIP = r.respPkts*40 + 1000*uint64(rng.IntN(50))
		lo, lr := rng.IntN(2) == 0, rng.IntN(2) == 0
		r.localOrig, r.localResp = &lo, &lr
		recs[i] = r
	}
	return recs
})
