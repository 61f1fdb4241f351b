package host

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	hclog "github.com/hashicorp/go-hclog"

	"github.com/weirnet/weir/core/analyzer"
	_ "github.com/weirnet/weir/core/analyzer/all"
	"github.com/weirnet/weir/core/bus"
	"github.com/weirnet/weir/core/conn"
	"github.com/weirnet/weir/core/decode"
	"github.com/weirnet/weir/core/engine"
	"github.com/weirnet/weir/core/event"
	"github.com/weirnet/weir/logs"
	"github.com/weirnet/weir/plugins/connlog"
	"github.com/weirnet/weir/plugins/dnslog"
	"github.com/weirnet/weir/plugins/httplog"
	"github.com/weirnet/weir/plugins/sshlog"
	"github.com/weirnet/weir/plugins/ssllog"
	"github.com/weirnet/weir/plugins/weirdlog"
	"github.com/weirnet/weir/sources"
	"github.com/weirnet/weir/sources/file"
)

// testPlugin is the test plugin binary (testdata/plugin), built by
// TestMain; its argument chooses the role.
var testPlugin string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "weir-host-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := func() int {
		defer os.RemoveAll(dir)
		goTool, err := exec.LookPath("go")
		if err != nil {
			goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
		}
		testPlugin = filepath.Join(dir, "plugin")
		if b, err := exec.Command(goTool, "build", "-o", testPlugin, "./testdata/plugin").CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building the test plugin: %v\n%s", err, b)
			return 1
		}
		return m.Run()
	}()
	os.Exit(code)
}

// quietLogger keeps the expected restarts out of the test output, unless
// -v.
func quietLogger(t testing.TB) hclog.Logger {
	out := io.Discard
	if testing.Verbose() {
		out = os.Stderr
	}
	return hclog.New(&hclog.LoggerOptions{Name: "plugin", Level: hclog.Warn, Output: out})
}

// builtinConfig runs the conn or weird log plugin out of process.
func builtinConfig(t testing.TB, name string, lo logs.Options) Config {
	return Config{
		Name:   name,
		Path:   testPlugin,
		Args:   []string{name},
		Logs:   lo,
		Logger: quietLogger(t),
	}
}

func launch(t testing.TB, cfg Config) *Plugin {
	t.Helper()
	p, err := Launch(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p.Stats().State != "closed" && p.Stats().State != "disabled" {
			_ = p.Close(0)
		}
	})
	return p
}

// recorder keeps copies of the events the engine publishes.
type recorder struct {
	events []event.Event
	open   int64
}

func (r *recorder) Name() string                { return "recorder" }
func (r *recorder) Subscriptions() []event.Kind { return event.Kinds() }
func (r *recorder) Open(ts int64) error         { r.open = ts; return nil }
func (r *recorder) Handle(batch []event.Event) error {
	r.events = append(r.events, batch...)
	return nil
}
func (r *recorder) Close(int64) error { return nil }

