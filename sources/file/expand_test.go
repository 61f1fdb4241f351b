package file

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestExpand(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"b.pcap", "a.pcap", "c.pcapng.zst", "notes.txt", "sub/d.pcap"} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		// Distinct contents, so that only real duplicates compare the same.
		if err := os.WriteFile(p, []byte(name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(dir, "a.pcap"), filepath.Join(dir, "link.cap")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "dir.pcap"), 0o755); err != nil {
		t.Fatal(err)
	}
	j := func(names ...string) []string {
		var out []string
		for _, n := range names {
			out = append(out, filepath.Join(dir, n))
		}
		return out
	}
	tests := []struct {
		name    string
		args    []string
		want    []string
		wantErr string
	}{
		{"glob sorted", j("*.pcap*"), j("a.pcap", "b.pcap", "c.pcapng.zst"), ""},
		{"paths sorted", j("b.pcap", "a.pcap"), j("a.pcap", "b.pcap"), ""},
		{"duplicates", append(j("a.pcap", "*.pcap"), dir+"/./a.pcap"), j("a.pcap", "b.pcap"), ""},
		{"same file by symlink", j("a.pcap", "link.cap"), j("a.pcap"), ""},
		{"nested glob", j("*/*.pcap"), j("sub/d.pcap"), ""},
		{"escaped meta", []string{dir + `/\a.pcap`}, j("a.pcap"), ""},
		{"no match", j("*.pcapng"), nil, "matches no files"},
		{"only a directory matches", j("dir.*"), nil, "matches no files"},
		{"missing path", j("missing.pcap"), nil, "no such file"},
		{"directory path", j("sub"), nil, "is a directory"},
		{"bad pattern", j("[.pcap"), nil, "syntax error in pattern"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Expand(tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Expand(%q) error = %v, want one saying %q", tt.args, err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.args[0]) {
					t.Errorf("error %q does not name the argument %q", err, tt.args[0])
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("Expand(%q)\n got %q\nwant %q", tt.args, got, tt.want)
			}
		})
	}
}
