package tls

import (
	"errors"
	"io"
	"path/filepath"
	"testing"

	"github.com/weirnet/weir/core/analyzer"
	"github.com/weirnet/weir/core/analyzer/imap"
	"github.com/weirnet/weir/core/analyzer/irc"
	"github.com/weirnet/weir/core/analyzer/xmpp"
	"github.com/weirnet/weir/core/conn"
	"github.com/weirnet/weir/core/decode"
	"github.com/weirnet/weir/core/event"
	"github.com/weirnet/weir/sources"
	"github.com/weirnet/weir/sources/file"
)

// trackCapture runs a capture through the real decoder and connection
// tracker with this analyzer attached, as the engine does.
func trackCapture(t *testing.T, path string) []*event.TLS {
	t.Helper()
	src, err := file.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	a, err := NewAnalyzer(Config{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := conn.DefaultConfig()
	cfg.Analyzers = []analyzer.Analyzer{a}
	// The protocols that hand their connection over with STARTTLS.
	im, err1 := imap.New(imap.DefaultConfig())
	ir, err2 := irc.New(irc.DefaultConfig())
	xm, err3 := xmpp.New(xmpp.DefaultConfig())
	if err := errors.Join(err1, err2, err3); err != nil {
		t.Fatal(err)
	}
	cfg.Analyzers = append(cfg.Analyzers, im, ir, xm)
	tr := conn.NewTracker(cfg)
	dec := decode.NewDecoder(decode.Config{}) // checksums not checked, as zeek -C
	var recs []*event.TLS
	take := func() {
		for _, ev := range tr.TakeEvents() {
			if ev.Kind == event.KindTLSHandshake {
				recs = append(recs, ev.TLS)
			}
		}
	}
	var f sources.Frame
	var p decode.Packet
	var now int64
	for {
		if err := src.Next(&f); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
			break
		}
		p = decode.Packet{TS: f.TS, Link: f.Link, Data: f.Data, WireLen: f.WireLen, Iface: f.Iface}
		dec.Decode(&p)
		now = max(now, f.TS)
		if p.Status == decode.OK {
			tr.Packet(&p, now)
		}
		take()
	}
	tr.Flush(now)
	take()
	return recs
}

// TestWithTracker checks the analyzer behind the real tracker (detection,
// reassembly, Skip after establishment) against the harness and against
// Zeek's references, STARTTLS cases included (IMAP, IRC and XMPP hand the
// connection over).
func TestWithTracker(t *testing.T) {
	for _, f := range []string{"real_tls_13.pcap", "real_tls_12.pcap", "real_tls_dtls.pcap"} {
		got := trackCapture(t, realCapture(f))
		want := runCapture(t, realCapture(f), nil).records()
		if len(got) != len(want) {
			t.Errorf("%s: %d records behind the tracker, %d in the harness", f, len(got), len(want))
			continue
		}
		byPort := map[uint16]string{}
		for _, r := range want {
			byPort[r.ID.OrigP] = summary(r) + r.JA3 + r.JA4
		}
		for _, r := range got {
			if s := summary(r) + r.JA3 + r.JA4; s != byPort[r.ID.OrigP] {
				t.Errorf("%s: behind the tracker\n %s\nharness\n %s", f, s, byPort[r.ID.OrigP])
			}
		}
	}
	dir := conformanceDir()
	for _, c := range conformanceCases(t) {
		recs := trackCapture(t, filepath.Join(dir, c, "trace.pcap"))
		diffs, _ := compareWithZeek(recs, readZeekLog(t, filepath.Join(dir, c, "ssl.log")))
		for _, d := range diffs {
			t.Errorf("%s: %s", c, d)
		}
	}
}
