// Command analyzer is weir's command-line interface: it replays capture
// files (and, later, live interfaces) and writes Zeek-compatible logs.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/weirnet/weir/core/analyzer"
	_ "github.com/weirnet/weir/core/analyzer/all"
	"github.com/weirnet/weir/core/bus"
	"github.com/weirnet/weir/core/conn"
	"github.com/weirnet/weir/core/decode"
	"github.com/weirnet/weir/core/engine"
	"github.com/weirnet/weir/core/flow"
	"github.com/weirnet/weir/internal/config"
	"github.com/weirnet/weir/internal/metrics"
	"github.com/weirnet/weir/logs"
	"github.com/weirnet/weir/plugins/capturelosslog"
	"github.com/weirnet/weir/plugins/host"
	"github.com/weirnet/weir/plugins/statslog"
	"github.com/weirnet/weir/sources"
	"github.com/weirnet/weir/sources/afpacket"
	"github.com/weirnet/weir/sources/bpf"
	"github.com/weirnet/weir/sources/file"
	"github.com/weirnet/weir/sources/live"
)

const usage = `analyzer: network traffic analysis with Zeek-compatible logs.

Usage:
  analyzer -r FILE [-r FILE ...] [options]

Examples:
  analyzer -r capture.pcap                      logs into ./logs
  analyzer -r 'case/*.pcap*' -o out/ --workers 4
  analyzer -r a.pcapng.zst -f 'tcp port 443' --format json --compress zstd
  analyzer -r trace.pcap -C                     ignore checksums (like zeek -C)

Files may be pcap or pcapng, plain or gzip/zstd-compressed (recognised by
content). Packets from all files are merged into one timestamp order.

Options:
`

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

type options struct {
	reads     multiFlag
	ifaces    multiFlag
	noPromisc bool
	dedup     bool
	user      string
	out       string
	ignoreCk  bool
	filter    string
	workers   int
	format    string
	compress  string
	isoTime   bool
	cfgPath   string
	quiet     bool
	rotate    time.Duration
	metrics   string
	statsIvl  time.Duration
	snaplen   int
	fanout    uint
	cpuProf   string
	memProf   string
}

func main() {
	// The connection table is a large, long-lived, pointer-rich heap: a
	// less eager collector trades some memory for a lot of CPU. GOGC in
	// the environment still wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(300)
	}
	os.Exit(run(os.Args[1:], os.Stderr))
}

