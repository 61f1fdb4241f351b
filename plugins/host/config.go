package host

import (
	"errors"
	"fmt"
	"time"

	"github.com/weirnet/weir/logs"
)

// TOML is one [[plugin]] table of weir's configuration file, as
// BurntSushi/toml decodes it (durations as strings: "30s"). sample.toml
// shows every key. Zero values keep the defaults of Config.
type TOML struct {
	Name string `toml:"name"`
	// Path and Args start a plugin binary; Builtin instead runs a
	// built-in log plugin in the analyzer binary (SelfCommand).
	Path    string   `toml:"path"`
	Builtin string   `toml:"builtin"`
	Args    []string `toml:"args"`
	SHA256  string   `toml:"sha256"`

	BatchEvents   int           `toml:"batch_events"`
	Window        int           `toml:"window"`
	LiveQueue     int           `toml:"live_queue"`
	FlushInterval time.Duration `toml:"flush_interval"`
	// SpillDir and SpillMaxBytes give live mode a spill (Config.SpillDir).
	SpillDir      string `toml:"spill_dir"`
	SpillMaxBytes int64  `toml:"spill_max_bytes"`

	AckTimeout     time.Duration `toml:"ack_timeout"`
	HealthInterval time.Duration `toml:"health_interval"`
	StartTimeout   time.Duration `toml:"start_timeout"`
	MaxRestarts    int           `toml:"max_restarts"`
	RestartWindow  time.Duration `toml:"restart_window"`
	BackoffMin     time.Duration `toml:"backoff_min"`
	BackoffMax     time.Duration `toml:"backoff_max"`

	// Options is the plugin's own table, passed to it as JSON.
	Options map[string]any `toml:"options"`
}

// Config turns the table into a Config for a run writing logs with lo, in
// live mode or not. Errors name the plugin and the key.
func (t *TOML) Config(lo logs.Options, live bool) (Config, error) {
	c := Config{
		Name: t.Name, Path: t.Path, Args: t.Args, SHA256: t.SHA256, Options: t.Options,
		Logs: lo, Live: live,
		BatchEvents: t.BatchEvents, Window: t.Window, LiveQueue: t.LiveQueue, FlushInterval: t.FlushInterval,
		SpillDir: t.SpillDir, SpillMaxBytes: t.SpillMaxBytes,
		AckTimeout: t.AckTimeout, HealthInterval: t.HealthInterval, StartTimeout: t.StartTimeout,
		MaxRestarts: t.MaxRestarts, RestartWindow: t.RestartWindow, BackoffMin: t.BackoffMin, BackoffMax: t.BackoffMax,
	}
	if t.Name == "" {
		return c, errors.New("[[plugin]]: name is missing")
	}
	switch {
	case t.Builtin != "" && (t.Path != "" || len(t.Args) > 0):
		return c, fmt.Errorf("plugin %s: builtin excludes path and args", t.Name)
	case t.Builtin != "":
		path, args, err := SelfCommand(t.Builtin)
		if err != nil {
			return c, err
		}
		c.Path, c.Args = path, args
	case t.Path == "":
		return c, fmt.Errorf("plugin %s: path (or builtin) is missing", t.Name)
	}
	for key, v := range map[string]int64{"batch_events": int64(t.BatchEvents), "window": int64(t.Window),
		"live_queue": int64(t.LiveQueue), "max_restarts": int64(t.MaxRestarts), "spill_max_bytes": t.SpillMaxBytes} {
		if v < 0 {
			return c, fmt.Errorf("plugin %s: %s is negative", t.Name, key)
		}
	}
	switch {
	case t.SpillMaxBytes > 0 && t.SpillDir == "":
		return c, fmt.Errorf("plugin %s: spill_max_bytes is set without spill_dir", t.Name)
	case t.SpillMaxBytes > 0 && t.SpillMaxBytes < MinSpillMaxBytes:
		return c, fmt.Errorf("plugin %s: spill_max_bytes %d is below %d (two batches of the largest size)", t.Name, t.SpillMaxBytes, MinSpillMaxBytes)
	}
	return c, nil
}
