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
