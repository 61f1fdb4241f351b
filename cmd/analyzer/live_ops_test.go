package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/weirnet/weir/sources/live/livetest"
)

func init() {
	// udpflows DST N: one datagram from each of N sockets (N flows) to
	// DST, paced at about 5000 per second.
	livetest.Helper("udpflows", func(args []string) int {
		if len(args) != 2 {
			return 2
		}
		n, _ := strconv.Atoi(args[1])
		start := time.Now()
		for i := 0; i < n; i++ {
			if due := start.Add(time.Duration(i) * 200 * time.Microsecond); time.Until(due) > 0 {
				time.Sleep(time.Until(due))
			}
			c, err := net.Dial("udp", args[0])
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			c.Write([]byte("flow"))
			c.Close()
		}
		return 0
	})
}

// opsSensor is a sensor process started in a namespace.
type opsSensor struct {
	cmd    *exec.Cmd
	stderr *livetest.Output
}

func startOpsSensor(t *testing.T, ns string, args ...string) *opsSensor {
	t.Helper()
	bin := buildAnalyzer(t)
	s := &opsSensor{stderr: &livetest.Output{}}
	s.cmd = exec.Command("ip", append([]string{"netns", "exec", ns, bin}, args...)...)
	s.cmd.Stderr = s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.cmd.Process.Kill(); s.cmd.Wait() })
	time.Sleep(300 * time.Millisecond) // the rings are open well before this
	return s
}

