package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/weirnet/weir/sources/live/livetest"
)

// The servers, clients and loops these tests run are livetest's own
// helpers (weir-serve, weir-client, weir-loop), registered by livetest
// itself; TestMain in live_test.go runs them through livetest.Main.

// A sensor on two taps of one link (the two ports of a bridge that every
// frame between client and server crosses), with duplicate suppression,
// writes the same connections and the same HTTP, TLS and DNS transactions
// as the same traffic captured by tcpdump on one tap and replayed offline.
func TestLiveTwoTapsMatchOffline(t *testing.T) {
	tap := livetest.NewTap(t, "tap")
	bin := buildAnalyzer(t)
	srv := livetest.StartServers(t, tap.NsV)

	stopDump := livetest.Tcpdump(t, tap.NsS, tap.IfS1, "")
	const metricsAddr = "127.0.0.1:19912" // in the sensor's own namespace: no clash
	liveDir := t.TempDir()
	sensor := startSensor(t, bin, tap, liveDir, metricsAddr)

	report := livetest.RunClient(t, tap.NsC, livetest.B4, srv.CAFile)
	if len(report) != 10 { // 3 DNS + 7 HTTP
		t.Fatalf("client report has %d lines, want 10:\n%s", len(report), strings.Join(report, "\n"))
	}
	m := settleSensor(t, tap.NsS, metricsAddr)
	for _, ifc := range []string{tap.IfS1, tap.IfS2} {
		if n := metricValue(m, `weir_interface_received_frames_total{interface="`+ifc+`"}`); n <= 0 {
			t.Errorf("metrics: %s received %v frames, want some:\n%s", ifc, n, m)
		}
		if n := metricValue(m, `weir_interface_kernel_dropped_frames_total{interface="`+ifc+`"}`); n != 0 {
			t.Errorf("metrics: kernel dropped %v frames on %s", n, ifc)
		}
	}
	stopSensor(t, sensor)
	pcap := stopDump()

	live := readLogDir(t, liveDir)
	// Replayed by the same binary: the test binary's own code may be
	// older than the tree it was built from, in a tree being edited.
	offlineDir := t.TempDir()
	if out, err := exec.Command(bin, "-r", pcap, "-o", offlineDir, "-q").CombinedOutput(); err != nil {
		t.Fatalf("offline replay: %v: %s", err, out)
	}
	offline := readLogDir(t, offlineDir)
	for _, tc := range []struct {
		log  string
		skip []string // fields that depend on timing or on the uid seed
	}{
		{"conn.log", []string{"ts", "uid", "duration"}},
		{"http.log", []string{"ts", "uid"}},
		{"ssl.log", []string{"ts", "uid"}},
		{"dns.log", []string{"ts", "uid", "rtt"}},
	} {
		got, want := projectLog(t, tc.log, live[tc.log], tc.skip), projectLog(t, tc.log, offline[tc.log], tc.skip)
		if !slices.Equal(got, want) {
			t.Errorf("%s: live and offline differ:\nonly live:\n%s\nonly offline:\n%s\nsensor said: %s\nmetrics:\n%s", tc.log,
				strings.Join(minus(got, want), "\n"), strings.Join(minus(want, got), "\n"), sensorStderr(sensor), captureMetrics(m))
		}
	}

	// The comparison means something: the offline logs hold what the
	// client did (so, when they are equal, the live ones do too).
	conns := map[string]int{}
	for _, r := range logRecords(t, "conn.log", offline["conn.log"]) {
		state := r["conn_state"]
		if r["id.resp_p"] == "443" && (state == "SF" || state == "RSTO") {
			// Go's TLS client sends close_notify and closes its socket;
			// the server's close_notify then usually meets a closed
			// socket, which answers with a RST: RSTO or SF, depending on
			// the endpoints' timing.
			state = "SF|RSTO"
		}
		if r["id.resp_h"] == livetest.B4 || r["id.resp_h"] == livetest.B6 {
			conns[r["proto"]+"/"+r["id.resp_p"]+" "+r["service"]+" "+state]++
		}
	}
	wantConns := map[string]int{"udp/53 dns SF": 3, "tcp/80 http SF": 3, "tcp/443 ssl SF|RSTO": 2}
	if fmt.Sprint(conns) != fmt.Sprint(wantConns) {
		t.Errorf("conn.log: connections by port, service and state %v, want %v", conns, wantConns)
	}
	wantRecords(t, "http.log", offline["http.log"], []string{"id.resp_h", "trans_depth", "method", "host", "uri", "status_code", "response_body_len"}, []string{
		fmt.Sprintf("%s 1 GET %s / 200 %d", livetest.B4, livetest.WebName, len(livetest.IndexBody)),
		fmt.Sprintf("%s 2 GET %s /weir.txt 200 %d", livetest.B4, livetest.WebName, len(livetest.TextBody)),
		fmt.Sprintf("%s 1 GET %s /missing 404 19", livetest.B4, livetest.WebName), // "404 page not found\n"
		fmt.Sprintf("%s 1 GET %s /weir.txt 200 %d", livetest.B6, livetest.WebName, len(livetest.TextBody)),
	})
	// ALPN is in the clear in TLS 1.2 only (TLS 1.3 encrypts it).
	wantRecords(t, "ssl.log", offline["ssl.log"], []string{"version", "server_name", "established", "resumed", "next_protocol"}, []string{
		"TLSv12 " + livetest.WebName + " T F http/1.1",
		"TLSv13 " + livetest.WebName + " T F -",
	})
	wantRecords(t, "dns.log", offline["dns.log"], []string{"proto", "query", "qtype_name", "rcode_name", "AA", "answers"}, []string{
		"udp " + livetest.WebName + " A NOERROR T " + livetest.B4,
		"udp " + livetest.WebName + " AAAA NOERROR T " + livetest.B6,
		// Zeek takes AA from a reply only when it has an answer record.
		"udp nx.weir.test A NXDOMAIN F -",
	})
}

