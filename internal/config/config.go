// Package config loads weir's TOML configuration file.
//
// Every key has a default; the file only overrides. A key the program does
// not know is an error naming the key and the file, so a typo never passes
// silently.
package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/weirnet/weir/plugins/host"
)

// Duration is a time.Duration written as a string in TOML ("5m", "60s").
type Duration struct{ time.Duration }

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	if v < 0 {
		return fmt.Errorf("negative duration %q", b)
	}
	d.Duration = v
	return nil
}

// MarshalText writes the duration back as a string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// File is the configuration file's structure.
type File struct {
	Output  Output  `toml:"output"`
	Engine  Engine  `toml:"engine"`
	Capture Capture `toml:"capture"`
	Conn    Conn    `toml:"conn"`
	Decode  Decode  `toml:"decode"`
	// Analyzers holds per-protocol tables ([analyzer.http] ...), decoded
	// by each analyzer's factory. A table may set enabled = false.
	Analyzers map[string]toml.Primitive `toml:"analyzer"`
	// Plugins are out-of-process plugins ([[plugin]] tables).
	Plugins []host.TOML `toml:"plugin"`

	md   toml.MetaData
	path string
}

// AnalyzerConfig returns a decode function for the [analyzer.NAME] table
// (nil-safe: without a table the analyzer keeps its defaults) and whether
// the analyzer is enabled. Unknown keys in the table are an error naming
// the key and the file.
func (f *File) AnalyzerConfig(name string) (decode func(v any) error, enabled bool, err error) {
	prim, ok := f.Analyzers[name]
	if !ok {
		return nil, true, nil
	}
	var en struct {
		Enabled *bool `toml:"enabled"`
	}
	if err := f.md.PrimitiveDecode(prim, &en); err != nil {
		return nil, false, fmt.Errorf("config %s: [analyzer.%s]: %w", f.path, name, err)
	}
	if en.Enabled != nil && !*en.Enabled {
		return nil, false, nil
	}
	return func(v any) error {
		if err := f.md.PrimitiveDecode(prim, v); err != nil {
			return fmt.Errorf("config %s: [analyzer.%s]: %w", f.path, name, err)
		}
		return f.checkUndecoded("analyzer." + name)
	}, true, nil
}

