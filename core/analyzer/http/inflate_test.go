package http

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"math/rand/v2"
	"testing"
)

// testInputs are bodies of different shapes: text (dynamic blocks with
// long matches), random bytes (stored blocks), empty, tiny.
func testInputs() map[string][]byte {
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 100000)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	var text bytes.Buffer
	for i := 0; text.Len() < 200000; i++ {
		text.WriteString("line ")
		text.WriteString(itoa(i % 97))
		text.WriteString(" of some repetitive text for the compressor\n")
	}
	return map[string][]byte{
		"empty":  nil,
		"tiny":   []byte("x"),
		"html":   []byte(htmlBody),
		"text":   text.Bytes(),
		"random": random,
		"runs":   bytes.Repeat([]byte{'a'}, 70000),
	}
}

func compressAll(t *testing.T, in []byte) map[string][]byte {
	out := map[string][]byte{}
	for _, level := range []int{flate.NoCompression, flate.BestSpeed, flate.DefaultCompression, flate.HuffmanOnly} {
		var g, z, r bytes.Buffer
		gw, _ := gzip.NewWriterLevel(&g, level)
		gw.Name = "file.txt" // FNAME in the header
		gw.Comment = "a comment"
		gw.Extra = []byte("xtra")
		gw.Write(in)
		gw.Close()
		zw, _ := zlib.NewWriterLevel(&z, level)
		zw.Write(in)
		zw.Close()
		rw, _ := flate.NewWriter(&r, level)
		rw.Write(in)
		rw.Close()
		l := itoa(level + 2)
		out["gzip"+l], out["zlib"+l], out["raw"+l] = g.Bytes(), z.Bytes(), r.Bytes()
	}
	return out
}

func TestInflateMatchesStdlib(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for name, in := range testInputs() {
		for cname, comp := range compressAll(t, in) {
			for _, split := range []int{0, 1, 7, 1000} {
				z := new(inflater)
				prefix := make([]byte, 0, 4096)
				z.reset(prefix)
				rest := comp
				for len(rest) > 0 {
					n := len(rest)
					if split > 0 {
						n = min(n, 1+rng.IntN(split))
					}
					if err := z.Write(rest[:n]); err != nil {
						t.Fatalf("%s/%s split %d: %v", name, cname, split, err)
					}
					rest = rest[n:]
				}
				if z.total != uint64(len(in)) {
					t.Errorf("%s/%s split %d: counted %d bytes, want %d", name, cname, split, z.total, len(in))
				}
				if !z.Done() {
					t.Errorf("%s/%s split %d: stream end not seen", name, cname, split)
				}
				want := in[:min(len(in), 4096)]
				if !bytes.Equal(z.prefix, want) {
					t.Errorf("%s/%s split %d: prefix differs", name, cname, split)
				}
			}
		}
	}
}

func TestInflateCorrupt(t *testing.T) {
	good := []byte(gz(htmlBody + htmlBody))
	for i := 10; i < len(good)-8; i++ {
		bad := bytes.Clone(good)
		bad[i] ^= 0xff
		z := new(inflater)
		z.reset(nil)
		z.Write(bad) // must not panic; may or may not notice
		z.Write(good)
	}
	z := new(inflater)
	z.reset(nil)
	if err := z.Write([]byte{0x1f, 0x8b, 9}); err == nil {
		t.Error("gzip method 9 accepted")
	}
	z.reset(nil)
	// Raw deflate, final block of the reserved type 3.
	if err := z.Write([]byte{0x07, 0x00}); err == nil {
		t.Error("reserved block type accepted")
	}
	z.reset(nil)
	// Raw deflate, fixed codes, first symbol a match (length 3 = code
	// 257, 7 bits 0000001) at distance 1 (code 0, 5 bits 00000): it
	// reaches before the start.
	if err := z.Write([]byte{0x03, 0x02, 0x00, 0x00}); err == nil {
		t.Error("match before the start of the output accepted")
	}
}

func TestInflateIgnoresTrailingData(t *testing.T) {
	z := new(inflater)
	z.reset(make([]byte, 0, 64))
	z.Write([]byte(gz("hello") + "trailing garbage"))
	if z.total != 5 || string(z.prefix) != "hello" || !z.Done() {
		t.Errorf("total %d prefix %q done %v", z.total, z.prefix, z.Done())
	}
}

func FuzzInflate(f *testing.F) {
	f.Add([]byte(gz("hello hello hello")))
	f.Add([]byte(gz(htmlBody)))
	f.Add([]byte{0x78, 0x9c, 0x03, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		z := new(inflater)
		z.reset(make([]byte, 0, 128))
		for len(data) > 0 {
			n := min(len(data), 1+int(data[0])%16)
			z.Write(data[:n])
			data = data[n:]
		}
		if len(z.prefix) > 128 || uint64(len(z.prefix)) > z.total {
			t.Fatalf("prefix %d total %d", len(z.prefix), z.total)
		}
	})
}