// capture runs the engine over a capture of testdata/pcaps and returns its
// events, the open time and the close time.
func capture(t *testing.T, name string) ([]event.Event, int64, int64) {
	t.Helper()
	src, err := file.Open(filepath.Join("..", "..", "testdata", "pcaps", name))
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	cc := conn.DefaultConfig()
	reg := analyzer.Default()
	for _, name := range reg.Names() {
		fac, _ := reg.Get(name)
		a, err := fac.New(nil)
		if err != nil {
			t.Fatalf("analyzer %s: %v", name, err)
		}
		if in, ok := a.(analyzer.Initializer); ok {
			if err := in.Init(); err != nil {
				t.Fatalf("analyzer %s: %v", name, err)
			}
		}
		cc.Analyzers = append(cc.Analyzers, a)
	}
	eng := engine.New(engine.Config{
		Workers: 1,
		Decode:  decode.Config{CheckChecksums: true},
		Conn:    cc,
	}, bus.New(rec))
	m := sources.NewMerger([]sources.Source{src})
	defer m.Close()
	if err := eng.Run(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	return rec.events, rec.open, eng.Stats().LastTS
}

// deliver replays events through a bus of the given plugins in batches of
// n, as the engine's epochs would.
func deliver(t testing.TB, events []event.Event, open, close int64, n int, ps ...bus.Plugin) error {
	b := bus.New(ps...)
	if err := b.Open(open); err != nil {
		return err
	}
	for i := 0; i < len(events); i += n {
		if err := b.Deliver(events[i:min(i+n, len(events))]); err != nil {
			return err
		}
	}
	return b.Close(close)
}

// readLogs returns the files of dir, without the SDK's own.
func readLogs(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".weir-") {
			t.Errorf("%s left in the log directory", e.Name())
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(e.Name(), ".gz") {
			// Compressed bytes depend on where the writer flushed:
			// compare what they hold.
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if b, err = io.ReadAll(zr); err != nil {
				t.Fatalf("%s: %v", e.Name(), err)
			}
		}
		out[e.Name()] = string(b)
	}
	return out
}

func sameLogs(t testing.TB, got, want map[string]string) {
	t.Helper()
	if len(want) == 0 {
		t.Fatal("no logs to compare")
	}
	for name, w := range want {
		g, ok := got[name]
		if !ok {
			t.Errorf("%s missing out of process", name)
			continue
		}
		if g != w {
			gl, wl := strings.Split(g, "\n"), strings.Split(w, "\n")
			for i := range max(len(gl), len(wl)) {
				var a, b string
				if i < len(gl) {
					a = gl[i]
				}
				if i < len(wl) {
					b = wl[i]
				}
				if a != b {
					t.Errorf("%s differs at line %d (of %d, want %d):\n got %q\nwant %q", name, i+1, len(gl), len(wl), a, b)
					break
				}
			}
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("unexpected file %s out of process", name)
		}
	}
}

// TestGoldenOutOfProcess: the logs the built-in plugins write out of
// process are byte for byte those they write in process, for the
// project's captures (every protocol with an event), in every format.
func TestGoldenOutOfProcess(t *testing.T) {
	cases := []struct {
		pcap string
		lo   logs.Options
		want string // a log the capture must produce
	}{
		{"real_mixed.pcap", logs.Options{}, "conn.log"},
		{"malformed.pcap", logs.Options{}, "weird.log"},
		{"tcp_flipped.pcap", logs.Options{Format: logs.JSON}, "weird.log"},
		{"icmpv6_echo_nd.pcap", logs.Options{Format: logs.JSON, ISOTime: true}, "conn.log"},
		{"udp_bad_checksum.pcap", logs.Options{Compress: logs.Gzip}, "weird.log.gz"},
		{"real_dns_basic.pcap", logs.Options{}, "dns.log"},
		{"real_http_pipelined.pcap", logs.Options{Format: logs.JSON}, "http.log"},
		{"real_ssh_password_fail.pcap", logs.Options{}, "ssh.log"},
		{"real_tls_13.pcap", logs.Options{}, "ssl.log"},
	}
	names := []string{"conn", "weird", "dns", "http", "ssh", "ssl"}
	inProcess := func(lo logs.Options) []bus.Plugin {
		return []bus.Plugin{connlog.New(lo), weirdlog.New(lo), dnslog.New(lo), httplog.New(lo), sshlog.New(lo),
			ssllog.New(lo, ssllog.Config{ServerSubjectIssuer: true, ClientSubjectIssuer: true})}
	}
	for _, tc := range cases {
		t.Run(tc.pcap, func(t *testing.T) {
			events, open, close := capture(t, tc.pcap)
			in, out := tc.lo, tc.lo
			in.Dir, out.Dir = t.TempDir(), t.TempDir()
			if err := deliver(t, events, open, close, 100, inProcess(in)...); err != nil {
				t.Fatal(err)
			}
			var ps []bus.Plugin
			for _, name := range names {
				ps = append(ps, launch(t, builtinConfig(t, name, out)))
			}
			if err := deliver(t, events, open, close, 100, ps...); err != nil {
				t.Fatal(err)
			}
			want := readLogs(t, in.Dir)
			if _, ok := want[tc.want]; !ok {
				t.Fatalf("the capture gave no %s in process", tc.want)
			}
			sameLogs(t, readLogs(t, out.Dir), want)
			for _, p := range ps {
				if s := p.(*Plugin).Stats(); s.State != "closed" || s.Restarts != 0 || s.Dropped != 0 || s.Pending != 0 {
					t.Errorf("%s plugin stats %+v", p.Name(), s)
				}
			}
		})
	}
}