// checkUndecoded reports keys under prefix that nothing decoded.
func (f *File) checkUndecoded(prefix string) error {
	var bad []string
	for _, k := range f.md.Undecoded() {
		ks := k.String()
		if strings.HasPrefix(ks, prefix+".") && !strings.HasSuffix(ks, ".enabled") {
			bad = append(bad, ks)
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("config %s: unknown key %s", f.path, strings.Join(bad, ", "))
	}
	return nil
}

// Output says where and how logs are written.
type Output struct {
	Dir      string `toml:"dir"`
	Format   string `toml:"format"`    // tsv | json
	Compress string `toml:"compress"`  // "" | gzip | zstd
	JSONTime string `toml:"json_time"` // epoch | iso8601
	// RotateInterval rotates the logs at multiples of this network-time
	// interval ("1h"; empty: never), Zeek-style names with open and close
	// times. PostRotate runs a command for each rotated file (its path is
	// the last argument), as a hook for shippers.
	RotateInterval Duration `toml:"rotate_interval"`
	RotateSize     int64    `toml:"rotate_size"` // bytes of records per file; 0: no size limit
	PostRotate     []string `toml:"post_rotate"`
	// LiveQueue bounds, in events, the queue in front of each in-process
	// log of a live sensor: a log that cannot keep up (a slow disk) loses
	// what does not fit, counted, instead of stalling capture.
	LiveQueue int `toml:"live_queue"`
	// DrainTimeout bounds how long a stopping sensor waits for its logs
	// to catch up and close; a log still stuck (a hung disk) is abandoned
	// with an error naming it and what it lost.
	DrainTimeout Duration `toml:"drain_timeout"`
}

// Capture holds the live capture settings (-i). The command line's flags
// override them.
type Capture struct {
	// Interfaces are captured from when the command line names none.
	Interfaces []string `toml:"interfaces"`
	Promisc    bool     `toml:"promiscuous"` // -p turns it off
	Snaplen    int      `toml:"snaplen"`     // bytes kept per frame; 0: whole frames
	// The AF_PACKET ring of each interface: BlockCount blocks of
	// BlockSize bytes; a block goes to the reader when full or after
	// BlockTimeout.
	BlockSize    int      `toml:"block_size"`
	BlockCount   int      `toml:"block_count"`
	BlockTimeout Duration `toml:"block_timeout"`
	FanoutGroup  int      `toml:"fanout_group"` // PACKET_FANOUT hash group shared with other weir processes; 0: none
	// ReorderWindow is how long a frame may wait for an earlier one from
	// another interface (it must exceed BlockTimeout).
	ReorderWindow Duration `toml:"reorder_window"`
	// Dedup drops a frame seen on another interface within DedupWindow
	// (two taps of one link).
	Dedup       bool     `toml:"dedup"`
	DedupWindow Duration `toml:"dedup_window"`
}

// Engine holds pipeline settings.
type Engine struct {
	Workers         int    `toml:"workers"`
	Filter          string `toml:"filter"`
	IgnoreChecksums bool   `toml:"ignore_checksums"`
}

// Conn holds connection-tracking settings (Zeek's names in comments).
type Conn struct {
	TCPInactivityTimeout  Duration `toml:"tcp_inactivity_timeout"`  // tcp_inactivity_timeout
	UDPInactivityTimeout  Duration `toml:"udp_inactivity_timeout"`  // udp_inactivity_timeout
	ICMPInactivityTimeout Duration `toml:"icmp_inactivity_timeout"` // icmp_inactivity_timeout
	MaxConnections        int      `toml:"max_connections"`
	MaxReassemblyBytes    int      `toml:"max_reassembly_bytes"`    // out-of-order bytes held per direction
	MaxReassemblyTotal    int64    `toml:"max_reassembly_total"`    // out-of-order bytes held per worker
	IgnoreViolationsAfter uint64   `toml:"ignore_violations_after"` // DPD::ignore_violations_after; 0: never
	LocalNets             []string `toml:"local_nets"`              // Site::local_nets; empty = Zeek's private address space
	UIDSeed               uint64   `toml:"uid_seed"`
	CommunityIDSeed       uint16   `toml:"community_id_seed"`
}

// Decode holds decoder settings.
type Decode struct {
	MaxFragmentDatagrams int      `toml:"max_fragment_datagrams"`
	MaxFragmentBytes     int      `toml:"max_fragment_bytes"`
	FragmentTimeout      Duration `toml:"fragment_timeout"`
}

// Default returns the built-in configuration.
func Default() File {
	return File{
		Output: Output{Dir: "logs", Format: "tsv", JSONTime: "epoch", LiveQueue: 1 << 17, DrainTimeout: Duration{30 * time.Second}},
		Engine: Engine{Workers: 1},
		Capture: Capture{Interfaces: []string{}, Promisc: true, BlockSize: 256 << 10, BlockCount: 128, BlockTimeout: Duration{10 * time.Millisecond},
			ReorderWindow: Duration{50 * time.Millisecond}, DedupWindow: Duration{5 * time.Millisecond}},
		Conn: Conn{
			TCPInactivityTimeout:  Duration{5 * time.Minute},
			UDPInactivityTimeout:  Duration{time.Minute},
			ICMPInactivityTimeout: Duration{time.Minute},
			MaxConnections:        1 << 20,
			MaxReassemblyBytes:    1 << 20,
			MaxReassemblyTotal:    256 << 20,
			IgnoreViolationsAfter: 10 * 1024,
		},
		Decode: Decode{
			MaxFragmentDatagrams: 8192,
			MaxFragmentBytes:     64 << 20,
			FragmentTimeout:      Duration{60 * time.Second},
		},
	}
}

// Load reads path over the defaults.
func Load(path string) (File, error) {
	f := Default()
	md, err := toml.DecodeFile(path, &f)
	if err != nil {
		return f, fmt.Errorf("config %s: %w", path, err)
	}
	f.md, f.path = md, path
	var keys []string
	for _, k := range md.Undecoded() {
		// Analyzer tables are decoded later by their analyzers.
		if len(k) > 0 && k[0] == "analyzer" {
			continue
		}
		keys = append(keys, k.String())
	}
	if len(keys) > 0 {
		return f, fmt.Errorf("config %s: unknown key %s", path, strings.Join(keys, ", "))
	}
	return f, f.Validate()
}

// Validate checks values a type cannot.
func (f *File) Validate() error {
	switch f.Output.Format {
	case "tsv", "json":
	default:
		return fmt.Errorf("output.format %q: want tsv or json", f.Output.Format)
	}
	switch f.Output.Compress {
	case "", "none", "gzip", "zstd":
	default:
		return fmt.Errorf("output.compress %q: want gzip, zstd or none", f.Output.Compress)
	}
	switch f.Output.JSONTime {
	case "epoch", "iso8601":
	default:
		return fmt.Errorf("output.json_time %q: want epoch or iso8601", f.Output.JSONTime)
	}
	if f.Output.LiveQueue < 1 {
		return fmt.Errorf("output.live_queue %d: must be positive", f.Output.LiveQueue)
	}
	if f.Output.RotateSize < 0 {
		return fmt.Errorf("output.rotate_size %d: must not be negative", f.Output.RotateSize)
	}
	if c := f.Capture; c.FanoutGroup < 0 || c.FanoutGroup > 65535 {
		return fmt.Errorf("capture.fanout_group %d: a group id is 1 to 65535 (0: none)", c.FanoutGroup)
	}
	if c := f.Capture; c.BlockSize < 4096 || c.BlockSize&(c.BlockSize-1) != 0 || c.BlockCount < 2 {
		return fmt.Errorf("capture: block_size %d must be a power of two of at least 4096, block_count %d at least 2", c.BlockSize, c.BlockCount)
	}
	if c := f.Capture; c.ReorderWindow.Duration <= c.BlockTimeout.Duration {
		return fmt.Errorf("capture.reorder_window %v must exceed block_timeout %v, or frames from different interfaces come out of order", c.ReorderWindow.Duration, c.BlockTimeout.Duration)
	}
	if f.Engine.Workers < 1 || f.Engine.Workers > 256 {
		return fmt.Errorf("engine.workers %d: want 1 to 256", f.Engine.Workers)
	}
	seen := map[string]bool{}
	for _, p := range f.Plugins {
		if seen[p.Name] {
			return fmt.Errorf("[[plugin]] %q appears twice: names must be unique", p.Name)
		}
		seen[p.Name] = true
	}
	if f.Conn.MaxConnections < 1 {
		return fmt.Errorf("conn.max_connections %d: must be positive", f.Conn.MaxConnections)
	}
	return nil
}
