// Package livetest builds the test network that the live capture tests
// (sources/afpacket, sources/pcaplive, sources/live) send real traffic
// across: two network namespaces joined by a veth pair, with addresses in
// 198.18.0.0/24 and 2001:db8::/64 only and no route out, offloads off so
// that frames on the wire are what the capture sees, static neighbours and
// no IPv6 autoconfiguration so that no packet appears that a test did not
// send.
//
// NewTap builds the two-tap (span port) case on the same principles: a
// client and a server namespace joined through a bridge in a sensor
// namespace, every frame crossing both bridge ports.
//
// It also provides helper processes run inside a namespace, through the
// test binary itself (a test package calls Main from its TestMain): a UDP
// sender with a rate limit and a UDP sink; real servers (net/http over TCP
// and TLS, an authoritative DNS server) and clients that make a known set
// of HTTP, HTTPS and DNS transactions or loop over them (StartServers,
// RunClient, StartLoop); and any helper a test registers (Helper,
// StartHelper, RunHelper).
//
// It needs root and the ip command; Require skips a test, saying why, when
// either is missing.
package livetest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/weirnet/weir/sources"
	"github.com/weirnet/weir/sources/file"
)

// Addresses of the two ends.
const (
	A4 = "198.18.0.1"
	B4 = "198.18.0.2"
	A6 = "2001:db8::1"
	B6 = "2001:db8::2"
)

// Pair is two namespaces, A and B, with a veth pair between them: IfA in
// NsA, IfB in NsB.
type Pair struct {
	NsA, NsB   string // namespace names (ip netns)
	IfA, IfB   string // interface names
	MacA, MacB string
}

// NetnsPath is the file of a named namespace, for afpacket.Config.Netns.
func NetnsPath(name string) string { return "/var/run/netns/" + name }

// PathA and PathB are the namespace files of the two ends.
func (p *Pair) PathA() string { return NetnsPath(p.NsA) }
func (p *Pair) PathB() string { return NetnsPath(p.NsB) }

// Require skips the test unless it runs as root with a working `ip netns`.
func Require(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("live capture tests need root (network namespaces, AF_PACKET)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("live capture tests need the ip command (iproute2)")
	}
	if out, err := exec.Command("ip", "netns", "list").CombinedOutput(); err != nil {
		t.Skipf("ip netns is unavailable: %v: %s", err, out)
	}
}

var seq atomic.Int64

// NewPair creates a pair whose names start with "wt" and a short tag (at
// most 5 characters, to stay within interface name limits), and removes it
// when the test ends.
func NewPair(t testing.TB, tag string) *Pair {
	t.Helper()
	Require(t)
	n := fmt.Sprintf("%s%d%d", tag, os.Getpid()%10000, seq.Add(1))
	p := &Pair{NsA: "wtA" + n, NsB: "wtB" + n, IfA: "wa" + n, IfB: "wb" + n}
	if len(p.IfA) > 15 {
		t.Fatalf("livetest: tag %q makes interface names too long", tag)
	}
	t.Cleanup(func() { p.Delete() })
	Must(t, "ip", "netns", "add", p.NsA)
	Must(t, "ip", "netns", "add", p.NsB)
	Must(t, "ip", "-n", p.NsA, "link", "add", p.IfA, "type", "veth", "peer", "name", p.IfB, "netns", p.NsB)
	Must(t, "ip", "-n", p.NsA, "link", "set", "lo", "up")
	Must(t, "ip", "-n", p.NsB, "link", "set", "lo", "up")
	addHost(t, p.NsA, p.IfA, A4, A6)
	addHost(t, p.NsB, p.IfB, B4, B6)
	p.MacA = mac(t, p.NsA, p.IfA)
	p.MacB = mac(t, p.NsB, p.IfB)
	// Static neighbours: no ARP, no neighbour discovery.
	Must(t, "ip", "-n", p.NsA, "neigh", "add", B4, "lladdr", p.MacB, "dev", p.IfA, "nud", "permanent")
	Must(t, "ip", "-n", p.NsA, "neigh", "add", B6, "lladdr", p.MacB, "dev", p.IfA, "nud", "permanent")
	Must(t, "ip", "-n", p.NsB, "neigh", "add", A4, "lladdr", p.MacA, "dev", p.IfB, "nud", "permanent")
	Must(t, "ip", "-n", p.NsB, "neigh", "add", A6, "lladdr", p.MacA, "dev", p.IfB, "nud", "permanent")
	Must(t, "ip", "-n", p.NsA, "link", "set", p.IfA, "up")
	Must(t, "ip", "-n", p.NsB, "link", "set", p.IfB, "up")
	waitUp(t, p.NsA, p.IfA)
	waitUp(t, p.NsB, p.IfB)
	return p
}

