package tls

import (
	"slices"
	"testing"

	"github.com/BurntSushi/toml"
)

func TestSampleConfig(t *testing.T) {
	var cfg Config
	md, err := toml.DecodeFile("sample.toml", &cfg)
	if err != nil {
		t.Fatal(err)
	}
	if u := md.Undecoded(); len(u) > 0 {
		t.Fatalf("unknown keys in sample.toml: %v", u)
	}
	if err := cfg.Init(); err != nil {
		t.Fatal(err)
	}
	def := DefaultConfig()
	if !slices.Equal(cfg.Ports, def.Ports) || cfg.MaxHandshakeMessage != def.MaxHandshakeMessage || cfg.MaxHistory != def.MaxHistory {
		t.Errorf("sample.toml %+v differs from the defaults %+v", cfg, def)
	}
}

func TestConfigValidation(t *testing.T) {
	for _, cfg := range []Config{{MaxHandshakeMessage: 10}, {MaxHandshakeMessage: 1 << 25}, {MaxHistory: -1}} {
		if _, err := NewAnalyzer(cfg); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
	a, err := New(func(v any) error { v.(*Config).MaxHistory = 5; return nil })
	if err != nil || a.(*Analyzer).Config().MaxHistory != 5 || a.Name() != "ssl" {
		t.Errorf("New: %v %+v", err, a)
	}
}