// A SIGTERM while traffic flows (HTTP and DNS in a loop, a UDP stream)
// stops the sensor cleanly: exit 0 within 10 s, and every log it wrote is
// whole (each record has all its fields) and closed.
func TestLiveSIGTERMMidTraffic(t *testing.T) {
	tap := livetest.NewTap(t, "sig")
	bin := buildAnalyzer(t)
	livetest.StartServers(t, tap.NsV)
	livetest.SinkUDP(t, tap.NsV, livetest.B4+":9000")
	dir := t.TempDir()
	// stats.log and capture_loss.log are written too, and must be closed.
	sensor := startSensor(t, bin, tap, dir, "127.0.0.1:19913", "--stats-interval", "100ms")

	loop := livetest.StartLoop(t, tap.NsC, livetest.B4)
	// 3000 datagrams at 2000 a second: still sending at the SIGTERM, as
	// the loop is (it is stopped after the sensor).
	udp := livetest.StartHelper(t, tap.NsC, "udpsend", livetest.B4+":9000", "3000", "200", "2000")
	time.Sleep(500 * time.Millisecond)
	stopSensor(t, sensor)
	rest := loop.Stop(t, 10*time.Second)
	sent := udp.Wait(t, 10*time.Second)
	udpSent, _ := strconv.Atoi(strings.Join(sent, ""))
	if len(rest) != 1 || !strings.HasPrefix(rest[0], "rounds ") {
		t.Fatalf("loop said %q", rest)
	}
	if n, _ := strconv.Atoi(strings.TrimPrefix(rest[0], "rounds ")); n < 10 {
		t.Errorf("the loop made only %d rounds", n)
	}

	logs := readLogDir(t, dir)
	for _, name := range []string{"conn.log", "http.log", "dns.log", "stats.log", "capture_loss.log"} {
		if len(logRecords(t, name, logs[name])) == 0 {
			t.Errorf("%s: no records", name)
		}
	}
	for name, b := range logs {
		if !strings.HasSuffix(name, ".log") {
			continue
		}
		checkClosedLog(t, name, b)
	}
	// The UDP stream was cut by the SIGTERM: logged, with part of the
	// datagrams (each counted once: the copy from the other tap dropped).
	udpPkts := -1
	for _, r := range logRecords(t, "conn.log", logs["conn.log"]) {
		if r["proto"] == "udp" && r["id.resp_p"] == "9000" {
			udpPkts, _ = strconv.Atoi(r["orig_pkts"])
		}
	}
	if udpPkts <= 0 || udpPkts >= udpSent {
		t.Errorf("conn.log: the UDP stream to port 9000 has %d of the %d datagrams, want some but not all", udpPkts, udpSent)
	}
}