func mac(t testing.TB, ns, ifc string) string {
	t.Helper()
	out := Must(t, "ip", "-n", ns, "-o", "link", "show", ifc)
	f := strings.Fields(out)
	for i, w := range f {
		if w == "link/ether" && i+1 < len(f) {
			return f[i+1]
		}
	}
	t.Fatalf("livetest: no MAC address in %q", out)
	return ""
}

// Delete removes both namespaces (and with them the veth pair), after
// killing anything still running in them.
func (p *Pair) Delete() { deleteNetns(p.NsA, p.NsB) }

// Must runs a command and fails the test if it fails; it returns stdout.
func Must(t testing.TB, name string, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// Run runs a command in namespace ns and returns its combined output and
// error, without failing the test.
func Run(t testing.TB, ns string, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", ns, name}, args...)...).CombinedOutput()
	return string(out), err
}

// MustIn runs a command in namespace ns and fails the test if it fails.
func MustIn(t testing.TB, ns string, name string, args ...string) string {
	t.Helper()
	out, err := Run(t, ns, name, args...)
	if err != nil {
		t.Fatalf("ip netns exec %s %s %s: %v: %s", ns, name, strings.Join(args, " "), err, out)
	}
	return out
}

// Start starts a command in namespace ns and kills it when the test ends.
func Start(t testing.TB, ns string, name string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns, name}, args...)...)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s in %s: %v", name, ns, err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd
}

// Env names the helper the test binary runs when it is started as one.
const helperEnv = "WEIR_LIVETEST_HELPER"

// Main runs a helper if the test binary was started as one (and exits),
// else the tests. Call it from TestMain: func TestMain(m *testing.M) {
// livetest.Main(m) }.
func Main(m *testing.M) {
	if h := os.Getenv(helperEnv); h != "" {
		os.Exit(runHelper(h, os.Args[len(os.Args)-1]))
	}
	os.Exit(m.Run())
}

// SendUDP sends count datagrams of size bytes (UDP payload) from namespace
// ns to dst ("198.18.0.2:9000") at no more than pps per second (0: as fast
// as possible) and returns how many were sent.
func SendUDP(t testing.TB, ns, dst string, count, size, pps int) int {
	t.Helper()
	out := helper(t, ns, fmt.Sprintf("udpsend %s %d %d %d", dst, count, size, pps))
	n, err := strconv.Atoi(strings.TrimSpace(out))
	if err != nil {
		t.Fatalf("livetest: udpsend said %q", out)
	}
	return n
}

// SinkUDP listens on addr ("198.18.0.2:9000") in namespace ns, discarding
// datagrams, until the test ends; so that the receiver sends no ICMP port
// unreachable back.
func SinkUDP(t testing.TB, ns, addr string) {
	t.Helper()
	cmd := exec.Command("ip", "netns", "exec", ns, os.Args[0], "-test.run=^$", "udpsink "+addr)
	cmd.Env = append(os.Environ(), helperEnv+"=udpsink", "GORACE=atexit_sleep_ms=0")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = w
	if err := cmd.Start(); err != nil {
		t.Fatalf("livetest: start sink: %v", err)
	}
	w.Close()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		r.Close()
	})
	// Wait until it is bound.
	buf := make([]byte, 16)
	r.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, _ := r.Read(buf); !strings.HasPrefix(string(buf[:n]), "ready") {
		t.Fatalf("livetest: sink on %s did not start", addr)
	}
}

