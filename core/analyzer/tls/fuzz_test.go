package tls

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weirnet/weir/core/event"
)

// checkBounds fails when a session holds more than its limits allow.
func checkBounds(t *testing.T, s *session, sink *testSink) {
	for i := range s.dirs {
		d := &s.dirs[i]
		if len(d.rec) > 5+65535 || len(d.hs) > 4+s.cfg.MaxHandshakeMessage+5+65535 || len(d.frag.buf) > s.cfg.MaxHandshakeMessage {
			t.Fatalf("buffers over their bounds: rec %d hs %d frag %d", len(d.rec), len(d.hs), len(d.frag.buf))
		}
	}
	if len(s.info.history) > s.cfg.MaxHistory+64 {
		t.Fatalf("history of %d letters", len(s.info.history))
	}
	if len(sink.events) > 1 {
		t.Fatalf("%d records for one connection", len(sink.events))
	}
	for _, ev := range sink.events {
		if r := ev.TLS; r.JA4 != "" && !ja4Pattern.MatchString(r.JA4) {
			t.Fatalf("malformed JA4 %q", r.JA4)
		}
	}
}

// FuzzRecordLayer feeds a TCP connection: data[:cut] from the client, the
// rest from the server, in segments of step bytes, interleaved.
func FuzzRecordLayer(f *testing.F) {
	c1, s1, c2, s2 := handshake12()
	f.Add(append(append([]byte{}, c1...), c2...), uint16(len(c1)+len(c2)), uint8(7))
	f.Add(append(append(append([]byte{}, c1...), c2...), append(append([]byte{}, s1...), s2...)...), uint16(len(c1)+len(c2)), uint8(255))
	f.Fuzz(func(t *testing.T, data []byte, cut uint16, step uint8) {
		s, sink := newTestSession(t, nil, event.TransportTCP)
		c := min(int(cut), len(data))
		client, server := data[:c], data[c:]
		n := int(step) + 1
		for len(client) > 0 || len(server) > 0 {
			k := min(n, len(client))
			s.Stream(1, true, client[:k])
			client = client[k:]
			k = min(n, len(server))
			s.Stream(2, false, server[:k])
			server = server[k:]
			checkBounds(t, s, sink)
		}
		s.End(3)
		checkBounds(t, s, sink)
	})
}

// FuzzHandshake feeds one handshake message of each direction after a
// valid client hello, over TLS and over DTLS.
func FuzzHandshake(f *testing.F) {
	f.Add(byte(hsServerHello), serverHelloMsg(versionTLSv12, nil, nil, 0xc02f, []ext{alpnExt("h2")})[4:], false)
	f.Add(byte(hsCertificate), certificateMsg(testCertDER)[4:], false)
	f.Fuzz(func(t *testing.T, typ byte, body []byte, dtls bool) {
		proto := event.TransportTCP
		if dtls {
			proto = event.TransportUDP
		}
		s, sink := newTestSession(t, nil, proto)
		s.handshake(1, true, versionTLSv10, hsClientHello, clientHelloMsg(versionTLSv12, nil, []uint16{0xc02f}, nil)[4:])
		s.handshake(2, false, versionTLSv12, typ, body)
		s.handshake(3, true, versionTLSv12, typ, body)
		if dtls {
			s.Datagram(4, false, body)
			s.Datagram(5, true, body)
		}
		s.End(6)
		checkBounds(t, s, sink)
	})
}

// FuzzFingerprint parses arbitrary ClientHello bodies: the fingerprints
// must be well-formed whenever they are computed.
func FuzzFingerprint(f *testing.F) {
	f.Add(clientHelloMsg(versionTLSv12, nil, []uint16{0x0a0a, 0x1301}, []ext{sniExt("a.test"), alpnExt("h2"), versionsExt(0x0304)})[4:], false)
	f.Fuzz(func(t *testing.T, body []byte, dtls bool) {
		proto := event.TransportTCP
		if dtls {
			proto = event.TransportUDP
		}
		s, sink := newTestSession(t, nil, proto)
		s.handshake(1, true, versionTLSv10, hsClientHello, body)
		if s.info.fingerprinted {
			if len(s.info.ja3) != 32 || !ja4Pattern.MatchString(s.info.ja4) {
				t.Fatalf("ja3 %q ja4 %q", s.info.ja3, s.info.ja4)
			}
			if dtls != strings.HasPrefix(s.info.ja4, "d") {
				t.Fatalf("ja4 %q for dtls=%v", s.info.ja4, dtls)
			}
		}
		s.End(2)
		checkBounds(t, s, sink)
	})
}

var writeSeeds = flag.Bool("write-seeds", false, "rewrite testdata/fuzz seed corpora from the real captures")

// TestWriteFuzzSeeds writes the fuzz targets' seed corpora from real
// handshakes (the real_tls_*.pcap captures): go test -run TestWriteFuzzSeeds -write-seeds.
func TestWriteFuzzSeeds(t *testing.T) {
	if !*writeSeeds {
		t.Skip("run with -write-seeds to rewrite the seed corpora")
	}
	write := func(target, name string, values ...any) {
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		b.WriteString("go test fuzz v1\n")
		for _, v := range values {
			switch v := v.(type) {
			case []byte:
				fmt.Fprintf(&b, "[]byte(%q)\n", v)
			case uint16:
				fmt.Fprintf(&b, "uint16(%d)\n", v)
			case uint8:
				fmt.Fprintf(&b, "byte(%d)\n", v)
			case bool:
				fmt.Fprintf(&b, "bool(%v)\n", v)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, file := range []string{"real_tls_13.pcap", "real_tls_12.pcap", "real_tls_dtls.pcap"} {
		c := runCapture(t, realCapture(file), nil)
		base := strings.TrimSuffix(file, ".pcap")
		for i, fl := range c.flows {
			name := fmt.Sprintf("%s-%d", base, i)
			if fl.tcp && len(fl.raw[1]) > 0 {
				cl, sv := fl.raw[1], fl.raw[0]
				write("FuzzRecordLayer", name, append(append([]byte{}, cl...), sv...), uint16(len(cl)), uint8(200))
				if len(cl) > 9 && cl[0] == ctHandshake && cl[5] == hsClientHello {
					n := min(len(cl)-9, be24(cl[6:]))
					write("FuzzFingerprint", name, cl[9:9+n], false)
				}
				if len(sv) > 9 && sv[0] == ctHandshake {
					n := min(len(sv)-9, be24(sv[6:]))
					write("FuzzHandshake", name, sv[5], sv[9:9+n], false)
				}
			}
			for j, d := range fl.dgrams {
				if len(d) > 26 && d[1] == ctHandshake {
					write("FuzzHandshake", fmt.Sprintf("%s-%d", name, j), d[14], d[26:], true)
					if d[14] == hsClientHello && j == 0 {
						write("FuzzFingerprint", fmt.Sprintf("%s-%d", name, j), d[26:], true)
					}
				}
			}
		}
	}
}
