package host

import (
	_ "embed"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/weirnet/weir/logs"
)

//go:embed sample.toml
var sampleTOML string

// TestSampleConfig: every key of sample.toml is one TOML knows, and the
// values given are the defaults Launch applies, so the sample documents
// them truthfully.
func TestSampleConfig(t *testing.T) {
	var f struct {
		Plugin []TOML `toml:"plugin"`
	}
	md, err := toml.Decode(sampleTOML, &f)
	if err != nil {
		t.Fatal(err)
	}
	if u := md.Undecoded(); len(u) > 0 {
		t.Fatalf("keys TOML does not know: %v", u)
	}
	if len(f.Plugin) != 1 {
		t.Fatalf("%d plugins", len(f.Plugin))
	}
	tc := f.Plugin[0]
	cfg, err := tc.Config(logs.Options{Dir: "logs"}, false)
	if err != nil {
		t.Fatal(err)
	}
	def := Config{Name: cfg.Name, Path: cfg.Path}
	if err := def.applyDefaults(); err != nil {
		t.Fatal(err)
	}
	for name, pair := range map[string][2]any{
		"batch_events": {cfg.BatchEvents, def.BatchEvents}, "window": {cfg.Window, def.Window},
		"live_queue": {cfg.LiveQueue, def.LiveQueue}, "flush_interval": {cfg.FlushInterval, def.FlushInterval},
		"ack_timeout": {cfg.AckTimeout, def.AckTimeout}, "health_interval": {cfg.HealthInterval, def.HealthInterval},
		"start_timeout": {cfg.StartTimeout, def.StartTimeout}, "max_restarts": {cfg.MaxRestarts, def.MaxRestarts},
		"restart_window": {cfg.RestartWindow, def.RestartWindow}, "backoff_min": {cfg.BackoffMin, def.BackoffMin},
		"backoff_max": {cfg.BackoffMax, def.BackoffMax},
	} {
		if pair[0] != pair[1] {
			t.Errorf("sample.toml: %s = %v, the default is %v", name, pair[0], pair[1])
		}
	}
	if cfg.Options["ports"] == nil || cfg.AckTimeout != 30*time.Second || cfg.SpillDir != "" {
		t.Errorf("decoded %+v", cfg)
	}
	// spill_max_bytes needs spill_dir, so the sample shows it commented.
	m := regexp.MustCompile(`(?m)^# spill_max_bytes = (\d+)$`).FindStringSubmatch(sampleTOML)
	if m == nil || m[1] != strconv.Itoa(DefaultSpillMaxBytes) {
		t.Errorf("sample.toml: spill_max_bytes %v, the default is %d", m, DefaultSpillMaxBytes)
	}
}

func TestTOMLErrors(t *testing.T) {
	for _, tc := range []struct {
		t    TOML
		want string
	}{
		{TOML{Path: "/x"}, "name is missing"},
		{TOML{Name: "a"}, "path (or builtin) is missing"},
		{TOML{Name: "a", Path: "/x", Builtin: "conn"}, "builtin excludes path"},
		{TOML{Name: "a", Path: "/x", Window: -1}, "plugin a: window is negative"},
		{TOML{Name: "a", Path: "/x", SpillDir: "/s", SpillMaxBytes: -1}, "plugin a: spill_max_bytes is negative"},
		{TOML{Name: "a", Path: "/x", SpillMaxBytes: 1 << 30}, "plugin a: spill_max_bytes is set without spill_dir"},
		{TOML{Name: "a", Path: "/x", SpillDir: "/s", SpillMaxBytes: 1000}, "plugin a: spill_max_bytes 1000 is below 2097152"},
	} {
		if _, err := tc.t.Config(logs.Options{}, true); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.t, err, tc.want)
		}
	}
	c, err := (&TOML{Name: "a", Path: "/x", SpillDir: "/s"}).Config(logs.Options{}, true)
	if err != nil || c.SpillDir != "/s" || c.SpillMaxBytes != 0 {
		t.Fatalf("spill_dir: %+v, %v", c, err)
	}
	c, err = (&TOML{Name: "conn", Builtin: "conn"}).Config(logs.Options{}, true)
	if err != nil || len(c.Args) != 2 || c.Args[0] != "plugin-serve" || c.Args[1] != "conn" || !c.Live {
		t.Fatalf("builtin: %+v, %v", c, err)
	}
}
