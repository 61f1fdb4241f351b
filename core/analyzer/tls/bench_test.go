package tls

import (
	"testing"

	"github.com/weirnet/weir/core/event"
)

// BenchmarkHandshake12 measures a whole TLS 1.2 handshake (certificate
// parsing and fingerprints included) up to the emitted record.
func BenchmarkHandshake12(b *testing.B) {
	c1, s1, c2, s2 := handshake12()
	a, _ := NewAnalyzer(Config{})
	b.ReportAllocs()
	for b.Loop() {
		s, _ := newTestSession(b, a, event.TransportTCP)
		s.Stream(1, true, c1)
		s.Stream(2, false, s1)
		s.Stream(3, true, c2)
		s.Stream(4, false, s2)
	}
}

// BenchmarkCiphertext measures encrypted records of one side before the
// session is established (after it, the tracker skips the bytes).
func BenchmarkCiphertext(b *testing.B) {
	s, _ := newTestSession(b, nil, event.TransportTCP)
	c1, _, c2, _ := handshake12()
	s.Stream(1, true, c1)
	s.Stream(2, true, c2)
	rec := tlsRecord(ctApplicationData, versionTLSv12, make([]byte, 1400))
	b.SetBytes(int64(len(rec)))
	b.ReportAllocs()
	for b.Loop() {
		s.Stream(3, true, rec)
	}
}
