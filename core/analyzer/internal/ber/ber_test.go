package ber

import (
	"bytes"
	"testing"
)

func TestNext(t *testing.T) {
	cases := []struct {
		in       []byte
		tag      byte
		contents []byte
		rest     []byte
		ok       bool
	}{
		{[]byte{0x30, 0x03, 0x02, 0x01, 0x05, 0xff}, 0x30, []byte{0x02, 0x01, 0x05}, []byte{0xff}, true},
		{[]byte{0x04, 0x81, 0x02, 'h', 'i'}, 0x04, []byte("hi"), []byte{}, true},
		{[]byte{0x04, 0x82, 0x00, 0x01, 'x'}, 0x04, []byte("x"), []byte{}, true},
		{[]byte{0x04, 0x05, 'h'}, 0, nil, nil, false},           // short
		{[]byte{0x30, 0x80, 0x00, 0x00}, 0, nil, nil, false},    // indefinite
		{[]byte{0x1f, 0x81, 0x01, 0x00}, 0, nil, nil, false},    // multi-byte tag
		{[]byte{0x04, 0x85, 1, 2, 3, 4, 5}, 0, nil, nil, false}, // 5 length bytes
		{[]byte{0x04}, 0, nil, nil, false},
	}
	for _, c := range cases {
		tag, contents, rest, ok := Next(c.in)
		if ok != c.ok || tag != c.tag || !bytes.Equal(contents, c.contents) || !bytes.Equal(rest, c.rest) {
			t.Errorf("Next(% x) = %x % x % x %v", c.in, tag, contents, rest, ok)
		}
	}
}

func TestInt(t *testing.T) {
	for _, c := range []struct {
		in []byte
		v  int64
		ok bool
	}{
		{[]byte{0x02, 0x01, 0x05}, 5, true},
		{[]byte{0x02, 0x01, 0xff}, -1, true},
		{[]byte{0x02, 0x02, 0x01, 0x00}, 256, true},
		{[]byte{0x02, 0x00}, 0, false},
		{[]byte{0x04, 0x01, 0x05}, 0, false},
	} {
		v, _, ok := Int(c.in)
		if v != c.v || ok != c.ok {
			t.Errorf("Int(% x) = %d %v", c.in, v, ok)
		}
	}
}

func TestLength(t *testing.T) {
	if n, ok := Length([]byte{0x30, 0x82, 0x01, 0x00}); !ok || n != 260 {
		t.Errorf("Length = %d %v", n, ok)
	}
	if _, ok := Length([]byte{0x30, 0x82, 0x01}); ok {
		t.Error("incomplete header accepted")
	}
}

func FuzzNext(f *testing.F) {
	f.Add([]byte{0x30, 0x03, 0x02, 0x01, 0x05})
	f.Add([]byte{0x04, 0x82, 0x00, 0x01, 'x'})
	f.Fuzz(func(t *testing.T, b []byte) {
		tag, c, rest, ok := Next(b)
		if !ok {
			return
		}
		n, lok := Length(b)
		if !lok || n != len(b)-len(rest) || tag != b[0] || len(c) > len(b) {
			t.Fatalf("Next/Length disagree on % x", b)
		}
		Int(b)
	})
}

func TestHeader(t *testing.T) {
	tag, h, l, ok := Header([]byte{0x6c, 0x82, 0x01, 0x00, 0x30})
	if !ok || tag != 0x6c || h != 4 || l != 256 {
		t.Errorf("Header = %x %d %d %v", tag, h, l, ok)
	}
}
