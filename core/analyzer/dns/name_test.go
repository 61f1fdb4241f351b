package dns

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestNames checks name decompression and Zeek's handling of malformed
// names: where the name ends, and which weird says why.
func TestNames(t *testing.T) {
	long := strings.Repeat("a", 63)
	tests := []struct {
		name   string
		msg    func() []byte
		want   string // the query of the record
		weirds []string
	}{
		{
			name: "pointer chain within limit",
			msg: func() []byte {
				// Question "example.com", then an answer whose CNAME
				// points at a name that points at the question.
				m := newMsg(1, fQR).q("example.com", typeA, 1)
				m.rr(1, ptr(12), typeCNAME, 1, 1, cat([]byte{1, 'b'}, ptr(12)))
				return m.bytes()
			},
			want: "example.com",
		},
		{
			name: "pointer to itself",
			msg: func() []byte {
				m := newMsg(1, 0)
				m.b = append(m.b, ptr(12)...)
				m.b = append(m.b, 0, 1, 0, 1)
				m.count(0)
				return m.bytes()
			},
			want:   "",
			weirds: []string{"DNS_label_forward_compress_offset"},
		},
		{
			name: "forward pointer",
			msg: func() []byte {
				return newMsg(1, 0).qRaw(cat([]byte{1, 'a'}, ptr(40)), typeA, 1).bytes()
			},
			want:   "a",
			weirds: []string{"DNS_label_forward_compress_offset"},
		},
		{
			name: "label of 64 bytes",
			msg: func() []byte {
				return newMsg(1, 0).qRaw(cat([]byte{64}, bytes.Repeat([]byte{'x'}, 64), []byte{0}), typeA, 1).bytes()
			},
			want:   "",
			weirds: []string{"DNS_label_too_long"},
		},
		{
			name: "name of 255 bytes and more",
			msg: func() []byte {
				return newMsg(1, 0).q(strings.Join([]string{long, long, long, long, "b"}, "."), typeA, 1).bytes()
			},
			want:   strings.Join([]string{long, long, long, long, "b"}, "."),
			weirds: []string{"DNS_NAME_too_long"},
		},
		{
			name: "label past the end of the message",
			msg: func() []byte {
				m := newMsg(1, 0)
				m.b = append(m.b, 9, 'a', 'b', 'c')
				m.count(0)
				return m.bytes()
			},
			weirds: []string{"DNS_label_len_gt_pkt", "DNS_truncated_quest_too_short"},
		},
		{
			name: "mixed case is lowered",
			msg: func() []byte {
				return newMsg(1, 0).q("MiXeD.Example", typeA, 1).bytes()
			},
			want: "mixed.example",
		},
		{
			name: "binary label bytes are kept",
			msg: func() []byte {
				return newMsg(1, 0).qRaw([]byte{3, 'a', '.', 0xff, 0}, typeA, 1).bytes()
			},
			want: "a.\xff",
		},
		{
			name: "root",
			msg: func() []byte {
				return newMsg(1, 0).q("", typeNS, 1).bytes()
			},
			want: "",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, k := testSession(t, nil, udpID(53))
			dg(s, k, 1, true, tc.msg())
			end(s, k, 2)
			if !slices.Equal(k.weirds, tc.weirds) {
				t.Errorf("weirds %q, want %q", k.weirds, tc.weirds)
			}
			recs := k.records()
			if len(recs) != 1 {
				t.Fatalf("%d records", len(recs))
			}
			if recs[0].Query != tc.want {
				t.Errorf("query %q, want %q", recs[0].Query, tc.want)
			}
		})
	}
}

// TestCompressionChainDepth checks that a long chain of pointers (each
// pointing at the one before, which is legal) ends at the configured depth
// with a weird, and that the work per name stays bounded.
func TestCompressionChainDepth(t *testing.T) {
	m := newMsg(1, fQR).q("a", typeA, 1)
	prev := 12
	for i := 0; i < 30; i++ {
		at := len(m.b)
		m.rr(1, cat([]byte{1, 'x'}, ptr(prev)), typeA, 1, 1, []byte{192, 0, 2, 1})
		prev = at
	}
	s, k := testSession(t, nil, udpID(53))
	dg(s, k, 1, false, m.bytes())
	end(s, k, 2)
	if !k.hasWeird("DNS_compression_chain_too_deep") {
		t.Errorf("weirds %q", k.weirds)
	}
	recs := k.records()
	if len(recs) != 1 || len(recs[0].Answers) != 30 {
		t.Fatalf("records %v", recs)
	}
	// The owner of the 21st answer follows 21 pointers: cut at 20.
	if q := recs[0].Query; q != "x.a" {
		t.Errorf("query %q", q)
	}
}

// TestNameBufferBound checks that a name longer than Zeek's 512-byte buffer
// ends there (DNS_label_len_gt_name_len) rather than growing.
func TestNameBufferBound(t *testing.T) {
	var labels []string
	for i := 0; i < 10; i++ {
		labels = append(labels, strings.Repeat(string(rune('a'+i)), 63))
	}
	s, k := testSession(t, nil, udpID(53))
	dg(s, k, 1, true, newMsg(1, 0).q(strings.Join(labels, "."), typeA, 1).bytes())
	end(s, k, 2)
	if !k.hasWeird("DNS_label_len_gt_name_len") || !k.hasWeird("DNS_NAME_too_long") {
		t.Errorf("weirds %q", k.weirds)
	}
}

// TestHostileMessageBounded checks the work and memory one maximal TCP
// message can cause: thousands of records whose names each expand, through
// compression, to a long name. The answer text is capped per record.
func TestHostileMessageBounded(t *testing.T) {
	long := strings.Join([]string{strings.Repeat("a", 63), strings.Repeat("b", 63), strings.Repeat("c", 63), strings.Repeat("d", 60)}, ".")
	m := newMsg(1, fQR).q(long, typeA, 1)
	for len(m.b) < 65535-14 {
		m.rr(1, ptr(12), typeCNAME, 1, 1, ptr(12))
	}
	cfg := DefaultConfig()
	cfg.MaxAnswerBytes = 64 << 10
	s, k := testSession(t, &cfg, tcpID())
	start := time.Now()
	s.Stream(1, false, framed(m.bytes()))
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("one message took %v", d)
	}
	if !k.hasWeird("DNS_answers_truncated") {
		t.Errorf("weirds %q", k.weirds)
	}
	if held := s.s.held; held > 2*cfg.MaxAnswerBytes {
		t.Errorf("holding %d bytes", held)
	}
	end(s, k, 2)
	recs := k.records()
	if len(recs) != 1 || len(recs[0].Answers) == 0 || len(recs[0].Answers) > cfg.MaxAnswerBytes/len(long) {
		t.Fatalf("%d records", len(recs))
	}
}
