// Package weirdlog is the weird log plugin: anomalies in the traffic
// (malformed packets, protocol violations, odd TCP behaviour) become
// weird.log records with Zeek's fields.
//
// Like Zeek's weird framework with its default per-connection actions, a
// weird with the same name is logged once per connection; weirds not tied
// to a connection are all logged.
package weirdlog

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/weirnet/weir/core/bus"
	"github.com/weirnet/weir/core/event"
	"github.com/weirnet/weir/logs"
	"github.com/weirnet/weir/plugins/logplugin"
)

// Plugin writes weird.log.
type Plugin struct {
	logplugin.Lazy
	seen map[string][]string // uid → weird names already logged for it
}

// New returns a weird log plugin writing with opts.
func New(opts logs.Options) *Plugin {
	return &Plugin{Lazy: logplugin.Lazy{Opts: opts}, seen: make(map[string][]string)}
}

func (p *Plugin) Name() string { return "weird" }
func (p *Plugin) Subscriptions() []event.Kind {
	return []event.Kind{event.KindWeird, event.KindConnEnd}
}

func (p *Plugin) Handle(batch []event.Event) error {
	for i := range batch {
		ev := &batch[i]
		switch ev.Kind {
		case event.KindConnEnd:
			// The connection is gone: forget what was logged for it.
			if ev.Conn != nil {
				delete(p.seen, ev.Conn.UID)
			}
		case event.KindWeird:
			wd := ev.Weird
			if wd == nil {
				continue
			}
			if wd.UID != "" {
				names := p.seen[wd.UID]
				if slices.Contains(names, wd.Name) {
					continue
				}
				p.seen[wd.UID] = append(names, wd.Name)
			}
			if err := p.write(ev.Time, wd); err != nil {
				return err
			}
		}
	}
	return nil
}

func (p *Plugin) write(ts int64, wd *event.Weird) error {
	if _, err := p.Writer("weird", ts); err != nil {
		return err
	}
	w := p.W
	w.Begin()
	w.Time(wd.TS)
	if wd.UID != "" {
		w.String(wd.UID)
	} else {
		w.Unset()
	}
	if wd.ID != nil {
		w.Addr(wd.ID.OrigH)
		w.Port(wd.ID.OrigP)
		w.Addr(wd.ID.RespH)
		w.Port(wd.ID.RespP)
	} else {
		w.Unset()
		w.Unset()
		w.Unset()
		w.Unset()
	}
	w.String(wd.Name)
	if wd.Addl != "" {
		w.String(wd.Addl)
	} else {
		w.Unset()
	}
	w.Bool(wd.Notice)
	w.String("weir")
	if wd.Source != "" {
		w.String(wd.Source)
	} else {
		w.Unset()
	}
	return w.End()
}

var _ bus.Plugin = (*Plugin)(nil)
var _ bus.Flusher = (*Plugin)(nil)

// Snapshot returns which weirds were already logged per live connection,
// so a plugin process restarted after a crash does not log them again.
func (p *Plugin) Snapshot() ([]byte, error) { return json.Marshal(p.seen) }

// Restore loads a Snapshot.
func (p *Plugin) Restore(state []byte) error {
	seen := make(map[string][]string)
	if len(state) > 0 {
		if err := json.Unmarshal(state, &seen); err != nil {
			return fmt.Errorf("weird plugin state: %w", err)
		}
	}
	p.seen = seen
	return nil
}
