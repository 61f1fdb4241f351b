package tls

import (
	"bytes"
	"strings"
	"testing"

	"github.com/weirnet/weir/core/analyzer"
	"github.com/weirnet/weir/core/event"
)

// handshake12 is a TLS 1.2 exchange: messages as the client and the server
// send them, in order.
func handshake12() (client1, server1, client2, server2 []byte) {
	ch := clientHelloMsg(versionTLSv12, nil, []uint16{0x0a0a, 0xc02f, 0xc030, 0x009c},
		[]ext{sniExt("www.example.test"), alpnExt("h2", "http/1.1"), groupsExt(29, 23), pointsExt(0),
			sigAlgsExt(0x0403, 0x0804), {extSessionTicket, nil}})
	sh := serverHelloMsg(versionTLSv12, nil, []byte{1, 2, 3}, 0xc02f, []ext{alpnExt("http/1.1"), {0xff01, []byte{0}}})
	ske := handshakeMsg(hsServerKeyExchange, append([]byte{3, 0, 29}, append(vec8(make([]byte, 32)), append(u16b(0x0804), vec16(make([]byte, 64))...)...)...))
	done := handshakeMsg(hsServerHelloDone, nil)
	server1 = tlsRecord(ctHandshake, versionTLSv12, append(append(append(append([]byte{}, sh...), certificateMsg(testCertDER)...), ske...), done...))
	cke := handshakeMsg(hsClientKeyExchange, vec8(make([]byte, 32)))
	client1 = tlsRecord(ctHandshake, versionTLSv10, ch)
	client2 = append(tlsRecord(ctHandshake, versionTLSv12, cke), tlsRecord(ctChangeCipherSpec, versionTLSv12, []byte{1})...)
	client2 = append(client2, tlsRecord(ctHandshake, versionTLSv12, make([]byte, 40))...) // encrypted Finished
	server2 = append(tlsRecord(ctChangeCipherSpec, versionTLSv12, []byte{1}), tlsRecord(ctHandshake, versionTLSv12, make([]byte, 40))...)
	return
}

func only(t *testing.T, sink *testSink) *event.TLS {
	t.Helper()
	if len(sink.events) != 1 {
		t.Fatalf("%d events, want 1", len(sink.events))
	}
	ev := sink.events[0]
	if ev.Kind != event.KindTLSHandshake || ev.TLS == nil || ev.Key != "CTestUID0000000001" {
		t.Fatalf("bad event %+v", ev)
	}
	return ev.TLS
}

func TestTLS12Handshake(t *testing.T) {
	s, sink := newTestSession(t, nil, event.TransportTCP)
	c1, s1, c2, s2 := handshake12()
	s.Stream(10, true, c1)
	s.Stream(20, false, s1)
	s.Stream(30, true, c2)
	if len(sink.events) != 0 {
		t.Fatal("logged before the server's Finished")
	}
	s.Stream(40, false, s2)
	r := only(t, sink)
	if sink.events[0].Time != 40 || r.TS != 10 {
		t.Errorf("event time %d, record ts %d; want 40, 10", sink.events[0].Time, r.TS)
	}
	want := event.TLS{Version: "TLSv12", Cipher: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", Curve: "x25519",
		ServerName: "www.example.test", NextProtocol: "http/1.1", Established: true, History: "CsxknGIi"}
	if r.Version != want.Version || r.Cipher != want.Cipher || r.Curve != want.Curve || r.ServerName != want.ServerName ||
		r.NextProtocol != want.NextProtocol || !r.Established || r.History != want.History || r.Resumed {
		t.Errorf("got %+v", r)
	}
	if len(r.CertChainFPs) != 1 || r.ClientCertChainFPs == nil || len(r.ClientCertChainFPs) != 0 {
		t.Errorf("fps %v / %v, want one and an empty vector", r.CertChainFPs, r.ClientCertChainFPs)
	}
	if r.Subject != testCertSubject || r.SNIMatchesCert != event.False {
		t.Errorf("subject %q sni match %v", r.Subject, r.SNIMatchesCert)
	}
	if sink.confirmed != 1 || !sink.skipped[0] || !sink.skipped[1] {
		t.Errorf("confirmed %d skipped %v", sink.confirmed, sink.skipped)
	}
	if !ja4Pattern.MatchString(r.JA4) || !strings.HasPrefix(r.JA4, "t12d0306h2_") || len(r.JA3) != 32 || len(r.JA3S) != 32 {
		t.Errorf("fingerprints %q %q %q", r.JA3, r.JA3S, r.JA4)
	}
	// After establishment the session ignores everything.
	s.Stream(50, true, []byte("garbage"))
	s.End(60)
	if len(sink.events) != 1 || sink.violation != "" {
		t.Errorf("events %d violation %q after establishment", len(sink.events), sink.violation)
	}
}

