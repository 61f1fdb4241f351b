package schema

import (
	"errors"
	"io/fs"
	"slices"
	"strings"
	"testing"
)

// TestEmbeddedSchemas checks every schema file in this directory: it parses
// (unknown keys are errors), its path matches the file name, field names are
// unique and well formed, and every type is a known Zeek type.
func TestEmbeddedSchemas(t *testing.T) {
	names, err := fs.Glob(files, "*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatal("no schema files embedded")
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			data, err := files.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			l, err := Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			if l.Path+".json" != name {
				t.Errorf("path %q does not match file %s", l.Path, name)
			}
			seen := map[string]bool{}
			for _, f := range l.Fields {
				if seen[f.Name] {
					t.Errorf("duplicate field %q", f.Name)
				}
				seen[f.Name] = true
				// Round trip through the type's name: only known Zeek
				// types survive it.
				got, err := ParseType(f.Type.String())
				if err != nil || got != f.Type {
					t.Errorf("field %q: type %v does not round-trip: %v, %v", f.Name, f.Type, got, err)
				}
			}
			if strings.TrimSpace(l.Differences) == "" {
				t.Errorf("missing differences: say where weir's %s log differs from Zeek's, or that it does not", l.Path)
			}
		})
	}
	all, err := All()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(names) {
		t.Errorf("All returned %d schemas for %d files", len(all), len(names))
	}
	if !slices.IsSortedFunc(all, func(a, b *Log) int { return strings.Compare(a.Path, b.Path) }) {
		t.Error("All is not sorted by path")
	}
}

// zeekFields is "name type" of Zeek's default logs, in Zeek's order, as Zeek
// writes them in the #fields and #types lines.
var zeekFields = map[string][]string{
	"conn": {
		"ts time", "uid string", "id.orig_h addr", "id.orig_p port", "id.resp_h addr", "id.resp_p port",
		"proto enum", "service string", "duration interval", "orig_bytes count", "resp_bytes count",
		"conn_state string", "local_orig bool", "local_resp bool", "missed_bytes count", "history string",
		"orig_pkts count", "orig_ip_bytes count", "resp_pkts count", "resp_ip_bytes count",
		"tunnel_parents set[string]", "ip_proto count",
		// policy/protocols/conn/community-id-logging.zeek
		"community_id string",
	},
	"weird": {
		"ts time", "uid string", "id.orig_h addr", "id.orig_p port", "id.resp_h addr", "id.resp_p port",
		"name string", "addl string", "notice bool", "peer string", "source string",
	},
}

func TestZeekCompatibleFields(t *testing.T) {
	for path, want := range zeekFields {
		l, err := Get(path)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range l.Fields {
			got = append(got, f.Name+" "+f.Type.String())
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s fields:\n got %q\nwant %q", path, got, want)
		}
	}
}

func TestGet(t *testing.T) {
	l, err := Get("conn")
	if err != nil {
		t.Fatal(err)
	}
	if i := l.Index("id.resp_p"); i != 5 {
		t.Errorf("Index(id.resp_p) = %d, want 5", i)
	}
	if i := l.Index("nope"); i != -1 {
		t.Errorf("Index(nope) = %d, want -1", i)
	}
	// Get hands out copies: changing one must not change the next.
	l.Fields[0].Name = "changed"
	again, _ := Get("conn")
	if again.Fields[0].Name != "ts" {
		t.Error("Get returned shared state")
	}
	if _, err := Get("nope"); !errors.Is(err, ErrUnknown) {
		t.Errorf("Get(nope) error = %v, want ErrUnknown", err)
	}
}

func TestParseType(t *testing.T) {
	for _, s := range []string{
		"bool", "count", "int", "double", "time", "interval", "string", "enum", "port", "addr",
		"subnet", "pattern", "set[string]", "set[enum]", "set[addr]", "vector[string]", "vector[interval]",
	} {
		typ, err := ParseType(s)
		if err != nil {
			t.Errorf("ParseType(%q): %v", s, err)
			continue
		}
		if typ.String() != s {
			t.Errorf("ParseType(%q).String() = %q", s, typ.String())
		}
	}
	for _, s := range []string{"", "str", "set", "set[]", "set[string", "set[set[string]]", "vector[table]", "record"} {
		if typ, err := ParseType(s); err == nil {
			t.Errorf("ParseType(%q) = %v, want an error", s, typ)
		}
	}
}

func TestParseRejects(t *testing.T) {
	const ok = `{"path":"x","description":"d","fields":[{"name":"a","type":"count","description":"d"}]}`
	if _, err := Parse([]byte(ok)); err != nil {
		t.Fatalf("valid schema rejected: %v", err)
	}
	for name, doc := range map[string]string{
		"unknown key":     `{"path":"x","description":"d","fields":[{"name":"a","type":"count","description":"d","optional":true}]}`,
		"unknown type":    `{"path":"x","description":"d","fields":[{"name":"a","type":"table","description":"d"}]}`,
		"missing type":    `{"path":"x","description":"d","fields":[{"name":"a","description":"d"}]}`,
		"duplicate field": `{"path":"x","description":"d","fields":[{"name":"a","type":"count","description":"d"},{"name":"a","type":"int","description":"d"}]}`,
		"bad name":        `{"path":"x","description":"d","fields":[{"name":"a..b","type":"count","description":"d"}]}`,
		"name with tab":   `{"path":"x","description":"d","fields":[{"name":"a\tb","type":"count","description":"d"}]}`,
		"bad path":        `{"path":"X/y","description":"d","fields":[{"name":"a","type":"count","description":"d"}]}`,
		"no description":  `{"path":"x","description":"d","fields":[{"name":"a","type":"count"}]}`,
		"no fields":       `{"path":"x","description":"d","fields":[]}`,
		"trailing data":   ok + ok,
	} {
		if _, err := Parse([]byte(doc)); err == nil {
			t.Errorf("%s: Parse accepted %s", name, doc)
		}
	}
}