func helper(t testing.TB, ns, args string) string {
	t.Helper()
	name := strings.Fields(args)[0]
	cmd := exec.Command("ip", "netns", "exec", ns, os.Args[0], "-test.run=^$", args)
	if ns == "" {
		cmd = exec.Command(os.Args[0], "-test.run=^$", args)
	}
	// Without the race detector's one-second pause at exit.
	cmd.Env = append(os.Environ(), helperEnv+"="+name, "GORACE=atexit_sleep_ms=0")
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("livetest: helper %q in %s: %v: %s", args, ns, err, stderr)
	}
	return string(out)
}

// helpers are the test package's own helpers, by name.
var helpers = map[string]func(args []string) int{}

// Helper registers fn as a helper process a test can start with
// StartHelper or RunHelper; call it before Main (from an init function). fn gets the words of the argument
// string and returns the exit status.
func Helper(name string, fn func(args []string) int) { helpers[name] = fn }

// RunHelper runs a registered helper in namespace ns ("" for the test's
// own) with the given arguments and returns its stdout; a non-zero exit
// fails the test, with its stderr.
func RunHelper(t testing.TB, ns, name string, args ...string) string {
	t.Helper()
	return helper(t, ns, strings.Join(append([]string{name}, args...), " "))
}

func runHelper(name, args string) int {
	f := strings.Fields(args)
	if fn := helpers[name]; fn != nil {
		return fn(f[1:])
	}
	switch name {
	case "udpsend":
		if len(f) != 5 {
			break
		}
		count, _ := strconv.Atoi(f[2])
		size, _ := strconv.Atoi(f[3])
		pps, _ := strconv.Atoi(f[4])
		n, err := udpSend(f[1], count, size, pps)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Println(n)
		return 0
	case "udpsink":
		if len(f) != 2 {
			break
		}
		c, err := net.ListenPacket("udp", f[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Println("ready")
		buf := make([]byte, 65536)
		deadline := time.Now().Add(10 * time.Minute) // never outlive a forgotten test
		for time.Now().Before(deadline) {
			c.SetReadDeadline(deadline)
			if _, _, err := c.ReadFrom(buf); err != nil {
				return 0
			}
		}
		return 0
	}
	fmt.Fprintf(os.Stderr, "livetest: bad helper %q %q\n", name, args)
	return 2
}

// udpSend sends count datagrams, pacing them in 1 ms slots.
func udpSend(dst string, count, size, pps int) (int, error) {
	c, err := net.Dial("udp", dst)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	payload := make([]byte, max(size, 4))
	for i := range payload {
		payload[i] = byte(i)
	}
	start := time.Now()
	sent, failures := 0, 0
	for sent < count {
		if pps > 0 {
			due := int(time.Since(start).Seconds()*float64(pps)) + 1
			if sent >= due {
				time.Sleep(200 * time.Microsecond)
				continue
			}
		}
		// A counter in the payload makes every datagram distinct.
		payload[0], payload[1], payload[2], payload[3] = byte(sent>>24), byte(sent>>16), byte(sent>>8), byte(sent)
		if _, err := c.Write(payload); err != nil {
			// ENOBUFS and the like: the sender's queue is full; it is
			// not sent, so not counted.
			if failures++; failures > 10000 {
				return sent, err
			}
			time.Sleep(50 * time.Microsecond)
			continue
		}
		sent++
		failures = 0
	}
	return sent, nil
}

// Mixed sends a little of everything from A to B and back: ping and
// ping -6, a TCP exchange and a UDP datagram with nc, and an HTTP request
// with curl to an nc-served reply, each over IPv4 (and ping over IPv6). It
// returns once all have finished.
func Mixed(t testing.TB, p *Pair) {
	t.Helper()
	MustIn(t, p.NsA, "ping", "-c", "3", "-i", "0.01", "-q", B4)
	MustIn(t, p.NsA, "ping", "-6", "-c", "3", "-i", "0.01", "-q", B6)
	// TCP: the listener exits when the client has shut its side.
	srv := Start(t, p.NsB, "nc", "-l", B4, "7000")
	retry(t, p.NsA, "sh", "-c", "echo hello weir | nc -N "+B4+" 7000")
	srv.Wait()
	// HTTP with curl against a one-shot reply.
	httpd := Start(t, p.NsB, "sh", "-c", `printf 'HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello' | nc -l -N `+B4+" 8080 >/dev/null")
	retry(t, p.NsA, "curl", "-sS", "--max-time", "5", "-o", "/dev/null", "http://"+B4+":8080/weir")
	httpd.Wait()
	// UDP: a datagram to a listener, so that no port unreachable comes back.
	usrv := Start(t, p.NsB, "nc", "-u", "-l", B4, "7001")
	time.Sleep(50 * time.Millisecond)
	MustIn(t, p.NsA, "sh", "-c", "echo datagram | nc -u -w 0 "+B4+" 7001")
	time.Sleep(50 * time.Millisecond)
	usrv.Process.Kill()
}

// retry runs a client until it succeeds (its server may not listen yet).
func retry(t testing.TB, ns, name string, args ...string) {
	t.Helper()
	var out string
	var err error
	for i := 0; i < 50; i++ {
		if out, err = Run(t, ns, name, args...); err == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s %s in %s: %v: %s", name, strings.Join(args, " "), ns, err, out)
}

// Tcpdump runs tcpdump -i ifc in namespace ns, writing whole frames that
// match filter to a pcap file, until the returned stop is called; stop
// returns the file's path. It waits until tcpdump listens.
func Tcpdump(t testing.TB, ns, ifc, filter string, extra ...string) (stop func() string) {
	t.Helper()
	if _, err := exec.LookPath("tcpdump"); err != nil {
		t.Skip("tcpdump is not installed")
	}
	path := t.TempDir() + "/" + ifc + ".pcap"
	args := append([]string{"netns", "exec", ns, "tcpdump", "-i", ifc, "-s", "0", "-n", "-Z", "root", "--immediate-mode", "-w", path, "-U"}, extra...)
	if filter != "" {
		args = append(args, filter)
	}
	cmd := exec.Command("ip", args...)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = w
	if err := cmd.Start(); err != nil {
		t.Fatalf("tcpdump: %v", err)
	}
	w.Close()
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			cmd.Process.Kill()
			cmd.Wait()
		}
		r.Close()
	})
	// tcpdump says "listening on IF" once the capture is open.
	r.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 4096)
	var said []byte
	for !bytes.Contains(said, []byte("listening on")) {
		n, err := r.Read(buf)
		said = append(said, buf[:n]...)
		if err != nil {
			t.Fatalf("tcpdump did not start: %v: %s", err, said)
		}
	}
	return func() string {
		t.Helper()
		stopped = true
		cmd.Process.Signal(syscall.SIGINT)
		if err := cmd.Wait(); err != nil {
			t.Fatalf("tcpdump: %v", err)
		}
		return path
	}
}