// connEvents generates n ConnEnd events of realistic size, numbered by Seq
// from 1.
func connEvents(n int) []event.Event {
	evs := make([]event.Event, n)
	conns := make([]event.Conn, n)
	base := int64(1_700_000_000_000_000_000)
	for i := range evs {
		uid := fmt.Sprintf("C%017d", i*7919%1_000_003)
		o := netip.AddrFrom4([4]byte{198, 18, byte(i >> 8), byte(i)})
		r := netip.AddrFrom4([4]byte{198, 19, byte(i % 7), byte(i % 251)})
		conns[i] = event.Conn{
			UID: uid, ID: event.ConnID{OrigH: o, RespH: r, OrigP: uint16(32768 + i%28000), RespP: 443, Proto: event.TransportTCP},
			Start: base + int64(i)*1000, Duration: int64(i%5000) * 1_000_003, OrigBytes: uint64(i % 9000), RespBytes: uint64(i * 13 % 100000),
			ConnState: "SF", LocalOrig: event.True, LocalResp: event.False, History: "ShADadFf",
			OrigPkts: uint64(i%40 + 3), OrigIPBytes: uint64(i%9000 + 200), RespPkts: uint64(i%50 + 2), RespIPBytes: uint64(i*13%100000 + 180),
			IPProto: 6, Service: []string{"ssl"}, CommunityID: "1:LQU9qZlK+B5F3KDmev6m5PMibrg=",
		}
		evs[i] = event.Event{Kind: event.KindConnEnd, Time: base + int64(i)*1000 + 1, Key: uid, Seq: uint64(i + 1), Conn: &conns[i]}
	}
	return evs
}

// inProcess writes the conn log of events in process: the reference.
func inProcess(t testing.TB, events []event.Event, lo logs.Options) map[string]string {
	lo.Dir = t.TempDir()
	if err := deliver(t, events, events[0].Time, events[len(events)-1].Time, 1000, connlog.New(lo)); err != nil {
		t.Fatal(err)
	}
	return readLogs(t, lo.Dir)
}

// pid returns the current process of p, for the test to kill.
func (p *Plugin) pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.proc == nil {
		return 0
	}
	return p.proc.pid
}

// TestSIGKILLMidStream: the plugin process is killed while batches are in
// flight; the host restarts it, it resumes from its checkpoint, and the
// final log equals an undisturbed run line for line.
func TestSIGKILLMidStream(t *testing.T) {
	for _, lo := range []logs.Options{{}, {Format: logs.JSON}} {
		t.Run(lo.Format.String(), func(t *testing.T) {
			events := connEvents(60_000)
			want := inProcess(t, events, lo)
			lo.Dir = t.TempDir()
			cfg := builtinConfig(t, "conn", lo)
			cfg.BatchEvents = 256
			cfg.Window = 8
			cfg.BackoffMin = 10 * time.Millisecond
			p := launch(t, cfg)
			b := bus.New(p)
			if err := b.Open(events[0].Time); err != nil {
				t.Fatal(err)
			}
			killed := 0
			for i := 0; i < len(events); i += 1000 {
				if i == 20_000 || i == 41_000 {
					pid := p.pid()
					if pid == 0 {
						t.Fatalf("no process to kill: %+v %v", p.Stats(), p.Err())
					}
					if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
						t.Fatal(err)
					}
					killed++
				}
				if err := b.Deliver(events[i:min(i+1000, len(events))]); err != nil {
					t.Fatal(err)
				}
			}
			if err := b.Close(events[len(events)-1].Time); err != nil {
				t.Fatal(err)
			}
			s := p.Stats()
			if s.Restarts != killed || s.Delivered != uint64(len(events)) || s.Dropped != 0 {
				t.Errorf("stats %+v after %d kills of %d events", s, killed, len(events))
			}
			sameLogs(t, readLogs(t, lo.Dir), want)
		})
	}
}

