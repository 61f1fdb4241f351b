package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The sample configuration shipped in the repository loads and equals the
// built-in defaults, so the documentation cannot drift from the code.
func TestSampleIsDefaults(t *testing.T) {
	f, err := Load("../../weir.sample.toml")
	if err != nil {
		t.Fatal(err)
	}
	d := Default()
	f.md, f.path, f.Analyzers = d.md, d.path, nil
	if len(f.Conn.LocalNets) == 0 { // [] in the file, nil in the defaults
		f.Conn.LocalNets = d.Conn.LocalNets
	}
	if !reflect.DeepEqual(f, d) {
		t.Errorf("sample differs from defaults:\nsample   %+v\ndefaults %+v", f, d)
	}
}

func TestUnknownKeysAndValues(t *testing.T) {
	dir := t.TempDir()
	for body, want := range map[string]string{
		"[conn]\nudp_timeout = \"1m\"\n":           "conn.udp_timeout",
		"[output]\nformat = \"xml\"\n":             "output.format",
		"[conn]\ntcp_inactivity_timeout = \"x\"\n": "tcp_inactivity_timeout",
		"[engine]\nworkers = 0\n":                  "engine.workers",
	} {
		p := filepath.Join(dir, "c.toml")
		os.WriteFile(p, []byte(body), 0o644)
		if _, err := Load(p); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want one naming %s", body, err, want)
		}
	}
}

func TestAnalyzerTables(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.toml")
	os.WriteFile(p, []byte("[analyzer.http]\nmax_header = 10\n[analyzer.ssh]\nenabled = false\n[analyzer.dns]\nbogus = 1\n"), 0o644)
	f, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	dec, on, err := f.AnalyzerConfig("http")
	if err != nil || !on {
		t.Fatal(on, err)
	}
	var cfg struct {
		MaxHeader int `toml:"max_header"`
	}
	if err := dec(&cfg); err != nil || cfg.MaxHeader != 10 {
		t.Errorf("decoded %+v, %v", cfg, err)
	}
	if _, on, _ := f.AnalyzerConfig("ssh"); on {
		t.Error("ssh enabled despite enabled = false")
	}
	dec, _, _ = f.AnalyzerConfig("dns")
	var dcfg struct{}
	if err := dec(&dcfg); err == nil || !strings.Contains(err.Error(), "analyzer.dns.bogus") {
		t.Errorf("unknown analyzer key: %v", err)
	}
}

// A reload names exactly the keys that changed, in the file's terms.
func TestChanged(t *testing.T) {
	dir := t.TempDir()
	load := func(body string) File {
		t.Helper()
		p := filepath.Join(dir, "weir.toml")
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := Load(p)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	a := load("[engine]\nfilter = \"tcp\"\n[analyzer.http]\nenabled = true\n")
	if c := Changed(a, load("[engine]\nfilter = \"tcp\"\n[analyzer.http]\nenabled = true\n")); len(c) != 0 {
		t.Errorf("same file: changed %v", c)
	}
	b := load("[engine]\nfilter = \"udp\"\n[output]\nrotate_interval = \"1h\"\n[conn]\nmax_connections = 5\n[analyzer.http]\nenabled = false\n[[plugin]]\nname = \"x\"\nbuiltin = \"conn\"\n")
	want := "analyzer.http conn.max_connections engine.filter output.rotate_interval plugin"
	if c := strings.Join(Changed(a, b), " "); c != want {
		t.Errorf("changed %q, want %q", c, want)
	}
}