// Rec is a frame copied out of a source.
type Rec struct {
	TS      int64
	Data    []byte
	WireLen int
}

// ReadPcap reads every frame of a capture file.
func ReadPcap(t testing.TB, path string) []Rec {
	t.Helper()
	src, err := file.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var recs []Rec
	var f sources.Frame
	for {
		err := src.Next(&f)
		if err == io.EOF {
			return recs
		}
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, Rec{f.TS, bytes.Clone(f.Data), f.WireLen})
	}
}

// Compare fails the test unless got and want are the same frames, byte
// for byte, in the same order, with timestamps within tol of each other.
func Compare(t testing.TB, what string, got, want []Rec, tol time.Duration) {
	t.Helper()
	for i := 0; i < min(len(got), len(want)); i++ {
		g, w := got[i], want[i]
		if !bytes.Equal(g.Data, w.Data) || g.WireLen != w.WireLen {
			t.Fatalf("%s: frame %d differs:\n got % x (%d on the wire)\nwant % x (%d on the wire)", what, i, g.Data, g.WireLen, w.Data, w.WireLen)
		}
		if d := time.Duration(g.TS - w.TS); d > tol || d < -tol {
			t.Errorf("%s: frame %d: timestamps %d and %d differ by %v", what, i, g.TS, w.TS, d)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%s: %d frames, want %d", what, len(got), len(want))
	}
}