// TestCompressedLogSplitAfterCrash: a compressed log cannot be continued
// in place (see sdk), so the part before the crash is kept under a
// numbered name; together the parts hold every record once.
func TestCompressedLogSplitAfterCrash(t *testing.T) {
	events := connEvents(20_000)
	lo := logs.Options{Compress: logs.Gzip, Dir: t.TempDir()}
	cfg := builtinConfig(t, "conn", lo)
	cfg.Options = map[string]any{"fail_at": 12_345, "fail_mode": "exit", "fail_once": filepath.Join(t.TempDir(), "marker")}
	cfg.BatchEvents, cfg.Window, cfg.BackoffMin = 256, 8, 10*time.Millisecond
	p := launch(t, cfg)
	if err := deliver(t, events, events[0].Time, events[len(events)-1].Time, 1000, p); err != nil {
		t.Fatal(err)
	}
	if s := p.Stats(); s.Restarts != 1 {
		t.Fatalf("stats %+v", s)
	}
	if ents, _ := os.ReadDir(lo.Dir); testing.Verbose() {
		for _, e := range ents {
			t.Log(e.Name())
		}
	}
	var records []string
	for _, name := range []string{"conn.1.log.gz", "conn.log.gz"} {
		records = append(records, gunzipRecords(t, filepath.Join(lo.Dir, name))...)
	}
	want := inProcess(t, events, logs.Options{})["conn.log"]
	var wantRecords []string
	for _, l := range strings.Split(want, "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			wantRecords = append(wantRecords, l)
		}
	}
	if len(records) != len(wantRecords) {
		t.Fatalf("%d records in the parts, want %d", len(records), len(wantRecords))
	}
	for i := range records {
		if records[i] != wantRecords[i] {
			t.Fatalf("record %d: %q, want %q", i, records[i], wantRecords[i])
		}
	}
}

// TestHungPluginRestarted: a plugin stuck in its handler is noticed by the
// acknowledgement timeout, killed and restarted; nothing is lost.
func TestHungPluginRestarted(t *testing.T) {
	events := connEvents(5000)
	want := inProcess(t, events, logs.Options{})
	lo := logs.Options{Dir: t.TempDir()}
	cfg := builtinConfig(t, "conn", lo)
	cfg.Options = map[string]any{"fail_at": 2500, "fail_mode": "hang", "fail_once": filepath.Join(t.TempDir(), "marker")}
	cfg.AckTimeout, cfg.FlushInterval, cfg.BackoffMin = 300*time.Millisecond, 50*time.Millisecond, 10*time.Millisecond
	p := launch(t, cfg)
	start := time.Now()
	if err := deliver(t, events, events[0].Time, events[len(events)-1].Time, 500, p); err != nil {
		t.Fatal(err)
	}
	// At least the one restart; a machine loaded enough to stall the
	// replacement process for the short timeout may cause more, which
	// must not change the log either.
	if s := p.Stats(); s.Restarts < 1 || s.Delivered != uint64(len(events)) {
		t.Fatalf("stats %+v", s)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v to notice the hang", d)
	}
	sameLogs(t, readLogs(t, lo.Dir), want)
}

