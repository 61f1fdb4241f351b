// Package dnslog is the DNS log plugin: it turns DNSMessage events into
// dns.log records with Zeek's default fields and order (from
// logs/schema/dns.json).
//
// It runs in-process behind the bus.Plugin interface; the out-of-process
// plugin host drives the same code in its own process.
package dnslog

import (
	"github.com/weirnet/weir/core/bus"
	"github.com/weirnet/weir/core/event"
	"github.com/weirnet/weir/logs"
	"github.com/weirnet/weir/plugins/logplugin"
)

// Plugin writes dns.log.
type Plugin struct {
	logplugin.Lazy
}

// New returns a DNS log plugin writing with opts.
func New(opts logs.Options) *Plugin { return &Plugin{Lazy: logplugin.Lazy{Opts: opts}} }

func (p *Plugin) Name() string                { return "dns" }
func (p *Plugin) Subscriptions() []event.Kind { return []event.Kind{event.KindDNSMessage} }

// Handle writes one record per event. The log file is created with the
// first record, as Zeek creates its logs lazily.
func (p *Plugin) Handle(batch []event.Event) error {
	for i := range batch {
		ev := &batch[i]
		if ev.Kind != event.KindDNSMessage || ev.DNS == nil {
			continue
		}
		if _, err := p.Writer("dns", ev.Time); err != nil {
			return err
		}
		if err := p.write(ev.DNS); err != nil {
			return err
		}
	}
	return nil
}

func (p *Plugin) write(d *event.DNS) error {
	w := p.W
	w.Begin()
	w.Time(d.TS)
	w.String(d.UID)
	w.Addr(d.ID.OrigH)
	w.Port(d.ID.OrigP)
	w.Addr(d.ID.RespH)
	w.Port(d.ID.RespP)
	w.Enum(d.Proto.String())
	w.Count(uint64(d.TransID))
	if d.HasRTT {
		w.Interval(d.RTT)
	} else {
		w.Unset()
	}
	if d.HasQuery {
		w.String(d.Query)
	} else {
		w.Unset()
	}
	if d.HasQType {
		w.Count(uint64(d.QClass))
		w.String(d.QClassName)
		w.Count(uint64(d.QType))
		w.String(d.QTypeName)
	} else {
		w.Unset()
		w.Unset()
		w.Unset()
		w.Unset()
	}
	if d.HasRCode {
		w.Count(uint64(d.RCode))
		w.String(d.RCodeName)
	} else {
		w.Unset()
		w.Unset()
	}
	w.Bool(d.AA)
	w.Bool(d.TC)
	w.Bool(d.RD)
	w.Bool(d.RA)
	w.Count(uint64(d.Z))
	if d.Answers != nil {
		w.StringSet(d.Answers)
		w.IntervalVector(d.TTLs)
	} else {
		w.Unset()
		w.Unset()
	}
	w.Bool(d.Rejected)
	w.Count(uint64(d.Opcode))
	w.String(d.OpcodeName)
	return w.End()
}

var _ bus.Plugin = (*Plugin)(nil)
var _ bus.Flusher = (*Plugin)(nil)
