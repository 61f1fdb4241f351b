// Package statslog writes a live sensor's stats.log from Stats events.
package statslog

import (
	"github.com/weirnet/weir/core/bus"
	"github.com/weirnet/weir/core/event"
	"github.com/weirnet/weir/logs"
	"github.com/weirnet/weir/plugins/logplugin"
)

// Plugin writes stats.log.
type Plugin struct {
	logplugin.Lazy
	peer string
}

// New returns a stats.log plugin; peer names this sensor in the log.
func New(opts logs.Options, peer string) *Plugin {
	return &Plugin{Lazy: logplugin.Lazy{Opts: opts}, peer: peer}
}

func (p *Plugin) Name() string                { return "stats" }
func (p *Plugin) Subscriptions() []event.Kind { return []event.Kind{event.KindStats} }

// Handle writes one record per Stats event.
func (p *Plugin) Handle(batch []event.Event) error {
	for i := range batch {
		s := batch[i].Stats
		if s == nil {
			continue
		}
		w, err := p.Writer("stats", s.TS)
		if err != nil {
			return err
		}
		w.Begin()
		w.Time(s.TS)
		w.String(p.peer)
		w.Count(s.MemMB)
		w.Count(s.Pkts)
		w.Count(s.Bytes)
		w.Count(s.KernelDrops)
		w.Count(s.KernelRecv)
		w.Interval(max(s.Lag, 0))
		w.Count(s.Events)
		w.Count(s.Queued)
		for _, t := range transports {
			w.Count(uint64(max(s.Active[t], 0)))
		}
		for _, t := range transports {
			w.Count(s.New[t])
		}
		if err := w.End(); err != nil {
			return err
		}
	}
	return nil
}

// transports are the ones stats.log counts, in its order.
var transports = [...]event.Transport{event.TransportTCP, event.TransportUDP, event.TransportICMP}

var _ bus.Plugin = (*Plugin)(nil)
