package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/weirnet/weir/sources/live/livetest"
)

func TestMain(m *testing.M) { livetest.Main(m) }

// The live sensor on a real interface writes the same connections as the
// same traffic captured by tcpdump and replayed offline, and a SIGTERM
// drains and closes every log. Needs root and ip netns (CI has both).
func TestLiveMatchesOffline(t *testing.T) {
	p := livetest.NewPair(t, "cli")
	bin := filepath.Join(t.TempDir(), "analyzer")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	liveDir := t.TempDir()
	stopDump := livetest.Tcpdump(t, p.NsA, p.IfA, "")
	sensor := exec.Command("ip", "netns", "exec", p.NsA, bin, "-i", p.IfA, "-o", liveDir, "-q",
		"--metrics", "127.0.0.1:19911", // inside the test's own namespace: no clash
		"--stats-interval", "200ms")

	var stderr strings.Builder
	sensor.Stderr = &stderr
	if err := sensor.Start(); err != nil {
		t.Fatal(err)
	}
	defer sensor.Process.Kill()
	time.Sleep(300 * time.Millisecond) // the ring is open well before this
	livetest.Mixed(t, p)
	time.Sleep(300 * time.Millisecond) // let the last frames leave the rings
	m := livetest.MustIn(t, p.NsA, "curl", "-sS", "http://127.0.0.1:19911/metrics")
	for _, want := range []string{`weir_interface_received_frames_total{interface="` + p.IfA + `"}`,
		`weir_interface_kernel_dropped_frames_total{interface="` + p.IfA + `"} 0`, "weir_connections_live ",
		`weir_plugin_delivered_events_total{plugin="conn"}`, "weir_frames_total ",
		`weir_log_bytes_written_total{plugin="conn"}`} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s:\n%s", want, m)
		}
	}
	if strings.Contains(m, `weir_interface_received_frames_total{interface="`+p.IfA+`"} 0`+"\n") {
		t.Error("metrics say no frame was received")
	}
	if err := signalStop(t, sensor, 10*time.Second, stderr.String); err != nil {
		t.Fatalf("sensor exited with %v: %s", err, stderr.String())
	}
	pcap := stopDump()

	liveLog, err := os.ReadFile(filepath.Join(liveDir, "conn.log"))
	if err != nil {
		t.Fatalf("no conn.log from the sensor: %v (%s)", err, stderr.String())
	}
	if !strings.Contains(string(liveLog), "\n#close\t") {
		t.Error("conn.log not closed after SIGTERM")
	}
	for _, name := range []string{"stats.log", "capture_loss.log"} {
		b, err := os.ReadFile(filepath.Join(liveDir, name))
		if err != nil || len(dataLines(b)) == 0 {
			t.Errorf("%s: no records (%v)", name, err)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(liveDir, "stats.log")); !hasPositive(b, 3) {
		t.Errorf("stats.log never counts a processed packet:\n%s", b)
	}
	offline := analyze(t, "-r", pcap)
	// Same connections with the same state, history and counts. uids and
	// the end-of-capture instant may differ: compare the rest.
	key := func(log []byte) []string {
		var out []string
		for _, l := range dataLines(log) {
			f := strings.Split(l, "\t")
			if len(f) < 20 {
				continue
			}
			out = append(out, strings.Join([]string{f[2], f[3], f[4], f[5], f[6], f[11], f[15], f[16], f[17], f[18], f[19]}, " "))
		}
		sort.Strings(out)
		return out
	}
	got, want := key(liveLog), key(offline["conn.log"])
	if len(want) < 5 {
		t.Fatalf("offline replay saw only %d connections: %v", len(want), want)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("live and offline differ:\nlive:\n%s\noffline:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// hasPositive reports whether some record's field col (0-based) is > 0.
func hasPositive(log []byte, col int) bool {
	for _, l := range dataLines(log) {
		f := strings.Split(l, "\t")
		if len(f) > col && f[col] != "0" && f[col] != "-" {
			return true
		}
	}
	return false
}

// --snaplen and --fanout reach the capture: a sensor in a fanout group
// with a short snap length still sees and logs the traffic.
func TestLiveSnaplenFanout(t *testing.T) {
	p := livetest.NewPair(t, "clf")
	bin := buildAnalyzer(t)
	dir := t.TempDir()
	sensor := exec.Command("ip", "netns", "exec", p.NsA, bin, "-i", p.IfA, "-o", dir, "-q",
		"--snaplen", "96", "--fanout", "7")
	var stderr strings.Builder
	sensor.Stderr = &stderr
	if err := sensor.Start(); err != nil {
		t.Fatal(err)
	}
	defer sensor.Process.Kill()
	time.Sleep(300 * time.Millisecond)
	livetest.MustIn(t, p.NsA, "ping", "-c", "3", "-i", "0.01", "-s", "500", "-q", livetest.B4)
	time.Sleep(300 * time.Millisecond)
	sensor.Process.Signal(syscall.SIGTERM)
	if err := sensor.Wait(); err != nil {
		t.Fatalf("sensor: %v: %s", err, stderr.String())
	}
	b, err := os.ReadFile(filepath.Join(dir, "conn.log"))
	if err != nil {
		t.Fatalf("no conn.log: %v (%s)", err, stderr.String())
	}
	found := false
	for _, l := range dataLines(b) {
		f := strings.Split(l, "\t")
		// The ICMP echo conn: 3 requests of 528 IP bytes each, counted from
		// the IP header even though only 96 bytes per frame were kept.
		if len(f) > 17 && f[6] == "icmp" && f[16] == "3" && f[17] == "1584" {
			found = true
		}
	}
	if !found {
		t.Errorf("no ICMP echo connection with 3 packets and 1584 IP bytes:\n%s", b)
	}
}