// TestPanicRestarted: a panicking plugin is restarted and resumes.
func TestPanicRestarted(t *testing.T) {
	events := connEvents(5000)
	want := inProcess(t, events, logs.Options{})
	lo := logs.Options{Dir: t.TempDir()}
	cfg := builtinConfig(t, "conn", lo)
	cfg.Options = map[string]any{"fail_at": 4000, "fail_mode": "panic", "fail_once": filepath.Join(t.TempDir(), "marker")}
	cfg.BackoffMin = 10 * time.Millisecond
	p := launch(t, cfg)
	if err := deliver(t, events, events[0].Time, events[len(events)-1].Time, 700, p); err != nil {
		t.Fatal(err)
	}
	if s := p.Stats(); s.Restarts != 1 {
		t.Fatalf("stats %+v", s)
	}
	sameLogs(t, readLogs(t, lo.Dir), want)
}

// TestCrashLoopDisabled: a plugin that fails every time is disabled with
// one error naming the cause; the bus and the other plugins go on.
func TestCrashLoopDisabled(t *testing.T) {
	events := connEvents(5000)
	want := inProcess(t, events, logs.Options{})
	bad := builtinConfig(t, "conn", logs.Options{Dir: t.TempDir()})
	bad.Name = "badconn"
	bad.Options = map[string]any{"fail_at": 1000, "fail_mode": "panic"}
	bad.MaxRestarts, bad.BackoffMin = 2, 5*time.Millisecond
	var logged bytes.Buffer
	bad.Logger = hclog.New(&hclog.LoggerOptions{Level: hclog.Error, Output: &logged})
	good := builtinConfig(t, "conn", logs.Options{Dir: t.TempDir()})
	bp, gp := launch(t, bad), launch(t, good)
	err := deliver(t, events, events[0].Time, events[len(events)-1].Time, 500, bp, gp)
	if err == nil || !strings.Contains(err.Error(), "badconn disabled") || !strings.Contains(err.Error(), "injected panic at event 1000") {
		t.Fatalf("Close error = %v; want the disabling with its cause", err)
	}
	if n := strings.Count(logged.String(), "disabled"); n != 1 {
		t.Errorf("logged %d errors about disabling, want 1:\n%s", n, logged.String())
	}
	if s := bp.Stats(); s.State != "disabled" || s.Restarts != 2 || s.Delivered+s.Dropped != uint64(len(events)) {
		t.Errorf("disabled plugin's stats %+v", s)
	}
	sameLogs(t, readLogs(t, good.Logs.Dir), want)
}

// privateTMPDIR points TMPDIR, for the host and the plugin processes it
// starts, at a new empty directory of the test, which it returns: where
// the plugins' sockets go, whether in a directory of the host's or, as
// go-plugin does by itself, directly there. Other tests and packages may
// create files in /tmp at the same time; nobody else uses this directory.
func privateTMPDIR(t *testing.T) string {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	return dir
}

// noFilesLeft fails the test if dir is not empty.
func noFilesLeft(t *testing.T, dir, when string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		t.Errorf("%s: %s left in TMPDIR (mode %v)", when, e.Name(), e.Type())
	}
}

// sockets returns the names of the unix sockets in dir.
func sockets(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		if e.Type()&os.ModeSocket != 0 {
			names = append(names, e.Name())
		} else {
			t.Errorf("%s in the socket directory is not a socket (mode %v)", e.Name(), e.Type())
		}
	}
	return names
}

