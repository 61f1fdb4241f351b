//go:build linux

package afpacket

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/weirnet/weir/sources"
	"github.com/weirnet/weir/sources/live"
	"github.com/weirnet/weir/sources/live/livetest"
)

// TestBenchLive is the live capture benchmark that scripts/bench-live.sh
// runs (it is skipped unless WEIR_BENCH_LIVE=1): UDP datagrams are sent
// across a veth pair at increasing rates, captured on the receiving end by
// a Source and, in a separate pass at the same rate, by tcpdump -i IF -w
// /dev/null with a buffer of the same size; it reports the kernel's drops
// for each and the highest rate either took without a drop.
//
// With WEIR_BENCH_ANALYZER naming an analyzer binary, a third pass per
// rate runs the whole sensor (analyzer -i IF, every analyzer and log on)
// and reads its kernel drops from its closing summary.
//
// WEIR_BENCH_RATES (packets per second, comma-separated, 0 for as fast as
// the sender goes), WEIR_BENCH_SECONDS (per pass) and WEIR_BENCH_BUFFER_MB
// change the defaults.
func TestBenchLive(t *testing.T) {
	if os.Getenv("WEIR_BENCH_LIVE") != "1" {
		t.Skip("the live benchmark runs with WEIR_BENCH_LIVE=1 (scripts/bench-live.sh)")
	}
	rates := []int{50000, 100000, 200000, 300000, 400000, 0}
	if v := os.Getenv("WEIR_BENCH_RATES"); v != "" {
		rates = rates[:0]
		for _, f := range strings.Split(v, ",") {
			r, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil {
				t.Fatalf("WEIR_BENCH_RATES: %v", err)
			}
			rates = append(rates, r)
		}
	}
	seconds := envInt(t, "WEIR_BENCH_SECONDS", 2)
	bufMB := envInt(t, "WEIR_BENCH_BUFFER_MB", 4)
	size := envInt(t, "WEIR_BENCH_SIZE", 64)
	blockKB := envInt(t, "WEIR_BENCH_BLOCK_KB", 256)
	if _, err := exec.LookPath("tcpdump"); err != nil {
		t.Skip("tcpdump is not installed")
	}
	p := livetest.NewPair(t, "bench")
	livetest.SinkUDP(t, p.NsB, livetest.B4+":9000")

	type result struct {
		rate             int
		sent, got, drops uint64
		tdGot, tdDrops   uint64
		sentTD           uint64
		secs, secsTD     float64
		cpu, cpuTD       time.Duration // user+system time of the capturing process
		sentAn, anGot    uint64        // the whole sensor's pass
		anDrops          uint64
		secsAn           float64
	}
	var results []result
	best, bestTD, bestAn := 0.0, 0.0, 0.0
	analyzerBin := os.Getenv("WEIR_BENCH_ANALYZER")
	fmt.Printf("%-8s %9s %9s %9s %9s %9s | %9s %9s %9s %9s %9s\n", "rate", "sent/s", "weir got", "drops", "CPU/pkt", "",
		"sent/s", "tcpd got", "drops", "CPU/pkt", "")
	for _, rate := range rates {
		count := rate * seconds
		if rate == 0 {
			count = 400000 * seconds
		}
		r := result{rate: rate}

		// weir: a Source reading every frame, touching its first byte.
		s, err := Open(Config{Iface: p.IfB, Netns: p.PathB(), Filter: "udp port 9000",
			BlockSize: blockKB << 10, NumBlocks: bufMB << 10 / blockKB, Snaplen: 262144})
		if err != nil {
			t.Fatal(err)
		}
		type readerResult struct {
			n   uint64
			cpu time.Duration
		}
		done := make(chan readerResult)
		stop := make(chan struct{})
		go func() {
			// On a thread of its own, whose CPU time is the capture's
			// alone, as tcpdump's is its process's.
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			cpu0 := threadCPU()
			var f sources.Frame
			var n, sum uint64
			stopping := false
			for {
				err := s.NextWait(&f, 20*time.Millisecond)
				if err == nil {
					n++
					sum += uint64(f.Data[0])
					continue
				}
				if !errors.Is(err, live.ErrIdle) || stopping {
					break
				}
				select {
				case <-stop:
					stopping = true
				default:
				}
			}
			done <- readerResult{n + sum*0, threadCPU() - cpu0}
		}()
		start := time.Now()
		r.sent = uint64(livetest.SendUDP(t, p.NsA, livetest.B4+":9000", count, size, rate))
		r.secs = time.Since(start).Seconds()
		time.Sleep(50 * time.Millisecond)
		close(stop)
		rr := <-done
		r.got, r.cpu = rr.n, rr.cpu
		st := s.Stats()
		r.drops = st.Drops
		if st.FreezeQueue > 0 {
			t.Logf("rate %s: the ring was full %d times", rateName(rate), st.FreezeQueue)
		}
		s.Close()

		// tcpdump -w /dev/null with a buffer of the same size.
		td := exec.Command("ip", "netns", "exec", p.NsB, "tcpdump", "-i", p.IfB, "-n", "-Z", "root", "-s", "262144",
			"-B", strconv.Itoa(bufMB*1024), "-w", "/dev/null", "udp port 9000")
		stderr, _ := td.StderrPipe()
		if err := td.Start(); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 4096)
		var said []byte
		for !strings.Contains(string(said), "listening on") {
			n, err := stderr.Read(buf)
			said = append(said, buf[:n]...)
			if err != nil {
				t.Fatalf("tcpdump: %v: %s", err, said)
			}
		}
		cpuTD0 := procCPU(td.Process.Pid) // ip netns exec execs tcpdump: same pid
		start = time.Now()
		r.sentTD = uint64(livetest.SendUDP(t, p.NsA, livetest.B4+":9000", count, size, rate))
		r.secsTD = time.Since(start).Seconds()
		time.Sleep(1200 * time.Millisecond) // tcpdump's buffer timeout is 1 s
		r.cpuTD = procCPU(td.Process.Pid) - cpuTD0
		td.Process.Signal(syscall.SIGINT)
		for {
			n, err := stderr.Read(buf)
			said = append(said, buf[:n]...)
			if err != nil {
				break
			}
		}
		td.Wait()
		r.tdGot = stat(said, `(\d+) packets captured`)
		r.tdDrops = stat(said, `(\d+) packets dropped by kernel`)

		pps, ppsTD := float64(r.sent)/r.secs, float64(r.sentTD)/r.secsTD
		perPkt := func(d time.Duration, n uint64) string {
			if n == 0 {
				return "-"
			}
			return fmt.Sprintf("%.0fns", float64(d.Nanoseconds())/float64(n))
		}
		fmt.Printf("%-8s %9.0f %9d %9d %9s %9s | %9.0f %9d %9d %9s %9s\n", rateName(rate), pps, r.got, r.drops, perPkt(r.cpu, r.got), "",
			ppsTD, r.tdGot, r.tdDrops, perPkt(r.cpuTD, r.tdGot), "")
		if r.drops == 0 && r.got == r.sent {
			best = max(best, pps)
		}
		if r.tdDrops == 0 && r.tdGot == r.sentTD {
			bestTD = max(bestTD, ppsTD)
		}
		if analyzerBin != "" {
			r.sentAn, r.anGot, r.anDrops, r.secsAn = benchSensor(t, analyzerBin, p, count, size, rate)
			ppsAn := float64(r.sentAn) / r.secsAn
			fmt.Printf("%-8s sensor:  %9.0f sent/s %9d got %9d dropped by the kernel\n", rateName(rate), ppsAn, r.anGot, r.anDrops)
			if r.anDrops == 0 && r.anGot == r.sentAn {
				bestAn = max(bestAn, ppsAn)
			}
		}
		results = append(results, r)
	}
	fmt.Printf("highest rate without a drop: weir %.0f pps, tcpdump %.0f pps", best, bestTD)
	if bestTD > 0 {
		fmt.Printf(", ratio %.2f", best/bestTD)
	}
	fmt.Println()
	if analyzerBin != "" {
		fmt.Printf("whole sensor (analyzer -i, every analyzer and log): highest rate without a drop %.0f pps", bestAn)
		if bestTD > 0 {
			fmt.Printf(", ratio to tcpdump %.2f", bestAn/bestTD)
		}
		fmt.Println()
	}
	var cpu, cpuTD time.Duration
	var n, nTD uint64
	for _, r := range results {
		cpu, cpuTD, n, nTD = cpu+r.cpu, cpuTD+r.cpuTD, n+r.got, nTD+r.tdGot
	}
	if n > 0 && nTD > 0 && cpu > 0 {
		fmt.Printf("CPU per captured packet over all rates: weir %.0f ns, tcpdump %.0f ns, ratio %.2f (tcpdump / weir)\n",
			float64(cpu)/float64(n), float64(cpuTD)/float64(nTD), float64(cpuTD)/float64(nTD)/(float64(cpu)/float64(n)))
	}
	if len(results) > 0 && best == 0 {
		t.Log("weir dropped at every rate")
	}
}

