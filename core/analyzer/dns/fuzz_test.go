package dns

import (
	"testing"

	"github.com/weirnet/weir/core/event"
)

// FuzzDNSMessage feeds arbitrary bytes to the analyzer as UDP messages in
// both directions (on port 53 and on NetBIOS's 137) and as a TCP stream cut
// in two, and to Detect. The seed corpus in testdata/fuzz/FuzzDNSMessage
// holds real messages from testdata/pcaps/real_dns_basic.pcap (written by
// TestWriteFuzzSeeds) and Zeek's test traces' kinds of records; f.Add adds
// the edge cases the table tests build.
func FuzzDNSMessage(f *testing.F) {
	for _, b := range [][]byte{
		benchQuery, benchReply,
		newMsg(1, fQR).q("example.com", typeA, 1).rr(1, ptr(12), typeCNAME, 1, 1, cat([]byte{1, 'b'}, ptr(12))).bytes(),
		newMsg(1, 0).qRaw(cat([]byte{1, 'a'}, ptr(40)), typeA, 1).bytes(),
		newMsg(77, opFlags(opUpdate)|fQR|5).q("example.org", typeSOA, 1).
			rr(1, wire("h.example.org"), typeCNAME, classNONE, 0, nil).
			rr(2, wire("h.example.org"), typeA, 1, 1200, []byte{192, 0, 2, 10}).bytes(),
		newMsg(2, fQR).q("x", typeTXT, 1).an("x", typeTXT, 1, []byte{5, 'a'}).bytes(),
		newMsg(3, fQR).q("x", typeRRSIG, 1).an("x", typeRRSIG, 1, cat(u16(1), []byte{8, 2}, make([]byte, 14), wire("a"))).bytes(),
		newMsg(4, fQR).q("x", typeOPT, 1).an("x", typeOPT, 1, cat(u16(10), u16(80))).bytes(),
	} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, port := range []uint16{53, 137} {
			s, k := testSession(t, nil, udpID(port))
			s.s.a.Detect(true, b)
			dg(s, k, 1, true, b)
			dg(s, k, 2, false, b)
			if s.s != nil && s.s.held < 0 {
				t.Fatalf("held %d", s.s.held)
			}
			end(s, k, 3)
			check(t, k)
		}
		s, k := testSession(t, nil, tcpID())
		half := len(b) / 2
		s.Stream(1, true, b[:half])
		s.Stream(1, true, b[half:])
		s.Stream(2, false, b)
		end(s, k, 3)
		check(t, k)
	})
}

// check asserts what must hold of any record.
func check(t *testing.T, k *testSink) {
	t.Helper()
	for _, ev := range k.events {
		if ev.Kind != event.KindDNSMessage {
			t.Fatalf("event kind %v", ev.Kind)
		}
		d := ev.DNS
		if len(d.Answers) != len(d.TTLs) {
			t.Fatalf("%d answers, %d TTLs", len(d.Answers), len(d.TTLs))
		}
		if d.Answers != nil && len(d.Answers) == 0 {
			t.Fatal("empty, not unset, answers")
		}
		for _, a := range d.Answers {
			if a == "" {
				t.Fatal("empty answer text")
			}
		}
		if d.HasQType != (d.QTypeName != "") || d.HasRCode != (d.RCodeName != "") || d.OpcodeName == "" {
			t.Fatalf("names inconsistent: %+v", d)
		}
		if d.HasRTT && d.RTT == 0 {
			t.Fatal("zero rtt set")
		}
	}
}
