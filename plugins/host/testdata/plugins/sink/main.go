// Command sink is a plugin that receives ConnEnd events and checks their
// order, for the host's benchmarks: what delivery costs without a log.
// With WEIR_SINK_CPUPROFILE set it writes a CPU profile there.
package main

import (
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/weirnet/weir/sdk"
	"github.com/weirnet/weir/sdk/event"
)

func main() {
	if path := os.Getenv("WEIR_SINK_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err == nil && pprof.StartCPUProfile(f) == nil {
			defer pprof.StopCPUProfile()
		}
	}
	var last uint64
	sdk.Serve("sink", sdk.HandlerFunc(func(ctx *sdk.Context, batch []event.Event) error {
		for i := range batch {
			if batch[i].Seq != last+1 || batch[i].Conn == nil {
				return fmt.Errorf("event %d after %d", batch[i].Seq, last)
			}
			last = batch[i].Seq
		}
		return nil
	}), sdk.Subscribe(event.KindConnEnd))
}