// benchSensor runs the analyzer as a sensor on the receiving end while
// count datagrams are sent at rate, stops it with SIGTERM and returns what
// was sent, what it received and what the kernel dropped (from its closing
// summary), and how long sending took.
func benchSensor(t *testing.T, bin string, p *livetest.Pair, count, size, rate int) (sent, got, drops uint64, secs float64) {
	t.Helper()
	dir := t.TempDir()
	cfg := dir + "/weir.toml"
	os.WriteFile(cfg, []byte("[output]\ndir = \""+dir+"/logs\"\n"), 0o644)
	an := exec.Command("ip", "netns", "exec", p.NsB, bin, "-i", p.IfB, "-f", "udp port 9000", "-c", cfg)
	var stderr strings.Builder
	an.Stderr = &stderr
	if err := an.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // the ring is open well before this
	start := time.Now()
	sent = uint64(livetest.SendUDP(t, p.NsA, livetest.B4+":9000", count, size, rate))
	secs = time.Since(start).Seconds()
	time.Sleep(300 * time.Millisecond)
	an.Process.Signal(syscall.SIGTERM)
	if err := an.Wait(); err != nil {
		t.Fatalf("sensor: %v\n%s", err, stderr.String())
	}
	out := []byte(stderr.String())
	got = stat(out, p.IfB+`: (\d+) received`)
	drops = stat(out, `(\d+) dropped by the kernel`)
	return sent, got, drops, secs
}

