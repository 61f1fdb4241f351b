// Package httplog is the HTTP log plugin: it turns HTTPTransaction events
// into http.log records (Zeek's fields and order, from
// logs/schema/http.json).
//
// It runs in-process behind the bus.Plugin interface; the out-of-process
// plugin host drives the same code in its own process.
package httplog

import (
	"github.com/weirnet/weir/core/bus"
	"github.com/weirnet/weir/core/event"
	"github.com/weirnet/weir/logs"
	"github.com/weirnet/weir/plugins/logplugin"
)

// Plugin writes http.log.
type Plugin struct {
	logplugin.Lazy
}

// New returns an HTTP log plugin writing with opts.
func New(opts logs.Options) *Plugin { return &Plugin{Lazy: logplugin.Lazy{Opts: opts}} }

func (p *Plugin) Name() string                { return "http" }
func (p *Plugin) Subscriptions() []event.Kind { return []event.Kind{event.KindHTTPTransaction} }

// Handle writes one record per HTTPTransaction. The log file is created
// with the first record, as Zeek creates its logs lazily.
func (p *Plugin) Handle(batch []event.Event) error {
	for i := range batch {
		ev := &batch[i]
		if ev.Kind != event.KindHTTPTransaction || ev.HTTP == nil {
			continue
		}
		if _, err := p.Writer("http", ev.Time); err != nil {
			return err
		}
		if err := p.write(ev.HTTP); err != nil {
			return err
		}
	}
	return nil
}

func (p *Plugin) write(h *event.HTTP) error {
	w := p.W
	str := func(f event.HTTPField, v string) {
		if h.Has(f) {
			w.String(v)
		} else {
			w.Unset()
		}
	}
	count := func(f event.HTTPField, v uint64) {
		if h.Has(f) {
			w.Count(v)
		} else {
			w.Unset()
		}
	}
	vec := func(v []string) {
		if v == nil {
			w.Unset()
		} else {
			w.StringSet(v)
		}
	}
	w.Begin()
	w.Time(h.TS)
	w.String(h.UID)
	w.Addr(h.ID.OrigH)
	w.Port(h.ID.OrigP)
	w.Addr(h.ID.RespH)
	w.Port(h.ID.RespP)
	w.Count(h.TransDepth)
	str(event.HTTPMethod, h.Method)
	str(event.HTTPHost, h.Host)
	str(event.HTTPURI, h.URI)
	str(event.HTTPReferrer, h.Referrer)
	str(event.HTTPVersion, h.Version)
	str(event.HTTPUserAgent, h.UserAgent)
	str(event.HTTPOrigin, h.Origin)
	w.Count(h.RequestBodyLen)
	w.Count(h.ResponseBodyLen)
	count(event.HTTPStatusCode, h.StatusCode)
	str(event.HTTPStatusMsg, h.StatusMsg)
	count(event.HTTPInfoCode, h.InfoCode)
	str(event.HTTPInfoMsg, h.InfoMsg)
	// tags is never unset in Zeek: an empty set is (empty).
	w.StringSet(h.Tags)
	str(event.HTTPUsername, h.Username)
	str(event.HTTPPassword, h.Password)
	vec(h.Proxied)
	vec(h.OrigFilenames)
	vec(h.OrigMIMETypes)
	vec(h.RespFilenames)
	vec(h.RespMIMETypes)
	return w.End()
}

var _ bus.Plugin = (*Plugin)(nil)
