package ssh

import (
	"testing"

	"github.com/weirnet/weir/core/analyzer"
	"github.com/weirnet/weir/core/event"
)

func TestDumpReal(t *testing.T) {
	a, _ := New(DefaultConfig())
	for _, f := range []string{"../../../../shared/conformance/zeek/cases/ssh-multi/trace.pcap", "../../../../shared/conformance/zeek/cases/ssh-half-duplex-server/trace.pcap"} {
		conns := feedPcap(t, f, func(c *analyzer.Conn, isOrig bool, first []byte) analyzer.Session {
			return a.NewSession(c)
		})
		for _, c := range conns {
			for _, ev := range c.sink.events {
				if ev.Kind == event.KindSSHHandshake {
					t.Log(f, rec(ev.SSH))
				}
			}
			t.Log(c.sink.weirds, c.sink.violations, c.sink.confirms)
		}
	}
}