// The same exchange fed in every split of records over segments gives the
// same record: a ClientHello split over three records, records split over
// segments of one byte, and everything in one segment.
func TestReassembly(t *testing.T) {
	c1, s1, c2, s2 := handshake12()
	whole := func() *event.TLS {
		s, sink := newTestSession(t, nil, event.TransportTCP)
		s.Stream(1, true, c1)
		s.Stream(2, false, s1)
		s.Stream(3, true, c2)
		s.Stream(4, false, s2)
		return only(t, sink)
	}()
	// The ClientHello as three records.
	msg := c1[5:]
	var split []byte
	for _, part := range [][]byte{msg[:3], msg[3:50], msg[50:]} {
		split = append(split, tlsRecord(ctHandshake, versionTLSv10, part)...)
	}
	for _, chunk := range []int{1, 2, 3, 7, 100, 1 << 20} {
		s, sink := newTestSession(t, nil, event.TransportTCP)
		for _, step := range []struct {
			orig bool
			b    []byte
		}{{true, split}, {false, s1}, {true, c2}, {false, s2}} {
			for b := step.b; len(b) > 0; {
				n := min(chunk, len(b))
				s.Stream(5, step.orig, b[:n])
				b = b[n:]
			}
		}
		got := only(t, sink)
		if got.History != whole.History || got.ServerName != whole.ServerName || got.JA4 != whole.JA4 ||
			got.JA3 != whole.JA3 || got.Cipher != whole.Cipher || len(got.CertChainFPs) != 1 {
			t.Errorf("chunk %d: %+v, want %+v", chunk, got, whole)
		}
	}
}

func TestTLS13HelloRetryAndPSK(t *testing.T) {
	s, sink := newTestSession(t, nil, event.TransportTCP)
	ch := clientHelloMsg(versionTLSv12, make([]byte, 32), []uint16{0x1301},
		[]ext{sniExt("a.test", "b.test"), versionsExt(0x0304), {extPreSharedKey, []byte{0}}})
	s.Stream(1, true, tlsRecord(ctHandshake, versionTLSv10, ch))
	hrr := serverHelloMsg(versionTLSv12, hrrRandom, make([]byte, 32), 0x1301,
		[]ext{serverVersionExt(0x0304), {extKeyShare, u16b(23)}})
	sh := serverHelloMsg(versionTLSv12, nil, make([]byte, 32), 0x1301,
		[]ext{serverVersionExt(0x0304), serverKeyShareExt(29), {extPreSharedKey, u16b(0)}})
	s.Stream(2, false, tlsRecord(ctHandshake, versionTLSv12, hrr))
	s.Stream(3, true, tlsRecord(ctHandshake, versionTLSv12, ch))
	s.Stream(4, false, tlsRecord(ctHandshake, versionTLSv12, sh))
	s.Stream(5, false, tlsRecord(ctApplicationData, versionTLSv12, make([]byte, 30)))
	s.Stream(6, true, tlsRecord(ctApplicationData, versionTLSv12, make([]byte, 30)))
	r := only(t, sink)
	if r.Version != "TLSv13" || r.Curve != "x25519" || r.History != "CjCs" || !r.Resumed || !r.Established {
		t.Errorf("got %+v", r)
	}
	if r.ServerName != "a.test" || !strings.Contains(strings.Join(sink.weirds, " "), "SSL_many_server_names") {
		t.Errorf("server name %q weirds %v", r.ServerName, sink.weirds)
	}
}