// startSensor runs the analyzer in the tap's sensor namespace on both
// bridge ports with duplicate suppression, serving metrics on metricsAddr,
// with the extra arguments, and returns once the metrics endpoint
// answers: the capture is then open.
func startSensor(t *testing.T, bin string, tap *livetest.Tap, dir, metricsAddr string, extra ...string) *exec.Cmd {
	t.Helper()
	args := append([]string{"netns", "exec", tap.NsS, bin, "-i", tap.IfS1, "-i", tap.IfS2, "--dedup",
		"-o", dir, "-q", "--metrics", metricsAddr}, extra...)
	sensor := exec.Command("ip", args...)
	// A file, not a buffer: nothing copies it while the test may read it.
	stderr, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close() // the sensor has its own descriptor
	sensor.Stderr = stderr
	if err := sensor.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sensor.Process.Kill()
		sensor.Wait()
	})
	for i := 0; ; i++ {
		// The endpoint is served once the interfaces are open.
		if _, err := livetest.Run(t, tap.NsS, "curl", "-sf", "--max-time", "1", "-o", "/dev/null", "http://"+metricsAddr+"/metrics"); err == nil {
			return sensor
		}
		if i == 100 {
			t.Fatalf("sensor not ready after 10 s: %s", sensorStderr(sensor))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// settleSensor waits until the sensor has read every frame sent so far: its
// frame count no longer moves (the rings hand a frame over within tens of
// milliseconds, the merge window is 50 ms). It returns the last metrics.
func settleSensor(t *testing.T, ns, metricsAddr string) string {
	t.Helper()
	last := -1.0
	for i := 0; i < 50; i++ {
		time.Sleep(150 * time.Millisecond)
		m := livetest.MustIn(t, ns, "curl", "-sS", "--max-time", "5", "http://"+metricsAddr+"/metrics")
		n := metricValue(m, "weir_frames_total")
		if n > 0 && n == last {
			return m
		}
		last = n
	}
	t.Fatalf("the sensor's frame count did not settle (last %v)", last)
	return ""
}

// stopSensor sends SIGTERM and wants a clean exit within 10 s.
func stopSensor(t *testing.T, sensor *exec.Cmd) {
	t.Helper()
	start := time.Now()
	stderr := func() string { return sensorStderr(sensor) }
	if err := signalStop(t, sensor, 10*time.Second, stderr); err != nil {
		t.Fatalf("sensor exited with %v: %s", err, stderr())
	}
	t.Logf("sensor stopped %v after SIGTERM", time.Since(start).Round(time.Millisecond))
}

// sensorStderr returns what the sensor wrote on stderr so far.
func sensorStderr(sensor *exec.Cmd) string {
	b, _ := os.ReadFile(sensor.Stderr.(*os.File).Name())
	return string(b)
}

// readLogDir reads every file of dir.
func readLogDir(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}

// logRecords parses a TSV log into one map per record, by the names of its
// #fields header.
func logRecords(t *testing.T, name string, b []byte) []map[string]string {
	t.Helper()
	var fields []string
	var out []map[string]string
	for _, l := range strings.Split(string(b), "\n") {
		if f, ok := strings.CutPrefix(l, "#fields\t"); ok {
			fields = strings.Split(f, "\t")
			continue
		}
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		v := strings.Split(l, "\t")
		if len(v) != len(fields) {
			t.Fatalf("%s: a record with %d fields under a header of %d: %q", name, len(v), len(fields), l)
		}
		r := make(map[string]string, len(v))
		for i, f := range fields {
			r[f] = v[i]
		}
		out = append(out, r)
	}
	return out
}

// projectLog returns the records of a log as sorted lines of every field but
// skip, "name=value" joined by spaces.
func projectLog(t *testing.T, name string, b []byte, skip []string) []string {
	t.Helper()
	var out []string
	for _, r := range logRecords(t, name, b) {
		var kv []string
		for k, v := range r {
			if !slices.Contains(skip, k) {
				kv = append(kv, k+"="+v)
			}
		}
		sort.Strings(kv)
		out = append(out, strings.Join(kv, " "))
	}
	sort.Strings(out)
	return out
}

// captureMetrics returns the samples of the exposition about capture.
func captureMetrics(exposition string) string {
	var out []string
	for _, l := range strings.Split(exposition, "\n") {
		if strings.HasPrefix(l, "weir_interface_") || strings.HasPrefix(l, "weir_frames_total ") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// minus returns the lines of a that b lacks (a multiset difference; both
// sorted).
func minus(a, b []string) []string {
	var out []string
	for len(a) > 0 {
		switch {
		case len(b) == 0 || a[0] < b[0]:
			out = append(out, a[0])
			a = a[1:]
		case a[0] > b[0]:
			b = b[1:]
		default:
			a, b = a[1:], b[1:]
		}
	}
	return out
}

// wantRecords wants the log's records, reduced to fields, to be want (in
// any order).
func wantRecords(t *testing.T, name string, b []byte, fields, want []string) {
	t.Helper()
	var got []string
	for _, r := range logRecords(t, name, b) {
		var v []string
		for _, f := range fields {
			v = append(v, r[f])
		}
		got = append(got, strings.Join(v, " "))
	}
	sort.Strings(got)
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		t.Errorf("%s (%s):\ngot\n%s\nwant\n%s", name, strings.Join(fields, " "), strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// checkClosedLog wants a TSV log with its header, every record as wide as the
// header, and a #close line last.
func checkClosedLog(t *testing.T, name string, b []byte) {
	t.Helper()
	s := string(b)
	if !strings.HasSuffix(s, "\n") {
		t.Errorf("%s: the last line is cut: %q", name, s[strings.LastIndexByte(s, '\n')+1:])
		return
	}
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	if !strings.HasPrefix(lines[len(lines)-1], "#close\t") {
		t.Errorf("%s: not closed, the last line is %q", name, lines[len(lines)-1])
	}
	nfields := -1
	for i, l := range lines {
		if f, ok := strings.CutPrefix(l, "#fields\t"); ok {
			nfields = strings.Count(f, "\t") + 1
		}
		if strings.HasPrefix(l, "#") {
			continue
		}
		if n := strings.Count(l, "\t") + 1; n != nfields {
			t.Errorf("%s:%d: %d fields, the header has %d: %q", name, i+1, n, nfields, l)
		}
	}
	if nfields < 0 {
		t.Errorf("%s: no #fields header", name)
	}
}

// metricValue returns the value of a Prometheus sample (the series as written
// in the exposition format), or -1 if there is none.
func metricValue(exposition, series string) float64 {
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`)
	m := re.FindStringSubmatch(exposition)
	if m == nil {
		return -1
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return -1
	}
	return v
}
