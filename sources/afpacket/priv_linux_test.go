package afpacket

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/weirnet/weir/sources/live/livetest"
)

func init() { livetest.Helper("privdrop", privdropHelper) }

// privdropHelper runs in a process of its own, since dropping privileges
// cannot be undone: it opens a source, drops to nobody keeping CAP_NET_RAW
// on the opener thread, and checks what the process can do afterwards.
func privdropHelper(args []string) int {
	fail := func(format string, a ...any) int { fmt.Fprintf(os.Stderr, format+"\n", a...); return 1 }
	before, err := Open(Config{Iface: "lo", NumBlocks: 2, Filter: "udp port 1"})
	if err != nil {
		return fail("open before: %v", err)
	}
	defer before.Close()
	if err := DropPrivileges("nobody", args[0] == "keep"); err != nil {
		return fail("%v", err)
	}
	if os.Getuid() == 0 || os.Geteuid() == 0 {
		return fail("still root")
	}
	// This goroutine's thread has no capability left.
	if fd, err := rawSocket(); err == nil {
		unix.Close(fd)
		return fail("a packet socket could still be opened on an ordinary thread")
	} else if !errors.Is(err, unix.EPERM) {
		return fail("socket: %v, want EPERM", err)
	}
	// Capabilities belong to threads: at most one (the opener's) may hold
	// any, and then only CAP_NET_RAW.
	tasks, _ := os.ReadDir("/proc/self/task")
	holders := 0
	for _, task := range tasks {
		status, _ := os.ReadFile("/proc/self/task/" + task.Name() + "/status")
		for _, l := range strings.Split(string(status), "\n") {
			k, v, _ := strings.Cut(l, ":")
			v = strings.TrimSpace(v)
			if k != "CapEff" && k != "CapPrm" || v == "0000000000000000" {
				continue
			}
			if v != fmt.Sprintf("%016x", 1<<unix.CAP_NET_RAW) || args[0] != "keep" {
				return fail("thread %s: %s %s", task.Name(), k, v)
			}
			if k == "CapEff" {
				holders++
			}
		}
	}
	if want := map[string]int{"keep": 1, "all": 0}[args[0]]; holders != want || len(tasks) < 2 {
		return fail("%d of %d threads hold CAP_NET_RAW, want %d", holders, len(tasks), want)
	}
	after, err := Open(Config{Iface: "lo", NumBlocks: 2})
	if args[0] == "keep" {
		if err != nil {
			return fail("open after dropping with CAP_NET_RAW kept: %v", err)
		}
		after.Close()
	} else if err == nil || !errors.Is(err, unix.EPERM) {
		return fail("open after dropping everything: %v, want EPERM", err)
	}
	before.Stats() // the socket opened before still works
	fmt.Println("ok")
	return 0
}

func TestDropPrivileges(t *testing.T) {
	livetest.Require(t)
	for _, mode := range []string{"keep", "all"} {
		t.Run(mode, func(t *testing.T) {
			if out := livetest.RunHelper(t, "", "privdrop", mode); strings.TrimSpace(out) != "ok" {
				t.Fatalf("helper said %q", out)
			}
		})
	}
}

// Two sockets in one hash fanout group share the frames: each datagram
// reaches exactly one of them.
func TestFanout(t *testing.T) {
	p := livetest.NewPair(t, "fan")
	livetest.SinkUDP(t, p.NsB, livetest.B4+":9000")
	cfg := Config{Iface: p.IfB, Netns: p.PathB(), Filter: "udp port 9000", Fanout: FanoutHash, FanoutGroup: 4242}
	s1, s2 := open(t, cfg), open(t, cfg)
	c1, c2 := startCapture(t, s1), startCapture(t, s2)
	// Many source ports, so that the hash spreads the flows.
	for i := 0; i < 20; i++ {
		livetest.SendUDP(t, p.NsA, livetest.B4+":9000", 5, 32, 0)
	}
	r1, r2 := c1.wait(t), c2.wait(t)
	if len(r1)+len(r2) != 100 {
		t.Fatalf("%d + %d frames, want 100 in all", len(r1), len(r2))
	}
	t.Logf("fanout split: %d / %d", len(r1), len(r2))
	// Each flow went to one socket only.
	seen := map[string]int{}
	for i, rs := range [][]rec{r1, r2} {
		for _, r := range rs {
			port := string(r.data[34:36])
			if j, ok := seen[port]; ok && j != i {
				t.Fatalf("flow from port % x went to both sockets", port)
			}
			seen[port] = i
		}
	}
}
