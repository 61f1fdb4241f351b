package livetest

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Tap is the two-tap (span port) topology: a client namespace NsC and a
// server namespace NsV joined through a Linux bridge in a sensor
// namespace NsS. The bridge has two ports, veth ends IfS1 (peer IfC, in
// NsC) and IfS2 (peer IfV, in NsV), so every frame between client and
// server crosses the bridge and appears, byte for byte the same, once on
// IfS1 and once on IfS2: what a sensor sees on two taps of one link.
//
// The client has addresses A4 and A6, the server B4 and B6. The sensor
// namespace has no address and no IPv6 at all; the bridge runs no
// spanning tree and no multicast snooping (so no querier), and its
// forwarding table holds the two MACs statically; client and server have
// static neighbours, no IPv6 autoconfiguration or duplicate address
// detection, and offloads are off on every veth end. Nothing crosses the
// bridge that a test did not send.
type Tap struct {
	NsC, NsS, NsV string // namespace names (ip netns)
	IfC, IfV      string // the client's and the server's interface
	IfS1, IfS2    string // the bridge ports in NsS: IfS1 faces the client, IfS2 the server
	Bridge        string // the bridge in NsS
	MacC, MacV    string
}

// PathS is the sensor namespace's file, for afpacket.Config.Netns.
func (p *Tap) PathS() string { return NetnsPath(p.NsS) }

// NewTap creates a Tap whose names start with "wt" and a short tag (at
// most 5 characters, to stay within the 15-byte interface name limit), and
// removes it, with anything still running in it, when the test ends.
func NewTap(t testing.TB, tag string) *Tap {
	t.Helper()
	Require(t)
	n := fmt.Sprintf("%s%d%d", tag, os.Getpid()%10000, seq.Add(1))
	p := &Tap{NsC: "wtC" + n, NsS: "wtS" + n, NsV: "wtV" + n,
		IfC: "wc" + n, IfV: "wv" + n, IfS1: "w1" + n, IfS2: "w2" + n, Bridge: "wbr" + n}
	if len(p.Bridge) > 15 {
		t.Fatalf("livetest: tag %q makes interface names too long", tag)
	}
	t.Cleanup(p.Delete)
	for _, ns := range []string{p.NsC, p.NsS, p.NsV} {
		Must(t, "ip", "netns", "add", ns)
		Must(t, "ip", "-n", ns, "link", "set", "lo", "up")
	}
	// The sensor namespace speaks no IPv6: no link-local address on the
	// bridge or its ports, so no MLD report or router solicitation. Set
	// before the interfaces exist, they inherit it.
	for _, kv := range []string{"net.ipv6.conf.default.disable_ipv6=1", "net.ipv6.conf.all.disable_ipv6=1"} {
		Run(t, p.NsS, "sysctl", "-q", "-w", kv) // best effort: no IPv6 in the kernel is fine too
	}
	Must(t, "ip", "-n", p.NsS, "link", "add", p.IfS1, "type", "veth", "peer", "name", p.IfC, "netns", p.NsC)
	Must(t, "ip", "-n", p.NsS, "link", "add", p.IfS2, "type", "veth", "peer", "name", p.IfV, "netns", p.NsV)
	Must(t, "ip", "-n", p.NsS, "link", "add", p.Bridge, "type", "bridge",
		"stp_state", "0", "mcast_snooping", "0", "mcast_querier", "0")
	for _, ifc := range []string{p.Bridge, p.IfS1, p.IfS2} {
		Must(t, "ip", "-n", p.NsS, "link", "set", ifc, "addrgenmode", "none")
	}
	for _, ifc := range []string{p.IfS1, p.IfS2} {
		Must(t, "ip", "-n", p.NsS, "link", "set", ifc, "master", p.Bridge)
		offloadsOff(t, p.NsS, ifc)
	}
	addHost(t, p.NsC, p.IfC, A4, A6)
	addHost(t, p.NsV, p.IfV, B4, B6)
	p.MacC = mac(t, p.NsC, p.IfC)
	p.MacV = mac(t, p.NsV, p.IfV)
	// The bridge knows where each MAC is from the start: no flooding of
	// the first frames to the bridge's own port.
	Must(t, "bridge", "-n", p.NsS, "fdb", "replace", p.MacC, "dev", p.IfS1, "master", "static")
	Must(t, "bridge", "-n", p.NsS, "fdb", "replace", p.MacV, "dev", p.IfS2, "master", "static")
	// Static neighbours: no ARP, no neighbour discovery.
	for _, e := range []struct{ ns, ifc, mac, a4, a6 string }{
		{p.NsC, p.IfC, p.MacV, B4, B6}, {p.NsV, p.IfV, p.MacC, A4, A6}} {
		Must(t, "ip", "-n", e.ns, "neigh", "add", e.a4, "lladdr", e.mac, "dev", e.ifc, "nud", "permanent")
		Must(t, "ip", "-n", e.ns, "neigh", "add", e.a6, "lladdr", e.mac, "dev", e.ifc, "nud", "permanent")
	}
	for _, e := range [][2]string{{p.NsS, p.Bridge}, {p.NsS, p.IfS1}, {p.NsS, p.IfS2}, {p.NsC, p.IfC}, {p.NsV, p.IfV}} {
		Must(t, "ip", "-n", e[0], "link", "set", e[1], "up")
	}
	for _, e := range [][2]string{{p.NsS, p.IfS1}, {p.NsS, p.IfS2}, {p.NsC, p.IfC}, {p.NsV, p.IfV}, {p.NsS, p.Bridge}} {
		waitUp(t, e[0], e[1])
	}
	return p
}

