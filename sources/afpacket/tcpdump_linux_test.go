package afpacket

import (
	"testing"
	"time"

	"github.com/weirnet/weir/sources/live/livetest"
)

// The same traffic captured by tcpdump -i and by a Source on the same
// interface at the same time: the same frames, in the same order, with the
// same timestamps, with and without a filter (which for tcpdump is compiled
// by libpcap for a live Linux socket, and here as for a file, then run in
// the kernel).
func TestAgainstTcpdump(t *testing.T) {
	for _, tc := range []struct{ name, filter string }{
		// MLD reports from :: that IPv6 sends on link up can straddle
		// tcpdump's start; this filter keeps only the test's traffic.
		{"all", "host 198.18.0.1 or host 2001:db8::1"},
		{"tcp", "tcp"},
		{"icmp6", "icmp6 and host 2001:db8::2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := livetest.NewPair(t, "tcpd")
			stop := livetest.Tcpdump(t, p.NsA, p.IfA, tc.filter)
			a := open(t, Config{Iface: p.IfA, Netns: p.PathA(), Filter: tc.filter})
			c := startCapture(t, a)
			livetest.Mixed(t, p)
			got := c.wait(t)
			want := livetest.ReadPcap(t, stop())
			t.Logf("ours %d, tcpdump %d", len(got), len(want))
			if len(want) == 0 {
				t.Fatal("tcpdump captured nothing")
			}
			recs := make([]livetest.Rec, len(got))
			for i, r := range got {
				recs[i] = livetest.Rec{TS: r.ts, Data: r.data, WireLen: r.wirelen}
			}
			livetest.Compare(t, "afpacket vs tcpdump -i "+p.IfA, recs, want, time.Millisecond)
			t.Logf("%d frames, the same as tcpdump's", len(recs))
		})
	}
}