// waitFor polls cond for up to 10s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestNoSocketsLeft: the unix socket of a plugin process that is killed
// or crashes does not outlive it. Each plugin's processes listen in one
// private directory, which holds only the live process's socket across
// restarts and is removed when the plugin is disabled or closed.
func TestNoSocketsLeft(t *testing.T) {
	goodLogs, badLogs := t.TempDir(), t.TempDir()
	tmp := privateTMPDIR(t)
	events := connEvents(10_000)

	good := builtinConfig(t, "conn", logs.Options{Dir: goodLogs})
	good.BatchEvents, good.Window, good.BackoffMin = 256, 8, 10*time.Millisecond
	bad := builtinConfig(t, "conn", logs.Options{Dir: badLogs})
	bad.Name = "badconn"
	bad.Options = map[string]any{"fail_at": 1000, "fail_mode": "panic"}
	bad.MaxRestarts, bad.BackoffMin = 2, 5*time.Millisecond
	gp, bp := launch(t, good), launch(t, bad)

	dir := gp.sockDir
	if filepath.Dir(dir) != tmp || !strings.HasPrefix(filepath.Base(dir), "weir-plugin-conn-") {
		t.Fatalf("socket directory %s: want %s/weir-plugin-conn-*", dir, tmp)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("socket directory: %v, %v; want mode 0700", fi, err)
	}
	first := sockets(t, dir)
	if len(first) != 1 {
		t.Fatalf("sockets of the running process: %q, want one", first)
	}

	b := bus.New(gp, bp)
	if err := b.Open(events[0].Time); err != nil {
		t.Fatal(err)
	}
	half := len(events) / 2
	if err := b.Deliver(events[:half]); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(gp.pid(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the restart", func() bool {
		s := gp.Stats()
		return s.Restarts == 1 && s.State == "running"
	})
	if now := sockets(t, dir); len(now) != 1 || now[0] == first[0] {
		t.Errorf("sockets after the restart: %q; want only the new process's (the killed one's was %s)", now, first[0])
	}
	waitFor(t, "the crashing plugin to be disabled", func() bool { return bp.Stats().State == "disabled" })
	if _, err := os.Stat(bp.sockDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the disabled plugin's socket directory: %v; want it removed", err)
	}
	if err := b.Deliver(events[half:]); err != nil {
		t.Fatal(err)
	}
	err := b.Close(events[len(events)-1].Time)
	if err == nil || !strings.Contains(err.Error(), "badconn disabled") {
		t.Fatalf("Close: %v; want the crashing plugin disabled", err)
	}
	if s := gp.Stats(); s.Delivered != uint64(len(events)) {
		t.Errorf("stats %+v", s)
	}
	noFilesLeft(t, tmp, "after Close")
}

func TestSocketDirName(t *testing.T) {
	for name, want := range map[string]string{
		"conn":                             "conn",
		"my-plugin_2.1":                    "my-plugin_2.1",
		"../x/*y z":                        ".._x__y_z",
		"a-very-long-plugin-instance-name": "a-very-long-plugin-insta",
	} {
		if got := socketDirName(name); got != want {
			t.Errorf("socketDirName(%q) = %q, want %q", name, got, want)
		}
	}
}

