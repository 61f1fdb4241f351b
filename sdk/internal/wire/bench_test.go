package wire

import "testing"

// BenchmarkDecodeConn decodes batches of 512 ConnEnd events with every
// field set.
func BenchmarkDecodeConn(b *testing.B) {
	evs := sample()[1:2]
	var all = evs
	for range 511 {
		all = append(all, evs...)
	}
	data := AppendBatch(nil, 1, false, all)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(data); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(all)), "ns/event")
}

// BenchmarkEncodeConn encodes them.
func BenchmarkEncodeConn(b *testing.B) {
	evs := sample()[1:2]
	var e Encoder
	for b.Loop() {
		e.Reset()
		for range 512 {
			e.Append(&evs[0])
		}
		e.Finish(1, false)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*512), "ns/event")
}
