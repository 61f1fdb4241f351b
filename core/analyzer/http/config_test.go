package http

import (
	"reflect"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// TestSampleConfig: sample.toml decodes without unknown keys and shows
// exactly the defaults.
func TestSampleConfig(t *testing.T) {
	var file struct {
		Analyzer map[string]toml.Primitive `toml:"analyzer"`
	}
	md, err := toml.Decode(SampleConfig, &file)
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Config
		Enabled bool `toml:"enabled"`
	}
	if err := md.PrimitiveDecode(file.Analyzer[Name], &cfg); err != nil {
		t.Fatal(err)
	}
	if u := md.Undecoded(); len(u) > 0 {
		t.Errorf("keys not in Config: %v", u)
	}
	if !reflect.DeepEqual(cfg.Config, DefaultConfig()) {
		t.Errorf("sample.toml\n %+v\ndefaults\n %+v", cfg.Config, DefaultConfig())
	}
	if _, err := newFromTOML(func(v any) error { return md.PrimitiveDecode(file.Analyzer[Name], v) }); err != nil {
		t.Error(err)
	}
}

func TestConfigValidate(t *testing.T) {
	for name, mod := range map[string]func(*Config){
		"short lines":    func(c *Config) { c.MaxLineLength = 10 },
		"negative":       func(c *Config) { c.MaxPendingRequests = -1 },
		"huge sniff":     func(c *Config) { c.MIMESniffBytes = 1 << 30 },
		"port zero":      func(c *Config) { c.Ports = []uint16{0} },
		"negative files": func(c *Config) { c.MaxFiles = -1 },
	} {
		c := DefaultConfig()
		mod(&c)
		if _, err := New(c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	c := DefaultConfig()
	c.MIMESniffBytes = 0
	s, sink := newTestSession(t, func(cfg *Config) { *cfg = c })
	run(s, []step{o("GET / HTTP/1.1\r\n\r\n"), r("HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n<html>hello</html>\r\n")})
	if got := sink.lines(); len(got) != 1 || !strings.HasSuffix(got[0], " - - - -") {
		t.Errorf("sniffing off: %q", got)
	}
}