// TestOldProtocolRefused: a plugin of another protocol version is refused
// with a message that says what to do, and leaves no socket behind.
func TestOldProtocolRefused(t *testing.T) {
	tmp := privateTMPDIR(t)
	_, err := Launch(Config{Name: "old", Path: testPlugin, Args: []string{"oldproto"}, Logger: quietLogger(t)})
	noFilesLeft(t, tmp, "after the refusal")
	if err == nil {
		t.Fatal("a protocol 0 plugin was accepted")
	}
	for _, want := range []string{"plugin old", "protocol version 0", "this weir speaks version 1", "rebuild"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

// TestChecksumPin: a pinned binary starts only if it matches.
func TestChecksumPin(t *testing.T) {
	sum, err := FileSHA256(testPlugin)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Name: "sink", Path: testPlugin, Args: []string{"sink"}, SHA256: sum, Logs: logs.Options{Dir: t.TempDir()}, Logger: quietLogger(t)}
	p := launch(t, cfg)
	if err := p.Close(0); err != nil {
		t.Fatal(err)
	}
	cfg.SHA256 = strings.Repeat("0", 64)
	_, err = Launch(cfg)
	if err == nil || !strings.Contains(err.Error(), "does not match the configured sha256") {
		t.Fatalf("Launch with a wrong checksum: %v", err)
	}
}

// TestOptionRejected: an unknown option stops the start with its name.
func TestOptionRejected(t *testing.T) {
	cfg := builtinConfig(t, "conn", logs.Options{Dir: t.TempDir()})
	cfg.Options = map[string]any{"fial_at": 3}
	_, err := Launch(cfg)
	if err == nil || !strings.Contains(err.Error(), `unknown field "fial_at"`) || !strings.Contains(err.Error(), "plugin conn") {
		t.Fatalf("Launch with a misspelt option: %v", err)
	}
}

// TestLiveModeDropsAndCounts: in live mode a slow plugin never blocks the
// bus; what does not fit is dropped and counted.
func TestLiveModeDropsAndCounts(t *testing.T) {
	events := connEvents(20_000)
	cfg := builtinConfig(t, "conn", logs.Options{Dir: t.TempDir()})
	cfg.Live, cfg.BatchEvents, cfg.Window, cfg.LiveQueue = true, 64, 2, 2
	cfg.Options = map[string]any{"slow_batch": "20ms"}
	p := launch(t, cfg)
	b := bus.New(p)
	if err := b.Open(events[0].Time); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for i := 0; i < len(events); i += 100 {
		if err := b.Deliver(events[i : i+100]); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("live delivery took %v: the bus was blocked", d)
	}
	if err := b.Close(events[len(events)-1].Time); err != nil {
		t.Fatal(err)
	}
	s := p.Stats()
	if s.Dropped == 0 || s.Delivered+s.Dropped != uint64(len(events)) {
		t.Fatalf("stats %+v: want drops, and every event delivered or dropped", s)
	}
}

// TestDescribe: check-only configuration leaves no file behind, in the
// log directory or TMPDIR.
func TestDescribe(t *testing.T) {
	dir := t.TempDir()
	tmp := privateTMPDIR(t)
	info, err := Describe(builtinConfig(t, "weird", logs.Options{Dir: dir}))
	if err != nil {
		t.Fatal(err)
	}
	noFilesLeft(t, tmp, "after Describe")
	if info.Name != "weird" || len(info.Kinds) != 2 || info.Kinds[0] != event.KindConnEnd || info.Kinds[1] != event.KindWeird {
		t.Fatalf("info %+v", info)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("Describe wrote %d files", len(ents))
	}
}

func TestLaunchErrors(t *testing.T) {
	_, err := Launch(Config{Name: "x", Path: "/nonexistent/plugin", Logger: quietLogger(t)})
	if err == nil || !strings.Contains(err.Error(), "plugin x (/nonexistent/plugin)") {
		t.Fatalf("missing binary: %v", err)
	}
	_, err = Launch(Config{Name: "x", Path: testPlugin, BatchEvents: 10})
	if err == nil || !strings.Contains(err.Error(), "batch_events 10") {
		t.Fatalf("small batches: %v", err)
	}
	if _, err := Launch(Config{Path: testPlugin}); err == nil {
		t.Fatal("no name accepted")
	}
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{SpillDir: filepath.Join(notDir, "spill")}, "plugin x: spill_dir: mkdir"},
		{Config{SpillDir: t.TempDir(), SpillMaxBytes: -1}, "plugin x: spill_max_bytes -1 is negative"},
		{Config{SpillDir: t.TempDir(), SpillMaxBytes: 1 << 20}, "plugin x: spill_max_bytes 1048576 is below"},
		{Config{SpillMaxBytes: 1 << 30}, "plugin x: spill_max_bytes is set without spill_dir"},
	} {
		tc.cfg.Name, tc.cfg.Path, tc.cfg.Live, tc.cfg.Logger = "x", testPlugin, true, quietLogger(t)
		if _, err := Launch(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("spill %q, %d: %v, want %q", tc.cfg.SpillDir, tc.cfg.SpillMaxBytes, err, tc.want)
		}
	}
}

