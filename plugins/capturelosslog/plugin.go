// Package capturelosslog writes capture_loss.log (Zeek's estimate of
// traffic the sensor missed, from TCP acks of unseen data) from Stats
// events.
package capturelosslog

import (
	"github.com/weirnet/weir/core/bus"
	"github.com/weirnet/weir/core/event"
	"github.com/weirnet/weir/logs"
	"github.com/weirnet/weir/plugins/logplugin"
)

// Plugin writes capture_loss.log.
type Plugin struct {
	logplugin.Lazy
	peer string
}

// New returns a capture_loss.log plugin; peer names this sensor.
func New(opts logs.Options, peer string) *Plugin {
	return &Plugin{Lazy: logplugin.Lazy{Opts: opts}, peer: peer}
}

func (p *Plugin) Name() string                { return "capture_loss" }
func (p *Plugin) Subscriptions() []event.Kind { return []event.Kind{event.KindStats} }

// Handle writes one record per Stats event.
func (p *Plugin) Handle(batch []event.Event) error {
	for i := range batch {
		s := batch[i].Stats
		if s == nil {
			continue
		}
		w, err := p.Writer("capture_loss", s.TS)
		if err != nil {
			return err
		}
		lost := 0.0
		if s.Acks > 0 {
			lost = 100 * float64(s.Gaps) / float64(s.Acks)
		}
		w.Begin()
		w.Time(s.TS)
		w.Interval(s.Delta)
		w.String(p.peer)
		w.Count(s.Gaps)
		w.Count(s.Acks)
		w.Double(lost)
		if err := w.End(); err != nil {
			return err
		}
	}
	return nil
}

var _ bus.Plugin = (*Plugin)(nil)