func TestSSLv2ClientHello(t *testing.T) {
	s, sink := newTestSession(t, nil, event.TransportTCP)
	body := []byte{1, 0x03, 0x01} // client hello, TLS 1.0
	body = append(body, u16b(3)...)
	body = append(body, u16b(0)...)
	body = append(body, u16b(16)...)
	body = append(body, 0x01, 0x00, 0x80)
	body = append(body, make([]byte, 16)...)
	v2 := append([]byte{0x80 | byte(len(body)>>8), byte(len(body))}, body...)
	if detect(true, v2) != analyzer.Match {
		t.Fatal("SSLv2 hello not detected")
	}
	s.Stream(1, true, v2)
	s.Stream(2, false, tlsRecord(ctHandshake, versionTLSv10, serverHelloMsg(versionTLSv10, nil, nil, 4, nil)))
	s.End(3)
	r := only(t, sink)
	if r.History != "Cs" || r.Version != "TLSv10" || r.Cipher != "TLS_RSA_WITH_RC4_128_MD5" || r.JA3 != "" {
		t.Errorf("got %+v", r)
	}
}

func TestViolations(t *testing.T) {
	ch := tlsRecord(ctHandshake, versionTLSv10, clientHelloMsg(versionTLSv12, nil, []uint16{0x1301}, nil))
	tests := []struct {
		name    string
		orig    bool
		after   []byte
		reason  string
		history string
	}{
		{"not tls", false, []byte("HTTP/1.1 200 OK\r\n\r\n"), "Invalid version", "C"},
		{"unknown record type", false, tlsRecord(29, versionTLSv12, []byte{1}), "unknown SSL record type", "C"},
		{"bad late version", false, tlsRecord(ctAlert, 0x0400, []byte{2, 40}), "Invalid version late", "C"},
		{"unknown handshake type", false, tlsRecord(ctHandshake, versionTLSv12, handshakeMsg(99, nil)), "unknown handshake message", "C"},
		{"truncated server hello", false, tlsRecord(ctHandshake, versionTLSv12, handshakeMsg(hsServerHello, []byte{3, 3, 0})), "malformed server hello", "C"},
		{"bad server version", false, tlsRecord(ctHandshake, versionTLSv12, serverHelloMsg(0x0999, nil, nil, 0x1301, nil)), "unsupported server SSL version", "C"},
		{"16 MB certificate", false, tlsRecord(ctHandshake, versionTLSv12, append(handshakeMsg(hsCertificate, nil)[:1], 0xff, 0xff, 0xff, 0xff, 0xff)), "exceeds the limit", "C"},
		{"garbage after ccs", true, append(tlsRecord(ctChangeCipherSpec, versionTLSv12, []byte{1}), "garbage garbage"...), "Invalid version late", "CI"},
	}
	for _, tt := range tests {
		s, sink := newTestSession(t, nil, event.TransportTCP)
		s.Stream(1, true, ch)
		s.Stream(2, tt.orig, tt.after)
		s.Stream(3, false, tlsRecord(ctAlert, versionTLSv12, []byte{2, 40})) // ignored after the violation
		if !strings.Contains(sink.violation, tt.reason) {
			t.Errorf("%s: violation %q, want %q", tt.name, sink.violation, tt.reason)
			continue
		}
		if r := only(t, sink); r.History != tt.history || r.Established {
			t.Errorf("%s: %+v", tt.name, r)
		}
		if s.dirs[0].hs != nil || s.dirs[1].rec != nil {
			t.Errorf("%s: buffers kept after the violation", tt.name)
		}
	}
}

// A certificate message is buffered up to the limit, not beyond.
func TestHandshakeLimit(t *testing.T) {
	a, err := NewAnalyzer(Config{MaxHandshakeMessage: 4096})
	if err != nil {
		t.Fatal(err)
	}
	s, sink := newTestSession(t, a, event.TransportTCP)
	s.Stream(1, true, tlsRecord(ctHandshake, versionTLSv10, clientHelloMsg(versionTLSv12, nil, []uint16{0x1301}, nil)))
	big := handshakeMsg(hsCertificate, make([]byte, 8000))
	for i := 0; i < len(big) && sink.violation == ""; i += 1000 {
		s.Stream(2, false, tlsRecord(ctHandshake, versionTLSv12, big[i:min(i+1000, len(big))]))
		if cap(s.dirs[0].hs) > 4096+5000 {
			t.Fatalf("handshake buffer grew to %d", cap(s.dirs[0].hs))
		}
	}
	if !strings.Contains(sink.violation, "exceeds the limit of 4096") {
		t.Errorf("violation %q", sink.violation)
	}
}