func run(args []string, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "plugin-serve":
			if len(args) != 2 {
				fmt.Fprintln(stderr, "usage: analyzer plugin-serve NAME")
				return 2
			}
			return servePlugin(args[1], stderr)
		case "plugins":
			return listPlugins(args[1:], os.Stdout, stderr)
		}
	}
	fs := flag.NewFlagSet("analyzer", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.Var(&o.reads, "r", "read packets from `FILE` (pcap/pcapng, optionally .gz/.zst; a glob is expanded); repeatable")
	fs.Var(&o.ifaces, "i", "capture live from `IFACE` (AF_PACKET ring, libpcap for \"any\"); repeatable; with -r the files are replayed first")
	fs.BoolVar(&o.noPromisc, "p", false, "live capture: do not put interfaces in promiscuous mode")
	fs.BoolVar(&o.dedup, "dedup", false, "live capture: drop a frame seen again on another interface (two taps of one link)")
	fs.StringVar(&o.user, "user", "", "live capture: after opening the interfaces, run as `USER` keeping only CAP_NET_RAW")
	fs.StringVar(&o.out, "o", "", "write logs into `DIR` (default ./logs, or output.dir from the config)")
	fs.BoolVar(&o.ignoreCk, "C", false, "ignore checksums (Zeek's -C)")
	fs.StringVar(&o.filter, "f", "", "tcpdump-syntax `FILTER` applied to every packet")
	fs.IntVar(&o.workers, "workers", 0, "shard connections over `N` worker goroutines (output is the same for any N)")
	fs.StringVar(&o.format, "format", "", "log format: tsv (Zeek's ASCII, default) or json")
	fs.StringVar(&o.compress, "compress", "", "compress logs: gzip or zstd")
	fs.BoolVar(&o.isoTime, "iso-time", false, "JSON logs: write ts as ISO 8601 instead of epoch seconds")
	fs.StringVar(&o.cfgPath, "c", "", "read configuration from `weir.toml`")
	fs.BoolVar(&o.quiet, "q", false, "no progress bar and no summary")
	fs.IntVar(&o.snaplen, "snaplen", 0, "live capture: bytes kept per frame (default: whole frames)")
	fs.UintVar(&o.fanout, "fanout", 0, "live capture: join PACKET_FANOUT hash group `ID` (1-65535) to share a link between several weir processes")
	fs.DurationVar(&o.statsIvl, "stats-interval", 5*time.Minute, "live capture: write stats.log and capture_loss.log every `INTERVAL`")
	fs.StringVar(&o.metrics, "metrics", "", "serve Prometheus metrics on `ADDR` (e.g. 127.0.0.1:9911) at /metrics")
	fs.DurationVar(&o.rotate, "rotate", 0, "rotate logs every `INTERVAL` of network time (e.g. 1h), Zeek-style file names")
	fs.StringVar(&o.cpuProf, "cpuprofile", "", "write a CPU profile to `FILE` (for performance work)")
	fs.StringVar(&o.memProf, "memprofile", "", "write a heap profile to `FILE` at the end")
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "analyzer: unexpected argument %q (files are given with -r)\n", fs.Arg(0))
		return 2
	}
	if len(o.reads) == 0 && len(o.ifaces) == 0 && o.cfgPath == "" {
		fmt.Fprintln(stderr, "analyzer: nothing to read: give capture files with -r or interfaces with -i (see analyzer --help)")
		return 2
	}
	if o.cpuProf != "" {
		f, err := os.Create(o.cpuProf)
		if err != nil {
			fmt.Fprintf(stderr, "analyzer: %v\n", err)
			return 1
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if o.memProf != "" {
		defer func() {
			if f, err := os.Create(o.memProf); err == nil {
				pprof.WriteHeapProfile(f)
				f.Close()
			}
		}()
	}
	if err := replay(o, stderr); err != nil {
		fmt.Fprintf(stderr, "analyzer: %v\n", err)
		return 1
	}
	return 0
}

// loadConfig reads the configuration file, if any, over the defaults and
// the command line over both, and checks the result.
func loadConfig(o options) (config.File, error) {
	cfg := config.Default()
	if o.cfgPath != "" {
		var err error
		if cfg, err = config.Load(o.cfgPath); err != nil {
			return cfg, err
		}
	}
	if o.out != "" {
		cfg.Output.Dir = o.out
	}
	if o.format != "" {
		cfg.Output.Format = o.format
	}
	if o.compress != "" {
		cfg.Output.Compress = o.compress
	}
	if o.rotate > 0 {
		cfg.Output.RotateInterval.Duration = o.rotate
	}
	if o.isoTime {
		cfg.Output.JSONTime = "iso8601"
	}
	if o.workers > 0 {
		cfg.Engine.Workers = o.workers
	}
	if o.filter != "" {
		cfg.Engine.Filter = o.filter
	}
	if o.ignoreCk {
		cfg.Engine.IgnoreChecksums = true
	}
	if len(o.ifaces) > 0 {
		cfg.Capture.Interfaces = o.ifaces
	}
	if o.noPromisc {
		cfg.Capture.Promisc = false
	}
	if o.dedup {
		cfg.Capture.Dedup = true
	}
	if o.snaplen != 0 {
		cfg.Capture.Snaplen = o.snaplen
	}
	if o.fanout != 0 {
		if o.fanout > 65535 {
			return cfg, fmt.Errorf("--fanout %d: a group id is 1 to 65535", o.fanout)
		}
		cfg.Capture.FanoutGroup = int(o.fanout)
	}
	return cfg, cfg.Validate()
}

func replay(o options, stderr io.Writer) error {
	cfg, err := loadConfig(o)
	if err != nil {
		return err
	}

	var paths []string
	if len(o.reads) > 0 {
		var err error
		if paths, err = file.Expand(o.reads); err != nil {
			return err
		}
	}
	var srcs []sources.Source
	defer func() {
		for _, s := range srcs {
			s.Close()
		}
	}()
	for _, p := range paths {
		s, err := file.Open(p)
		if err != nil {
			return err
		}
		srcs = append(srcs, s)
	}

	logOpts, err := logOptions(cfg.Output)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(logOpts.Dir, 0o755); err != nil {
		return fmt.Errorf("create log directory: %w", err)
	}

	ecfg, err := engineConfig(cfg)
	if err != nil {
		return err
	}
	if cfg.Engine.Filter != "" && len(srcs) > 0 {
		set, err := bpf.NewSet(cfg.Engine.Filter, 262144)
		if err != nil {
			return err
		}
		var filterErr error
		ecfg.Filter = func(f *sources.Frame) bool {
			if fromLive(f) {
				return true // live frames were filtered in the kernel
			}
			ok, err := set.Match(f)
			if err != nil && filterErr == nil {
				filterErr = err
			}
			return ok
		}
		defer func() {
			if filterErr != nil {
				fmt.Fprintf(stderr, "analyzer: filter: %v\n", filterErr)
			}
		}()
	}

	var lm *live.Merger
	if len(paths) == 0 && len(cfg.Capture.Interfaces) == 0 {
		return errors.New("nothing to read: give capture files with -r, or interfaces with -i or capture.interfaces")
	}
	if len(cfg.Capture.Interfaces) > 0 {
		if lm, err = openLive(cfg.Capture, cfg.Engine.Filter, stderr); err != nil {
			return err
		}
		defer lm.Close()
		ecfg.Live = true
		ecfg.StatsInterval = int64(o.statsIvl)
		ecfg.CaptureStats = func() (recv, drops uint64) {
			for _, cs := range lm.CaptureStats() {
				recv += cs.Received
				drops += cs.Dropped
			}
			return recv, drops
		}
		if o.user != "" {
			if err := afpacket.DropPrivileges(o.user, true); err != nil {
				return fmt.Errorf("drop privileges to %s: %w", o.user, err)
			}
		}
	}

	outOfProc := map[string]bool{}
	var launched []*host.Plugin
	ran := false
	defer func() {
		if !ran { // an error before the run: stop the plugin processes
			for _, p := range launched {
				p.Close(0)
			}
		}
	}()
	for i := range cfg.Plugins {
		t := &cfg.Plugins[i]
		hc, err := t.Config(logOpts, lm != nil)
		if err != nil {
			return err
		}
		p, err := host.Launch(hc)
		if err != nil {
			return err
		}
		launched = append(launched, p)
		if t.Builtin != "" {
			outOfProc[t.Builtin] = true
		}
	}
	plugins := builtinPlugins(logOpts, outOfProc)
	if lm != nil {
		peer, _ := os.Hostname()
		plugins = append(plugins, statslog.New(logOpts, peer), capturelosslog.New(logOpts, peer))
	}
	for _, p := range launched {
		plugins = append(plugins, p)
	}
	ecfg.Conn.Taps = append(ecfg.Conn.Taps, host.Taps(launched...)...)
	ecfg.RotateInterval = int64(cfg.Output.RotateInterval.Duration)
	ecfg.RotateSize = cfg.Output.RotateSize
	b := bus.New(plugins...)
	var post atomic.Pointer[[]string] // a reload may change it
	post.Store(&cfg.Output.PostRotate)
	b.OnRotate = postRotate(&post, stderr) // interval, size or SIGHUP
	for _, p := range launched {
		p.OnRotate(b.OnRotate) // files an out-of-process plugin closes later (live) or beyond its first
	}
	if lm != nil {
		// A sensor never waits for its outputs: each log writes from its
		// own bounded queue, and what does not fit is dropped and
		// counted. One that fails (a full disk) is cut off with one clear
		// line, and counted, while capture and the other logs go on.
		b.Queue, b.DrainTimeout = cfg.Output.LiveQueue, cfg.Output.DrainTimeout.Duration
		b.Isolate = true
		b.OnError = func(p string, err error) {
			fmt.Fprintf(stderr, "analyzer: %v; its log stops here, capture and the other logs go on\n", err)
		}
	}
	eng := engine.New(ecfg, b)
	merger := sources.NewMerger(srcs)
	src := &chain{}
	if len(srcs) > 0 {
		src.files = merger
	}
	if lm != nil {
		src.live = &liveTagged{lm}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	rl := &reloader{o: o, cur: cfg, lm: lm, eng: eng, post: &post, stderr: stderr}
	go func() {
		for range hup {
			// Reload what can change while running, then reopen the
			// logs: the files so far are closed and renamed.
			rl.reload()
			eng.RotateNow()
		}
	}()
	if lm != nil {
		// A signal must wake a capture waiting for frames: closing the
		// live sources ends their stream; the engine then drains, flushes
		// and closes every log.
		go func() {
			<-ctx.Done()
			lm.Close()
		}()
	}

	if o.metrics != "" {
		ms, err := metrics.Serve(o.metrics, metricSources(eng, lm, launched, b))
		if err != nil {
			return err
		}
		defer ms.Close()
	}

	prog := newProgress(stderr, srcs, eng, o.quiet)
	start := time.Now()
	prog.start()
	ran = true
	runErr := eng.Run(ctx, src)
	if errors.Is(runErr, context.Canceled) {
		if lm != nil {
			runErr = nil // a sensor stopped by a signal: a clean shutdown
		} else {
			runErr = errors.New("interrupted: logs were flushed and closed up to that point")
		}
	}
	prog.stop()
	elapsed := time.Since(start)

	srcErrs := merger.Errors()
	if lm != nil {
		srcErrs = append(srcErrs, lm.Errors()...)
		if !o.quiet {
			for _, cs := range lm.CaptureStats() {
				fmt.Fprintf(stderr, "  %s: %d received, %d dropped by the kernel, %d cut by the snap length\n",
					cs.Name, cs.Received, cs.Dropped, cs.Cut)
			}
		}
	}
	if !o.quiet {
		summary(stderr, eng.Stats(), b, paths, elapsed, logOpts.Dir)
	}
	var errs []error
	for _, e := range srcErrs {
		errs = append(errs, e)
	}
	if runErr != nil {
		errs = append(errs, runErr)
	}
	return errors.Join(errs...)
}

func logOptions(o config.Output) (logs.Options, error) {
	lo := logs.Options{Dir: o.Dir, ISOTime: o.JSONTime == "iso8601"}
	switch o.Format {
	case "json":
		lo.Format = logs.JSON
	default:
		lo.Format = logs.TSV
	}
	if o.Compress != "none" {
		lo.Compress = logs.Compression(o.Compress)
	}
	return lo, nil
}

func engineConfig(f config.File) (engine.Config, error) {
	cc := conn.DefaultConfig()
	cc.TCPInactivity = f.Conn.TCPInactivityTimeout.Duration
	cc.UDPInactivity = f.Conn.UDPInactivityTimeout.Duration
	cc.ICMPInactivity = f.Conn.ICMPInactivityTimeout.Duration
	cc.MaxConns = f.Conn.MaxConnections
	cc.MaxReassemblyBytes = f.Conn.MaxReassemblyBytes
	cc.MaxReassemblyTotal = f.Conn.MaxReassemblyTotal
	cc.IgnoreViolationsAfter = f.Conn.IgnoreViolationsAfter
	cc.UIDSeed = f.Conn.UIDSeed
	cc.CommunityIDSeed = f.Conn.CommunityIDSeed
	if len(f.Conn.LocalNets) > 0 {
		nets, err := flow.ParseNets(f.Conn.LocalNets)
		if err != nil {
			return engine.Config{}, fmt.Errorf("conn.local_nets: %w", err)
		}
		cc.LocalNets = nets
	}
	ans, err := buildAnalyzers(&f)
	if err != nil {
		return engine.Config{}, err
	}
	cc.Analyzers = ans
	return engine.Config{
		Workers: f.Engine.Workers,
		Decode: decode.Config{
			CheckChecksums:   !f.Engine.IgnoreChecksums,
			MaxFragDatagrams: f.Decode.MaxFragmentDatagrams,
			MaxFragBytes:     f.Decode.MaxFragmentBytes,
			FragTimeout:      int64(f.Decode.FragmentTimeout.Duration),
		},
		Conn: cc,
	}, nil
}

// buildAnalyzers instantiates every registered analyzer that the
// configuration does not disable, with its [analyzer.NAME] table.
func buildAnalyzers(f *config.File) ([]analyzer.Analyzer, error) {
	reg := analyzer.Default()
	var out []analyzer.Analyzer
	for _, name := range reg.Names() {
		fac, _ := reg.Get(name)
		decode, enabled, err := f.AnalyzerConfig(name)
		if err != nil {
			return nil, err
		}
		if !enabled {
			continue
		}
		a, err := fac.New(decode)
		if err != nil {
			return nil, fmt.Errorf("analyzer/%s: %w", name, err)
		}
		if in, ok := a.(analyzer.Initializer); ok {
			if err := in.Init(); err != nil {
				return nil, fmt.Errorf("analyzer/%s: %w", name, err)
			}
		}
		out = append(out, a)
	}
	for name := range f.Analyzers {
		if _, ok := reg.Get(name); !ok {
			return nil, fmt.Errorf("config: [analyzer.%s]: no such analyzer (have %s)", name, strings.Join(reg.Names(), ", "))
		}
	}
	return out, nil
}

// postRotate returns the hook run for rotated files: the configured
// command with the file's path appended, one run per file, in the
// background so a slow shipper never blocks the sensor.
func postRotate(command *atomic.Pointer[[]string], stderr io.Writer) func([]string) {
	return func(paths []string) {
		cmd := *command.Load()
		if len(cmd) == 0 {
			return
		}
		for _, p := range paths {
			c := exec.Command(cmd[0], append(append([]string{}, cmd[1:]...), p)...)
			c.Stdout, c.Stderr = stderr, stderr
			if err := c.Start(); err != nil {
				fmt.Fprintf(stderr, "analyzer: post_rotate %s: %v\n", p, err)
				continue
			}
			go c.Wait()
		}
	}
}

// metricSources connects the metrics endpoint to the running pipeline.
func metricSources(eng *engine.Engine, lm *live.Merger, plugins []*host.Plugin, b *bus.Bus) metrics.Sources {
	src := metrics.Sources{
		LogBytes: b.LogBytes,
		Frames: func() (uint64, uint64, uint64) {
			s := eng.Snapshot()
			return s.Frames, s.Filtered, s.Events
		},
		LiveConns: func() int64 { return eng.Snapshot().LiveConns },
		Plugins: func() []metrics.Plugin {
			var out []metrics.Plugin
			oop := map[string]bool{}
			for _, p := range plugins {
				st := p.Stats()
				oop[p.Name()] = true
				out = append(out, metrics.Plugin{Name: p.Name(), Delivered: st.Delivered, Dropped: st.Dropped,
					Pending: st.Pending, Restarts: st.Restarts, Disabled: st.State == "disabled",
					SpilledEvents: st.SpilledEvents, SpilledBatches: st.SpilledBatches, SpillEvents: st.SpillEvents, SpillBytes: st.SpillBytes})
			}
			dropped, failed, queued := b.Dropped(), b.Failed(), b.Queued()
			for name, n := range b.Delivered() {
				if !oop[name] {
					out = append(out, metrics.Plugin{Name: name, Delivered: n, Dropped: dropped[name],
						Pending: uint64(queued[name]), Disabled: failed[name]})
				}
			}
			return out
		},
	}
	if lm != nil {
		src.Interfaces = func() []metrics.Interface {
			var out []metrics.Interface
			for _, cs := range lm.CaptureStats() {
				out = append(out, metrics.Interface{Name: cs.Name, Received: cs.Received, Dropped: cs.Dropped,
					IfDropped: cs.IfDrops, Reopens: cs.Reopens, Cut: cs.Cut, Down: cs.Down})
			}
			return out
		}
	}
	return src
}
