package linebuf

import (
	"bytes"
	"strings"
	"testing"
)

// lines feeds chunks and collects the lines and truncation flags.
func lines(r *Reader, chunks ...string) (out []string, cut []bool) {
	for _, c := range chunks {
		b := []byte(c)
		for {
			line, rest, tr, ok := r.Next(b)
			if !ok {
				break
			}
			out = append(out, string(line))
			cut = append(cut, tr)
			b = rest
		}
	}
	return out, cut
}

func TestNext(t *testing.T) {
	cases := []struct {
		name   string
		max    int
		chunks []string
		want   []string
		cut    []bool
	}{
		{"whole", 100, []string{"a\r\nbb\ncc\r\n"}, []string{"a", "bb", "cc"}, []bool{false, false, false}},
		{"split", 100, []string{"US", "ER x", "\r", "\nPASS", " y\r\n"}, []string{"USER x", "PASS y"}, []bool{false, false}},
		{"empty", 100, []string{"\r\n\n"}, []string{"", ""}, []bool{false, false}},
		{"no-eol-kept", 100, []string{"abc"}, nil, nil},
		{"long-whole", 4, []string{"abcdefgh\nxy\n"}, []string{"abcd", "xy"}, []bool{true, false}},
		{"long-split", 4, []string{"abc", "defgh", "ij\nxy\n"}, []string{"abcd", "xy"}, []bool{true, false}},
		{"exact-max-crlf", 4, []string{"abcd\r\n"}, []string{"abcd"}, []bool{false}},
		{"exact-max-crlf-split", 4, []string{"ab", "cd\r", "\n"}, []string{"abcd"}, []bool{false}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := New(c.max)
			got, cut := lines(&r, c.chunks...)
			if strings.Join(got, "|") != strings.Join(c.want, "|") || len(got) != len(c.want) {
				t.Fatalf("lines %q, want %q", got, c.want)
			}
			for i := range cut {
				if cut[i] != c.cut[i] {
					t.Errorf("line %d truncated=%v, want %v", i, cut[i], c.cut[i])
				}
			}
		})
	}
}

// A hostile stream without newlines never makes the Reader hold more than
// its bound.
func TestBounded(t *testing.T) {
	r := New(64)
	chunk := bytes.Repeat([]byte("x"), 1000)
	for range 100 {
		if _, _, _, ok := r.Next(chunk); ok {
			t.Fatal("line without newline returned")
		}
		if r.Pending() > 65 || cap(r.buf) > 130 {
			t.Fatalf("pending %d cap %d beyond bound", r.Pending(), cap(r.buf))
		}
	}
	line, _, tr, ok := r.Next([]byte("\n"))
	if !ok || !tr || len(line) != 64 {
		t.Fatalf("got %d bytes truncated=%v ok=%v", len(line), tr, ok)
	}
}

// Whole lines in one delivery are not copied.
func TestNoAllocWhole(t *testing.T) {
	r := New(512)
	b := []byte("CAPA\r\nUSER bob\r\nPASS x\r\n")
	n := testing.AllocsPerRun(100, func() {
		p := b
		for {
			_, rest, _, ok := r.Next(p)
			if !ok {
				break
			}
			p = rest
		}
	})
	if n != 0 {
		t.Fatalf("%v allocs per run", n)
	}
}

func FuzzNext(f *testing.F) {
	f.Add([]byte("USER a\r\nPASS b\r\n"), uint8(3))
	f.Add([]byte("\r\r\n\n\r"), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, split uint8) {
		r := New(16)
		var whole []string
		// Reference: split the full input at newlines.
		parts := bytes.Split(data, []byte("\n"))
		for _, p := range parts[:len(parts)-1] {
			p = bytes.TrimSuffix(p, []byte("\r"))
			if len(p) > 16 {
				p = p[:16]
			}
			whole = append(whole, string(p))
		}
		k := int(split) % (len(data) + 1)
		got, _ := lines(&r, string(data[:k]), string(data[k:]))
		if strings.Join(got, "\x00") != strings.Join(whole, "\x00") || len(got) != len(whole) {
			t.Fatalf("split at %d: %q, want %q", k, got, whole)
		}
		if r.Pending() > 17 {
			t.Fatalf("pending %d", r.Pending())
		}
	})
}