// waitFor waits until the sensor has written want to stderr n times.
func (s *opsSensor) waitFor(t *testing.T, want string, n int) {
	t.Helper()
	for i := 0; strings.Count(s.stderr.String(), want) < n; i++ {
		if i == 500 {
			t.Fatalf("sensor never said %q %d times:\n%s", want, n, s.stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stop sends SIGTERM and waits up to limit for the exit.
func (s *opsSensor) stop(t *testing.T, limit time.Duration) error {
	t.Helper()
	return signalStop(t, s.cmd, limit, s.stderr.String)
}

// signalStop sends SIGTERM to a sensor and returns how it exited; the test
// fails, with what the sensor said (stderr), if it is still running after
// limit.
func signalStop(t *testing.T, cmd *exec.Cmd, limit time.Duration, stderr func() string) error {
	t.Helper()
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(limit):
		t.Fatalf("sensor did not stop within %v of SIGTERM:\n%s", limit, stderr())
		return nil
	}
}

// connRecords returns the conn records of every conn log in dir, current
// and rotated, as field slices.
func connRecords(t *testing.T, dir string) [][]string {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(dir, "conn*.log"))
	var out [][]string
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range dataLines(b) {
			out = append(out, strings.Split(l, "\t"))
		}
	}
	return out
}

// SIGHUP reloads the configuration: a new filter goes to the kernel
// sockets of the running capture; a bad one, and keys that need a restart,
// are reported and change nothing; the logs are reopened each time.
func TestLiveReload(t *testing.T) {
	p := livetest.NewPair(t, "rld")
	livetest.SinkUDP(t, p.NsB, livetest.B4+":9000")
	livetest.SinkUDP(t, p.NsB, livetest.B4+":9001")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "weir.toml")
	// The interface comes from the file's [capture] table, not -i.
	write := func(body string) {
		body = "[capture]\ninterfaces = [\"" + p.IfA + "\"]\n" + body
		if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("[engine]\nfilter = \"icmp\"\n")
	s := startOpsSensor(t, p.NsA, "-o", dir, "-q", "-c", cfg, "--stats-interval", "100ms")
	// Each SIGHUP reopens the logs; stats.log must hold a record for
	// there to be a file to rotate.
	statsWritten := func() {
		for i := 0; ; i++ {
			if b, _ := os.ReadFile(filepath.Join(dir, "stats.log")); len(dataLines(b)) > 0 {
				return
			}
			if i == 300 {
				t.Fatal("stats.log never got a record")
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	ping := func() { livetest.MustIn(t, p.NsA, "ping", "-c", "2", "-i", "0.01", "-q", livetest.B4) }
	udp := func(port string) { livetest.SendUDP(t, p.NsA, livetest.B4+":"+port, 5, 20, 0) }

	ping()      // logged
	udp("9000") // filtered out
	write("[engine]\nfilter = \"udp dst port 9000\"\nworkers = 2\n[conn]\nudp_inactivity_timeout = \"1s\"\n")
	statsWritten()
	s.cmd.Process.Signal(syscall.SIGHUP)
	s.waitFor(t, "analyzer: reload:", 1)
	time.Sleep(100 * time.Millisecond) // the capture attaches it within its idle timeout
	if e := s.stderr.String(); !strings.Contains(e, "applied conn.udp_inactivity_timeout, engine.filter") ||
		!strings.Contains(e, "kept until a restart: engine.workers") {
		t.Fatalf("reload did not report what it applied and what it kept:\n%s", e)
	}
	ping()      // filtered out now
	udp("9001") // filtered out
	udp("9000") // logged, and with the new 1 s UDP timeout, while the sensor runs
	for i := 0; ; i++ {
		if recs := connRecords(t, dir); len(recs) > 0 && recs[len(recs)-1][5] == "9000" {
			break
		}
		if i == 400 {
			t.Fatalf("the UDP flow did not time out after the reloaded 1 s:\n%s", s.stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}

	write("[engine]\nfilter = \"udp dst port\"\n")
	statsWritten()
	s.cmd.Process.Signal(syscall.SIGHUP)
	s.waitFor(t, "analyzer: reload:", 3) // the refusal, then the reopening
	if e := s.stderr.String(); !strings.Contains(e, "the running filter stays") {
		t.Fatalf("a bad filter was not refused:\n%s", e)
	}
	udp("9000") // still logged
	time.Sleep(300 * time.Millisecond)
	if err := s.stop(t, 10*time.Second); err != nil {
		t.Fatalf("sensor: %v\n%s", err, s.stderr.String())
	}

	var icmpPkts []string
	udpTo := map[string]int{}
	for _, f := range connRecords(t, dir) {
		if len(f) < 17 {
			continue
		}
		switch f[6] {
		case "icmp":
			icmpPkts = append(icmpPkts, f[16])
		case "udp":
			udpTo[f[5]]++
			if f[16] != "5" {
				t.Errorf("udp conn to %s with %s packets, want 5", f[5], f[16])
			}
		}
	}
	if len(icmpPkts) != 1 || icmpPkts[0] != "2" {
		t.Errorf("icmp conns with orig_pkts %v, want one with the 2 echoes sent before the reload", icmpPkts)
	}
	if udpTo["9000"] != 2 || udpTo["9001"] != 0 {
		t.Errorf("udp conns by port %v, want 2 to 9000 (after the reload) and none to 9001", udpTo)
	}
	// The connections were all still open at the reloads; stats.log had
	// records each time.
	if rotated, _ := filepath.Glob(filepath.Join(dir, "stats.*-*.log")); len(rotated) != 2 {
		t.Errorf("rotated stats logs %v, want one per SIGHUP", rotated)
	}
}

// A log stuck on its output (a hung disk; here a FIFO nobody reads) does
// not hold up capture or the other logs: its queue fills, what does not
// fit is dropped and counted, and on SIGTERM the sensor gives up on it
// after drain_timeout with one line naming it, closing everything else.
func TestLiveStuckLogNeverBlocksCapture(t *testing.T) {
	p := livetest.NewPair(t, "stk")
	livetest.SinkUDP(t, p.NsB, livetest.B4+":9000")
	dir := t.TempDir()
	fifo := filepath.Join(dir, "conn.log")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	// Held open for reading and never read: writes block once the pipe's
	// buffer (64 KiB) is full.
	hold, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Close()
	cfg := filepath.Join(dir, "weir.toml")
	os.WriteFile(cfg, []byte("[output]\nlive_queue = 500\ndrain_timeout = \"1s\"\n[conn]\nudp_inactivity_timeout = \"1s\"\n"), 0o644)
	s := startOpsSensor(t, p.NsA, "-i", p.IfA, "-o", dir, "-q", "-c", cfg,
		"--metrics", "127.0.0.1:19913", "--stats-interval", "200ms")
	metric := func(name string) int {
		m := livetest.MustIn(t, p.NsA, "curl", "-sS", "http://127.0.0.1:19913/metrics")
		v := metricValue(m, "weir_"+name)
		if v < 0 {
			t.Fatalf("no metric %s:\n%s", name, m)
		}
		return int(v)
	}

	// 3000 one-datagram flows end a second later: ~450 KB of conn
	// records, far more than the pipe and the queue hold.
	livetest.RunHelper(t, p.NsA, "udpflows", livetest.B4+":9000", "3000")
	time.Sleep(2500 * time.Millisecond)
	if d := metric(`plugin_dropped_events_total{plugin="conn"}`); d == 0 {
		t.Fatalf("the stuck conn log dropped nothing:\n%s", s.stderr.String())
	}
	before := metric("frames_total")
	livetest.RunHelper(t, p.NsA, "udpflows", livetest.B4+":9000", "1000")
	time.Sleep(300 * time.Millisecond)
	if after := metric("frames_total"); after-before < 1000 {
		t.Errorf("capture stalled behind the stuck log: %d frames processed of 1000 sent", after-before)
	}
	if d := metric(`interface_kernel_dropped_frames_total{interface="` + p.IfA + `"}`); d != 0 {
		t.Errorf("the kernel dropped %d frames", d)
	}

	start := time.Now()
	err = s.stop(t, 15*time.Second)
	e := s.stderr.String()
	if err == nil {
		t.Errorf("the sensor lost conn records but exited 0:\n%s", e)
	}
	if !strings.Contains(e, "plugin conn") || !strings.Contains(e, "queued events lost") {
		t.Errorf("no line naming the stuck log and its loss:\n%s", e)
	}
	if d := time.Since(start); d > 8*time.Second {
		t.Errorf("stopping took %v with a 1s drain_timeout", d)
	}
	b, err := os.ReadFile(filepath.Join(dir, "stats.log"))
	if err != nil || !strings.Contains(string(b), "\n#close\t") || len(dataLines(b)) == 0 {
		t.Errorf("stats.log was not written and closed beside the stuck log (%v):\n%s", err, b)
	}
	// stats.log saw the flows come and the stuck log's queue fill.
	if max := maxField(t, b, "udp_conns"); max < 100 {
		t.Errorf("stats.log: at most %v new UDP connections in an interval, want the flood's", max)
	}
	if max := maxField(t, b, "events_queued"); max < 1 {
		t.Errorf("stats.log never shows events queued for the stuck log:\n%s", b)
	}
}

// maxField is the largest value of a numeric field over a TSV log's
// records.
func maxField(t *testing.T, log []byte, name string) float64 {
	t.Helper()
	best := 0.0
	for _, r := range logRecords(t, name, log) {
		s, ok := r[name]
		if !ok {
			t.Fatalf("no field %s in the log's header", name)
		}
		if v, err := strconv.ParseFloat(s, 64); err == nil && v > best {
			best = v
		}
	}
	return best
}

// The captured interface disappears and comes back (a driver reload, a
// re-created veth): the sensor says so, keeps running, reopens it and logs
// the traffic from before and after; the metrics count the reopening.
func TestLiveInterfaceGoneAndBack(t *testing.T) {
	p := livetest.NewPair(t, "flap")
	dir := t.TempDir()
	s := startOpsSensor(t, p.NsA, "-i", p.IfA, "-o", dir, "-q", "--metrics", "127.0.0.1:19914")
	ping := func() { livetest.MustIn(t, p.NsA, "ping", "-c", "2", "-i", "0.01", "-q", livetest.B4) }
	ping()
	livetest.Must(t, "ip", "-n", p.NsA, "link", "del", p.IfA) // takes its peer along
	s.waitFor(t, ": gone", 1)
	livetest.Must(t, "ip", "-n", p.NsA, "link", "add", p.IfA, "type", "veth", "peer", "name", p.IfB, "netns", p.NsB)
	livetest.Must(t, "ip", "-n", p.NsA, "addr", "add", livetest.A4+"/24", "dev", p.IfA)
	livetest.Must(t, "ip", "-n", p.NsB, "addr", "add", livetest.B4+"/24", "dev", p.IfB)
	livetest.Must(t, "ip", "-n", p.NsA, "link", "set", p.IfA, "up")
	livetest.Must(t, "ip", "-n", p.NsB, "link", "set", p.IfB, "up")
	s.waitFor(t, ": reopened", 1)
	for i := 0; ; i++ { // the new link carries traffic once the kernel has set it up
		if _, err := livetest.Run(t, p.NsA, "ping", "-c", "1", "-W", "1", "-q", livetest.B4); err == nil {
			break
		}
		if i == 20 {
			t.Fatal("the re-created link never carried a ping")
		}
	}
	ping()
	m := livetest.MustIn(t, p.NsA, "curl", "-sS", "http://127.0.0.1:19914/metrics")
	if want := `weir_interface_reopens_total{interface="` + p.IfA + `"} 1`; !strings.Contains(m, want) {
		t.Errorf("metrics lack %s:\n%s", want, m)
	}
	if err := s.stop(t, 10*time.Second); err != nil {
		t.Fatalf("sensor: %v\n%s", err, s.stderr.String())
	}
	var pkts int
	for _, f := range connRecords(t, dir) {
		if len(f) > 16 && f[6] == "icmp" {
			n, _ := strconv.Atoi(f[16])
			pkts += n
		}
	}
	// 2 echoes before, 2 (and the probes) after.
	if pkts < 4 {
		t.Errorf("%d echo requests logged over the flap, want the 2 before and the ones after:\n%s", pkts, s.stderr.String())
	}
}