// BenchmarkOutOfProcess measures delivery of conn-sized events to a plugin
// process that only decodes and checks them: the cost of the transport.
// WEIR_BENCH_BATCH="events window" overrides the batching.
func BenchmarkOutOfProcess(b *testing.B) {
	cfg := Config{Name: "sink", Path: testPlugin, Args: []string{"sink"}, Logs: logs.Options{Dir: b.TempDir()}, Logger: quietLogger(b)}
	if v := os.Getenv("WEIR_BENCH_BATCH"); v != "" {
		fmt.Sscan(v, &cfg.BatchEvents, &cfg.Window)
	}
	benchDelivery(b, launch(b, cfg), true)
}

// BenchmarkConnLog compares the conn log plugin in process with the same
// plugin out of process (the analyzer's plugin mode), writing conn.log:
// what moving a log plugin out of the core costs. The full-replay
// comparison (make bench) runs the analyzer with the plugin in and out of
// process over the same capture.
func BenchmarkConnLog(b *testing.B) {
	b.Run("in-process", func(b *testing.B) {
		benchDelivery(b, connlog.New(logs.Options{Dir: b.TempDir()}), false)
	})
	b.Run("out-of-process", func(b *testing.B) {
		benchDelivery(b, launch(b, builtinConfig(b, "conn", logs.Options{Dir: b.TempDir()})), true)
	})
}

// benchDelivery delivers b.N ConnEnd events through a bus to p, in the
// engine's batches of 8192, and reports events/s and the CPU time per
// event of this process and (for a plugin process) of the plugin.
func benchDelivery(b *testing.B, p bus.Plugin, child bool) {
	events := connEvents(64 << 10)
	bb := bus.New(p)
	if err := bb.Open(0); err != nil {
		b.Fatal(err)
	}
	seq := uint64(0)
	chunk := make([]event.Event, 0, 8192)
	b.ReportAllocs()
	b.ResetTimer()
	self0, children0 := cpuTime(syscall.RUSAGE_SELF), cpuTime(syscall.RUSAGE_CHILDREN)
	start := time.Now()
	for sent := 0; sent < b.N; {
		n := min(8192, b.N-sent)
		chunk = chunk[:0]
		for i := 0; i < n; i++ {
			ev := events[(sent+i)%len(events)]
			seq++
			ev.Seq = seq
			chunk = append(chunk, ev)
		}
		if err := bb.Deliver(chunk); err != nil {
			b.Fatal(err)
		}
		sent += n
	}
	if err := bb.Close(0); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
	if hp, ok := p.(*Plugin); ok {
		if s := hp.Stats(); s.Delivered != uint64(b.N) {
			b.Fatalf("delivered %d of %d", s.Delivered, b.N)
		}
	}
	// CPU per event on each side, which unlike events/s does not depend
	// on what else the machine runs. The plugin process has exited and
	// been waited for, so it is in RUSAGE_CHILDREN.
	self, children := cpuTime(syscall.RUSAGE_SELF), cpuTime(syscall.RUSAGE_CHILDREN)
	b.ReportMetric(float64(self-self0)/float64(b.N), "host-ns/event")
	if child {
		b.ReportMetric(float64(children-children0)/float64(b.N), "plugin-ns/event")
	}
}

// cpuTime returns user plus system CPU time in ns.
func cpuTime(who int) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// gunzipRecords returns the record lines of a gzip-compressed TSV log,
// which may end in an unterminated member (a part kept after a crash).
func gunzipRecords(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("%s: %v", path, err)
	}
	var out []string
	for _, l := range strings.Split(string(data), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}