// threadCPU is the user and system time the calling thread has used.
func threadCPU() time.Duration {
	var ru unix.Rusage
	unix.Getrusage(unix.RUSAGE_THREAD, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procCPU is the time process pid (single-threaded, as tcpdump is) has
// run on a CPU, from /proc/pid/schedstat, in nanoseconds.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/schedstat", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	ns, _ := strconv.ParseInt(f[0], 10, 64)
	return time.Duration(ns)
}

func rateName(r int) string {
	if r == 0 {
		return "max"
	}
	return strconv.Itoa(r)
}

func stat(out []byte, re string) uint64 {
	m := regexp.MustCompile(re).FindSubmatch(out)
	if m == nil {
		return 0
	}
	n, _ := strconv.ParseUint(string(m[1]), 10, 64)
	return n
}

func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}

// BenchmarkRing measures reading frames already in the ring: the cost per
// frame of Next, without the sender in the measurement.
func BenchmarkRing(b *testing.B) {
	p := livetest.NewPair(b, "bring")
	livetest.SinkUDP(b, p.NsB, livetest.B4+":9000")
	s, err := Open(Config{Iface: p.IfB, Netns: p.PathB(), Filter: "udp port 9000", NumBlocks: 64})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var f sources.Frame
	const batch = 20000
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; {
		b.StopTimer()
		livetest.SendUDP(b, p.NsA, livetest.B4+":9000", batch, 64, 0)
		time.Sleep(3 * s.Latency())
		b.StartTimer()
		for i := 0; i < batch && done < b.N; i++ {
			if err := s.NextWait(&f, 0); err != nil {
				break
			}
			done++
		}
	}
	b.StopTimer()
	for s.NextWait(&f, 0) == nil { // leave nothing for the next run
	}
}
