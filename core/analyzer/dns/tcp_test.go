package dns

import (
	"encoding/binary"
	"slices"
	"testing"

	"github.com/weirnet/weir/core/event"
)

func tcpID() event.ConnID {
	id := udpID(53)
	id.Proto = event.TransportTCP
	return id
}

// framed prefixes a message with its two-byte length.
func framed(msgs ...[]byte) []byte {
	var b []byte
	for _, m := range msgs {
		b = binary.BigEndian.AppendUint16(b, uint16(len(m)))
		b = append(b, m...)
	}
	return b
}

// TestTCPFraming feeds the same conversation (two queries, then two
// replies, on one connection) cut into segments in different ways.
func TestTCPFraming(t *testing.T) {
	q1, q2 := query(1, "one.example"), query(2, "two.example")
	r1, r2 := answer(1, "one.example", 1), answer(2, "two.example", 2)
	orig, resp := framed(q1, q2), framed(r2, r1)
	cuts := map[string]func([]byte) [][]byte{
		"whole": func(b []byte) [][]byte { return [][]byte{b} },
		"byte by byte": func(b []byte) [][]byte {
			var out [][]byte
			for i := range b {
				out = append(out, b[i:i+1])
			}
			return out
		},
		"length prefix split": func(b []byte) [][]byte { return [][]byte{b[:1], b[1:3], b[3:]} },
		"mid message":         func(b []byte) [][]byte { return [][]byte{b[:10], b[10 : len(b)-5], b[len(b)-5:]} },
	}
	for name, cut := range cuts {
		t.Run(name, func(t *testing.T) {
			s, k := testSession(t, nil, tcpID())
			for _, seg := range cut(orig) {
				s.Stream(1*second, true, seg)
			}
			for _, seg := range cut(resp) {
				s.Stream(2*second, false, seg)
			}
			end(s, k, 3)
			var got []string
			for _, d := range k.records() {
				got = append(got, d.Query+" "+d.Answers[0])
				if d.Proto != event.TransportTCP {
					t.Errorf("proto %v", d.Proto)
				}
			}
			want := []string{"two.example 192.0.2.2", "one.example 192.0.2.1"}
			if !slices.Equal(got, want) {
				t.Errorf("records %q, want %q", got, want)
			}
			if len(k.weirds) != 0 {
				t.Errorf("weirds %q", k.weirds)
			}
		})
	}
}

// TestTCPBuffersOnlySplitMessages checks that whole messages are parsed in
// place and only a split one is copied.
func TestTCPBuffersOnlySplitMessages(t *testing.T) {
	s, k := testSession(t, nil, tcpID())
	b := framed(query(1, "a.example"), query(2, "b.example"))
	s.Stream(1, true, b)
	if n := len(s.s.tcp[0].buf); n != 0 {
		t.Errorf("%d bytes buffered after whole messages", n)
	}
	s.Stream(1, true, b[:7])
	if n := len(s.s.tcp[0].buf); n != 5 {
		t.Errorf("%d bytes buffered of a split message, want 5", n)
	}
	end(s, k, 2)
}

func TestTCPZeroLengthMessage(t *testing.T) {
	s, k := testSession(t, nil, tcpID())
	s.Stream(1, true, append([]byte{0, 0}, framed(query(1, "a.example"))...))
	end(s, k, 2)
	if !k.hasWeird("DNS_truncated_len_lt_hdr_len") || len(k.records()) != 1 {
		t.Errorf("weirds %q, %d records", k.weirds, len(k.records()))
	}
}

// TestTCPGap checks gaps: inside a message of known length the message is
// dropped and the next one parsed; a gap that may hide a length prefix
// stops the direction.
func TestTCPGap(t *testing.T) {
	q1, q2 := query(1, "one.example"), query(2, "two.example")
	t.Run("inside a message", func(t *testing.T) {
		s, k := testSession(t, nil, tcpID())
		b := framed(q1, q2)
		s.Stream(1, true, b[:6])
		s.Gap(1, true, 10)
		s.Stream(1, true, b[16:])
		end(s, k, 2)
		recs := k.records()
		if len(recs) != 1 || recs[0].TransID != 2 {
			t.Errorf("records %v, want only the second query", recs)
		}
		if len(k.skips) != 0 {
			t.Errorf("skips %v", k.skips)
		}
	})
	t.Run("ending a message", func(t *testing.T) {
		s, k := testSession(t, nil, tcpID())
		b := framed(q1, q2)
		s.Stream(1, true, b[:6])
		s.Gap(1, true, uint64(2+len(q1)-6))
		s.Stream(1, true, b[2+len(q1):])
		end(s, k, 2)
		if recs := k.records(); len(recs) != 1 || recs[0].TransID != 2 {
			t.Errorf("records %v", recs)
		}
	})
	t.Run("across a boundary", func(t *testing.T) {
		s, k := testSession(t, nil, tcpID())
		b := framed(q1, q2)
		s.Stream(1, true, b[:6])
		s.Gap(1, true, uint64(len(q1)))
		s.Stream(1, true, b[2+len(q1)+4:])
		end(s, k, 2)
		if len(k.records()) != 0 {
			t.Errorf("records %v", k.records())
		}
		if !slices.Equal(k.skips, []bool{true}) {
			t.Errorf("skips %v, want the originator's direction skipped", k.skips)
		}
	})
}

// TestTCPPartialAtEnd checks that a message cut short by the end of the
// connection is still parsed, as Zeek flushes it when the connection
// closes.
func TestTCPPartialAtEnd(t *testing.T) {
	s, k := testSession(t, nil, tcpID())
	b := framed(query(1, "one.example"))
	s.Stream(1, true, b[:len(b)-2])
	end(s, k, 2)
	// The question lacks its class: Zeek raises no request for it, so the
	// record has only the header's data.
	recs := k.records()
	if len(recs) != 1 || recs[0].TransID != 1 || recs[0].HasQuery {
		t.Errorf("records %v", recs)
	}
	if !k.hasWeird("DNS_truncated_quest_too_short") {
		t.Errorf("weirds %q", k.weirds)
	}
}
