package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// parseAll feeds data in pieces of n bytes and returns the messages.
func parseAll(t testing.TB, data string, n int) ([]msg, error) {
	var p parser
	var out []msg
	var err error
	for i := 0; i < len(data) && err == nil; i += n {
		err = p.feed([]byte(data[i:min(i+n, len(data))]), func(m *msg) { out = append(out, *m) })
	}
	return out, err
}

func TestParser(t *testing.T) {
	big := strings.Repeat("x", 300)
	cases := []struct {
		name string
		in   string
		want []msg
	}{
		{"command", "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n",
			[]msg{{Type: '*', N: 3, Elems: 3, Parts: []string{"SET", "key"}}}},
		{"pipelined", "*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n",
			[]msg{{Type: '*', N: 1, Elems: 1, Parts: []string{"PING"}}, {Type: '*', N: 2, Elems: 2, Parts: []string{"GET", "k"}}}},
		{"inline", "PING\r\nset  a b\r\n\r\n",
			[]msg{{Type: 'i', Elems: 1, Parts: []string{"PING"}}, {Type: 'i', Elems: 3, Parts: []string{"set", "a"}}}},
		{"replies", "+OK\r\n-ERR unknown\r\n:42\r\n$-1\r\n*-1\r\n_\r\n$0\r\n\r\n",
			[]msg{{Type: '+', Str: "OK"}, {Type: '-', Str: "ERR unknown"}, {Type: ':', N: 42, Str: "42"},
				{Type: '$', Null: true}, {Type: '*', Null: true}, {Type: '_', Null: true}, {Type: '$'}}},
		{"long bulk kept short", "$300\r\n" + big + "\r\n", []msg{{Type: '$', N: 300, Str: big[:maxKeep]}}},
		{"nested", "*3\r\n*2\r\n:1\r\n*0\r\n$1\r\na\r\n%1\r\n+k\r\n*1\r\n:2\r\n",
			[]msg{{Type: '*', N: 3, Elems: 3, Parts: []string{"a"}}}},
		{"empty and map", "*0\r\n%2\r\n+a\r\n:1\r\n+b\r\n:2\r\n",
			[]msg{{Type: '*'}, {Type: '%', N: 2, Elems: 4, Parts: []string{"a", "1"}}}},
		{"resp3 scalars", "#t\r\n,1.5\r\n(123456789012345678901234567890\r\n=7\r\ntxt:abc\r\n",
			[]msg{{Type: '#', Str: "t"}, {Type: ',', Str: "1.5"}, {Type: '(', Str: "123456789012345678901234567890"},
				{Type: '=', N: 7, Str: "txt:abc"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// The same messages whatever the pieces the stream comes in.
			for _, n := range []int{1, 2, 3, 7, len(tc.in)} {
				got, err := parseAll(t, tc.in, n)
				if err != nil {
					t.Fatalf("pieces of %d: %v", n, err)
				}
				if !reflect.DeepEqual(normalize(got), normalize(tc.want)) {
					t.Fatalf("pieces of %d:\n got %+v\nwant %+v", n, got, tc.want)
				}
			}
		})
	}
}

func normalize(ms []msg) []msg {
	for i := range ms {
		if len(ms[i].Parts) == 0 {
			ms[i].Parts = nil
		}
	}
	return ms
}

func TestParserRejects(t *testing.T) {
	for _, in := range []string{
		"$abc\r\n",
		"$3\r\nabcXY",                        // no CRLF after the bulk
		"*2\r\n\r\n",                         // empty line inside an array
		"*1\r\nPING\r\n",                     // inline inside an array
		"$-2\r\n",                            // bad length
		"$600000000\r\n",                     // over Redis's bulk limit
		strings.Repeat("*1\r\n", maxDepth+1), // too deep
		strings.Repeat("x", maxLine+1),       // line too long
	} {
		if _, err := parseAll(t, in, 5); err == nil {
			t.Errorf("%.30q accepted", in)
		}
	}
	// After an error the parser ignores the rest.
	var p parser
	n := 0
	_ = p.feed([]byte("$x\r\n+OK\r\n"), func(*msg) { n++ })
	if err := p.feed([]byte("+OK\r\n"), func(*msg) { n++ }); err != nil || n != 0 {
		t.Fatalf("after an error: %d messages, %v", n, err)
	}
}

// TestParserBoundedMemory: a huge bulk string is counted, not kept.
func TestParserBoundedMemory(t *testing.T) {
	var p parser
	if err := p.feed([]byte("$100000000\r\n"), func(*msg) {}); err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 1<<20)
	for range 10 {
		if err := p.feed(chunk, func(*msg) {}); err != nil {
			t.Fatal(err)
		}
	}
	if cap(p.Keep) > 4*maxKeep || cap(p.Line) > maxLine {
		t.Fatalf("parser holds %d + %d bytes", cap(p.Keep), cap(p.Line))
	}
}

func FuzzParser(f *testing.F) {
	for _, s := range []string{
		"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n",
		"+OK\r\n-ERR x\r\n:1\r\n$-1\r\n*-1\r\n_\r\n",
		"*3\r\n*2\r\n:1\r\n*0\r\n$1\r\na\r\n%1\r\n+k\r\n*1\r\n:2\r\n",
		"PING\r\n",
		">2\r\n+message\r\n$1\r\nx\r\n|1\r\n+a\r\n:1\r\n+OK\r\n",
	} {
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, data []byte, n uint8) {
		// Split anywhere, the parser sees the same messages.
		whole, errWhole := parseAll(t, string(data), max(len(data), 1))
		pieces, errPieces := parseAll(t, string(data), int(n%16)+1)
		if (errWhole == nil) != (errPieces == nil) {
			t.Fatalf("error depends on the pieces: %v / %v", errWhole, errPieces)
		}
		if errWhole == nil && !reflect.DeepEqual(normalize(whole), normalize(pieces)) {
			t.Fatalf("messages depend on the pieces:\n%+v\n%+v", whole, pieces)
		}
	})
}

var writeCorpus = flag.Bool("write-corpus", false, "rewrite testdata/fuzz/FuzzParser from the capture's streams")

// TestWriteSeedCorpus writes each direction of each connection of the
// capture as a seed of FuzzParser, when run with -write-corpus.
func TestWriteSeedCorpus(t *testing.T) {
	if !*writeCorpus {
		t.Skip("go test -run TestWriteSeedCorpus -args -write-corpus rewrites the seeds")
	}
	evs, _, _ := streamEvents(t)
	streams := map[string][]byte{}
	var order []string
	for _, ev := range evs {
		if ev.Data == nil {
			continue
		}
		k := fmt.Sprintf("%s-%v", ev.Data.UID, ev.Data.IsOrig)
		if _, ok := streams[k]; !ok {
			order = append(order, k)
		}
		streams[k] = append(streams[k], ev.Data.Bytes...)
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzParser")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, k := range order {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\nuint8(%d)\n", streams[k], 3+i)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("capture-%02d", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