func TestGapLogsAtEnd(t *testing.T) {
	s, sink := newTestSession(t, nil, event.TransportTCP)
	c1, s1, _, _ := handshake12()
	s.Stream(1, true, c1)
	s.Gap(2, false, 100)
	s.Stream(3, false, s1) // ignored, as Zeek ignores everything after a gap
	if len(sink.events) != 0 || !sink.skipped[0] || !sink.skipped[1] {
		t.Fatalf("events %d skipped %v", len(sink.events), sink.skipped)
	}
	s.End(4)
	if r := only(t, sink); r.History != "C" || sink.events[0].Time != 4 {
		t.Errorf("got %+v at %d", r, sink.events[0].Time)
	}
}

func TestNoRecordWithoutTLS(t *testing.T) {
	s, sink := newTestSession(t, nil, event.TransportTCP)
	s.Stream(1, true, []byte("GET / HTTP/1.1\r\n\r\n"))
	s.End(2)
	if len(sink.events) != 0 || sink.violation == "" {
		t.Errorf("events %d violation %q", len(sink.events), sink.violation)
	}
}

func TestDTLS(t *testing.T) {
	s, sink := newTestSession(t, nil, event.TransportUDP)
	ch := clientHelloMsg(versionDTLSv12, nil, []uint16{0xc02b}, []ext{sniExt("d.test"), {extConnectionID, vec8([]byte{9, 9, 9})}})
	// The ClientHello in three fragments, the last one first, and a
	// retransmitted duplicate in the middle.
	n := len(ch) - 4
	f1 := dtlsRecord(ctHandshake, versionDTLSv10, 0, 0, dtlsHandshake(ch, 0, 0, 20))
	f2 := dtlsRecord(ctHandshake, versionDTLSv10, 0, 1, dtlsHandshake(ch, 0, 20, 20))
	f3 := dtlsRecord(ctHandshake, versionDTLSv10, 0, 2, dtlsHandshake(ch, 0, 40, n-40))
	s.Datagram(1, true, f3)
	s.Datagram(1, true, f1)
	s.Datagram(1, true, f1)
	if len(s.info.history) != 0 {
		t.Fatalf("history %q before the last fragment", s.info.history)
	}
	s.Datagram(1, true, f2)
	sh := serverHelloMsg(versionDTLSv12, nil, nil, 0xc02b, []ext{{extConnectionID, vec8([]byte{7, 7})}})
	s.Datagram(2, false, dtlsRecord(ctHandshake, versionDTLSv12, 0, 0, dtlsHandshake(sh, 0, 0, len(sh)-4)))
	s.Datagram(3, true, dtlsRecord(ctChangeCipherSpec, versionDTLSv12, 0, 3, []byte{1}))
	s.Datagram(4, false, dtlsRecord(ctChangeCipherSpec, versionDTLSv12, 0, 1, []byte{1}))
	// A tls12_cid record from the client carries the server's 2-byte id.
	cid := []byte{ctTLS12CID, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 5, 7, 7}
	cid = append(cid, vec16(make([]byte, 24))...)
	s.Datagram(5, true, cid)
	r := only(t, sink)
	if r.Version != "DTLSv12" || r.History != "CsIi" || !r.Established || r.ServerName != "d.test" || !strings.HasPrefix(r.JA4, "dd2d") {
		t.Errorf("got %+v", r)
	}
}

func TestDTLS13UnifiedHeader(t *testing.T) {
	s, sink := newTestSession(t, nil, event.TransportUDP)
	ch := clientHelloMsg(versionDTLSv12, nil, []uint16{0x1301}, []ext{versionsExt(versionDTLSv13)})
	s.Datagram(1, true, dtlsRecord(ctHandshake, versionDTLSv12, 0, 0, dtlsHandshake(ch, 0, 0, len(ch)-4)))
	sh := serverHelloMsg(versionDTLSv12, nil, nil, 0x1301, []ext{serverVersionExt(versionDTLSv13), serverKeyShareExt(23)})
	// ServerHello and an encrypted record in one datagram: unified header
	// with a 16-bit sequence number and a length.
	d := dtlsRecord(ctHandshake, versionDTLSv12, 0, 0, dtlsHandshake(sh, 0, 0, len(sh)-4))
	d = append(d, 0x2c, 0, 1)
	d = append(d, vec16(make([]byte, 40))...)
	s.Datagram(2, false, d)
	s.Datagram(3, true, append([]byte{0x20, 5}, make([]byte, 30)...)) // 8-bit sequence, no length
	r := only(t, sink)
	if r.Version != "DTLSv13" || r.Curve != "secp256r1" || r.History != "Cs" || !r.Established {
		t.Errorf("got %+v", r)
	}
}

