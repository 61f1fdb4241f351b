// Package connlog is the conn log plugin: it turns ConnEnd events into
// conn.log records (Zeek's fields and order, from logs/schema/conn.json).
//
// It runs in-process behind the bus.Plugin interface; the out-of-process
// plugin host drives the same code in its own process.
package connlog

import (
	"strings"

	"github.com/weirnet/weir/core/bus"
	"github.com/weirnet/weir/core/event"
	"github.com/weirnet/weir/logs"
	"github.com/weirnet/weir/plugins/logplugin"
)

// Plugin writes conn.log.
type Plugin struct {
	logplugin.Lazy
}

// New returns a conn log plugin writing with opts.
func New(opts logs.Options) *Plugin { return &Plugin{Lazy: logplugin.Lazy{Opts: opts}} }

func (p *Plugin) Name() string                { return "conn" }
func (p *Plugin) Subscriptions() []event.Kind { return []event.Kind{event.KindConnEnd} }

// Handle writes one record per ConnEnd. The log file is created with the
// first record, as Zeek creates its logs lazily.
func (p *Plugin) Handle(batch []event.Event) error {
	for i := range batch {
		ev := &batch[i]
		if ev.Kind != event.KindConnEnd || ev.Conn == nil {
			continue
		}
		if _, err := p.Writer("conn", ev.Time); err != nil {
			return err
		}
		if err := p.write(ev.Conn); err != nil {
			return err
		}
	}
	return nil
}

func (p *Plugin) write(c *event.Conn) error {
	w := p.W
	w.Begin()
	w.Time(c.Start)
	w.String(c.UID)
	w.Addr(c.ID.OrigH)
	w.Port(c.ID.OrigP)
	w.Addr(c.ID.RespH)
	w.Port(c.ID.RespP)
	w.Enum(c.ID.Proto.String())
	if len(c.Service) > 0 {
		w.String(strings.Join(c.Service, ","))
	} else {
		w.Unset()
	}
	// Zeek sets duration and the byte counts only for a positive duration.
	if c.Duration > 0 {
		w.Interval(c.Duration)
		w.Count(c.OrigBytes)
		w.Count(c.RespBytes)
	} else {
		w.Unset()
		w.Unset()
		w.Unset()
	}
	w.String(c.ConnState)
	tristate(w, c.LocalOrig)
	tristate(w, c.LocalResp)
	w.Count(c.MissedBytes)
	if c.History != "" {
		w.String(c.History)
	} else {
		w.Unset()
	}
	w.Count(c.OrigPkts)
	w.Count(c.OrigIPBytes)
	w.Count(c.RespPkts)
	w.Count(c.RespIPBytes)
	if len(c.TunnelParents) > 0 {
		w.StringSet(c.TunnelParents)
	} else {
		w.Unset()
	}
	w.Count(uint64(c.IPProto))
	w.String(c.CommunityID)
	return w.End()
}

func tristate(w *logs.Writer, t event.Tristate) {
	switch t {
	case event.True:
		w.Bool(true)
	case event.False:
		w.Bool(false)
	default:
		w.Unset()
	}
}

var _ bus.Plugin = (*Plugin)(nil)
var _ bus.Flusher = (*Plugin)(nil)
