package ssh

import (
	"reflect"

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
		"small packets": func(c *Config) { c.MaxPacket = 100 },
		"bad net":       func(c *Config) { c.LocalNets = []string{"10.0.0.0/33"} },
		"port zero":     func(c *Config) { c.Ports = []uint16{0} },
		"banner lines":  func(c *Config) { c.MaxBannerLines = -1 },
	} {
		c := DefaultConfig()
		mod(&c)
		if _, err := New(c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