func TestDetect(t *testing.T) {
	ch := tlsRecord(ctHandshake, versionTLSv10, clientHelloMsg(versionTLSv12, nil, []uint16{0x1301}, nil))
	sh := tlsRecord(ctHandshake, versionTLSv12, serverHelloMsg(versionTLSv12, nil, nil, 0x1301, nil))
	dch := dtlsRecord(ctHandshake, versionDTLSv10, 0, 0, []byte{1, 0, 0, 0})
	tests := []struct {
		orig bool
		b    []byte
		want analyzer.Verdict
	}{
		{true, ch, analyzer.Match},
		{true, ch[:4], analyzer.NeedMore},
		{false, ch, analyzer.NoMatch},
		{false, sh, analyzer.Match},
		{true, dch, analyzer.Match},
		{true, dch[:10], analyzer.NeedMore},
		{true, []byte("GET / HTTP/1.1\r\n"), analyzer.NoMatch},
		{true, []byte{22, 3, 9, 0, 10, 1}, analyzer.NoMatch},
		{true, nil, analyzer.NeedMore},
	}
	for i, tt := range tests {
		if got := detect(tt.orig, tt.b); got != tt.want {
			t.Errorf("%d: %v, want %v", i, got, tt.want)
		}
	}
}

// Records wholly inside one Stream call are parsed in place: encrypted
// records of a side cost no allocation.
func TestStreamDoesNotAllocate(t *testing.T) {
	s, _ := newTestSession(t, nil, event.TransportTCP)
	c1, _, c2, _ := handshake12()
	s.Stream(1, true, c1)
	s.Stream(2, true, c2) // the client is now encrypted
	rec := bytes.Repeat(tlsRecord(ctApplicationData, versionTLSv12, make([]byte, 1000)), 4)
	if n := testing.AllocsPerRun(100, func() { s.Stream(3, true, rec) }); n != 0 {
		t.Errorf("%v allocations per call", n)
	}
	if n := testing.AllocsPerRun(100, func() {
		for i := 0; i < len(rec); i += 700 {
			s.Stream(3, true, rec[i:min(i+700, len(rec))])
		}
	}); n != 0 {
		t.Errorf("%v allocations per split call", n)
	}
}

// A peer cannot make the session keep an unbounded certificate list.
func TestCertificateChainBound(t *testing.T) {
	s, sink := newTestSession(t, nil, event.TransportTCP)
	s.Stream(1, true, tlsRecord(ctHandshake, versionTLSv10, clientHelloMsg(versionTLSv12, nil, []uint16{0xc02f}, nil)))
	s.Stream(2, false, tlsRecord(ctHandshake, versionTLSv12, serverHelloMsg(versionTLSv12, nil, nil, 0xc02f, nil)))
	empty := make([][]byte, 5000) // 5000 zero-length certificates per message
	for i := 0; i < 5; i++ {
		msg := certificateMsg(empty...)
		for j := 0; j < len(msg); j += 16000 {
			s.Stream(3, false, tlsRecord(ctHandshake, versionTLSv12, msg[j:min(j+16000, len(msg))]))
		}
	}
	if len(s.info.serverCerts) != maxCertificates || !strings.Contains(strings.Join(sink.weirds, " "), "SSL_too_many_certificates") {
		t.Errorf("%d certificates kept, weirds %v", len(s.info.serverCerts), sink.weirds)
	}
	s.End(4)
	if r := only(t, sink); r.CertChainFPs == nil || len(r.CertChainFPs) != 0 {
		t.Errorf("fps %v: unparsable certificates have no fingerprint", r.CertChainFPs)
	}
}
