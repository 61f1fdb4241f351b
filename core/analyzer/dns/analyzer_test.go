package dns

import (
	"bytes"
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/weirnet/weir/core/analyzer"
	"github.com/weirnet/weir/core/analyzer/internal/antest"
)

func TestRegistered(t *testing.T) {
	f, ok := analyzer.Default().Get(Name)
	if !ok {
		t.Fatal("dns is not registered")
	}
	a, err := f.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Name() != "dns" || a.Transports() != analyzer.TCP|analyzer.UDP {
		t.Errorf("name %q transports %v", a.Name(), a.Transports())
	}
	if !slices.Equal(a.Ports(), []uint16{53, 137, 5353, 5355}) {
		t.Errorf("ports %v", a.Ports())
	}
}

//go:embed sample.toml
var sampleTOML string

// decoder returns the decode function the engine hands factories: strict
// TOML, unknown keys an error naming them.
func decoder(doc string) func(v any) error {
	return func(v any) error {
		md, err := toml.Decode(doc, v)
		if err != nil {
			return err
		}
		if und := md.Undecoded(); len(und) > 0 {
			return fmt.Errorf("unknown keys %v", und)
		}
		return nil
	}
}

func TestConfig(t *testing.T) {
	f, _ := analyzer.Default().Get(Name)
	t.Run("sample", func(t *testing.T) {
		a, err := f.New(decoder(sampleTOML))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := a.(*Analyzer).Config().MaxQueries, DefaultConfig().MaxQueries; got != want {
			t.Errorf("sample max_queries %d, want the default %d", got, want)
		}
	})
	t.Run("values", func(t *testing.T) {
		a, err := f.New(decoder("ports = [53, 8053]\nmax_pending_msgs = 5\nmulticast_subnets = []\n"))
		if err != nil {
			t.Fatal(err)
		}
		cfg := a.(*Analyzer).Config()
		if !slices.Equal(cfg.Ports, []uint16{53, 8053}) || cfg.MaxPendingMsgs != 5 || cfg.MaxQueries != DefaultMaxQueries {
			t.Errorf("config %+v", cfg)
		}
		if cfg.isMulticast(server) {
			t.Error("multicast without subnets")
		}
	})
	for doc, want := range map[string]string{
		"max_queries = 5\nbogus = 1\n":      "bogus",
		"multicast_subnets = [\"nope\"]\n":  "multicast_subnets",
		"max_compression_depth = 0\n":       "max_compression_depth",
		"max_pending_msgs = -1\n":           "max_pending_msgs",
		"max_answer_bytes = 10\n":           "max_answer_bytes",
		"ports = \"53\"\n":                  "ports",
		"max_pending_bytes = 1\n":           "max_pending_bytes",
		"max_pending_query_ids = -2\n":      "max_pending_query_ids",
		"max_queries = -1\nmax_queries=2\n": "max_queries",
	} {
		if _, err := f.New(decoder(doc)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want one naming %s", doc, err, want)
		}
	}
}

func TestDetect(t *testing.T) {
	a, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	q := query(0x1234, "www.example.com")
	r := answer(0x1234, "www.example.com", 1)
	mdns := newMsg(0, 0).q("printer.local", typeA, 0x8001).bytes() // QU bit
	tests := []struct {
		name string
		data []byte
		want analyzer.Verdict
	}{
		{"udp query", q, analyzer.Match},
		{"udp reply", r, analyzer.Match},
		{"mdns query", mdns, analyzer.Match},
		{"tcp query", framed(q), analyzer.Match},
		{"tcp, name split", framed(q)[:20], analyzer.NeedMore},
		{"tcp, length only", []byte{0, 33}, analyzer.NeedMore},
		{"short", []byte{1, 2, 3}, analyzer.NeedMore},
		{"http", []byte("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"), analyzer.NoMatch},
		{"tls", []byte{0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03, 0x11, 0x22, 0x33, 0x44}, analyzer.NoMatch},
		{"zeros", make([]byte, 64), analyzer.NoMatch},
		{"bad opcode", newMsg(1, opFlags(9)).q("a.example", typeA, 1).bytes(), analyzer.NoMatch},
		{"bad class", newMsg(1, 0).q("a.example", typeA, 77).bytes(), analyzer.NoMatch},
		{"too many records for the length", func() []byte { b := slices.Clone(q); b[7] = 40; return b }(), analyzer.NoMatch},
		{"query with rcode", newMsg(1, 3).q("a.example", typeA, 1).bytes(), analyzer.NoMatch},
		{"long label", newMsg(1, 0).qRaw(cat([]byte{70}, bytes.Repeat([]byte{'a'}, 70), []byte{0}), typeA, 1).bytes(), analyzer.NoMatch},
	}
	for _, tc := range tests {
		if got := a.Detect(true, tc.data); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	// Other protocols' first bytes, TCP and UDP, are refused.
	antest.RefuseForeign(t, a, analyzer.TCP|analyzer.UDP, "dns-tcp-query", "dns-query", "dns-reply")
}