// addHost gives interface ifc in namespace ns the addresses a4/24 and
// a6/64 and nothing else: no router solicitations, no duplicate address
// detection, no link-local address (so no MLD report from one). IPv6
// sends only what a test sends.
func addHost(t testing.TB, ns, ifc, a4, a6 string) {
	t.Helper()
	for _, kv := range []string{
		"net.ipv6.conf.default.router_solicitations=0",
		"net.ipv6.conf.default.accept_dad=0",
		"net.ipv6.conf." + ifc + ".router_solicitations=0",
		"net.ipv6.conf." + ifc + ".accept_dad=0",
	} {
		Run(t, ns, "sysctl", "-q", "-w", kv) // best effort: names differ between kernels
	}
	Must(t, "ip", "-n", ns, "link", "set", ifc, "addrgenmode", "none")
	Must(t, "ip", "-n", ns, "addr", "add", a4+"/24", "dev", ifc)
	Must(t, "ip", "-n", ns, "addr", "add", a6+"/64", "dev", ifc, "nodad")
	offloadsOff(t, ns, ifc)
}

// offloadsOff turns segmentation and checksum offloads off, so that a
// frame is captured as it is on the wire: no 64 KiB segments, real
// checksums. Without ethtool the veth defaults stay.
func offloadsOff(t testing.TB, ns, ifc string) {
	t.Helper()
	if _, err := exec.LookPath("ethtool"); err == nil {
		Run(t, ns, "ethtool", "-K", ifc, "tx", "off", "rx", "off", "tso", "off", "gso", "off", "gro", "off")
	}
}

// waitUp waits until ifc's operational state is UP. The kernel attaches
// the real queueing discipline when its link watcher sees the carrier, up
// to a second after the link is set up; until then the interface drops
// what is sent. The same event sets the operational state.
func waitUp(t testing.TB, ns, ifc string) {
	t.Helper()
	for i := 0; ; i++ {
		if out := Must(t, "ip", "-n", ns, "-o", "link", "show", ifc); strings.Contains(out, "state UP") {
			return
		}
		if i == 300 {
			t.Fatalf("livetest: %s in %s did not come up", ifc, ns)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Delete removes the three namespaces (and with them the veth pairs and
// the bridge), after killing anything still running in them.
func (p *Tap) Delete() { deleteNetns(p.NsC, p.NsS, p.NsV) }

func deleteNetns(names ...string) {
	for _, ns := range names {
		if out, err := exec.Command("ip", "netns", "pids", ns).Output(); err == nil {
			for _, f := range strings.Fields(string(out)) {
				if pid, err := strconv.Atoi(f); err == nil && pid != os.Getpid() {
					syscall.Kill(pid, syscall.SIGKILL)
				}
			}
		}
		exec.Command("ip", "netns", "del", ns).Run()
	}
}
