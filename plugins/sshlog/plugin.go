// Package sshlog is the SSH log plugin: it turns SSHHandshake events into
// ssh.log records (Zeek's fields and order, from logs/schema/ssh.json).
//
// It runs in-process behind the bus.Plugin interface; the out-of-process
// plugin host drives the same code in its own process.
package sshlog

import (
	"github.com/weirnet/weir/core/bus"
	"github.com/weirnet/weir/core/event"
	"github.com/weirnet/weir/logs"
	"github.com/weirnet/weir/plugins/logplugin"
)

// Plugin writes ssh.log.
type Plugin struct {
	logplugin.Lazy
}

// New returns an SSH log plugin writing with opts.
func New(opts logs.Options) *Plugin { return &Plugin{Lazy: logplugin.Lazy{Opts: opts}} }

func (p *Plugin) Name() string                { return "ssh" }
func (p *Plugin) Subscriptions() []event.Kind { return []event.Kind{event.KindSSHHandshake} }

// Handle writes one record per SSHHandshake. The log file is created with
// the first record, as Zeek creates its logs lazily.
func (p *Plugin) Handle(batch []event.Event) error {
	for i := range batch {
		ev := &batch[i]
		if ev.Kind != event.KindSSHHandshake || ev.SSH == nil {
			continue
		}
		if _, err := p.Writer("ssh", ev.Time); err != nil {
			return err
		}
		if err := p.write(ev.SSH); err != nil {
			return err
		}
	}
	return nil
}

func (p *Plugin) write(s *event.SSH) error {
	w := p.W
	str := func(v string) {
		if v == "" {
			w.Unset()
		} else {
			w.String(v)
		}
	}
	w.Begin()
	w.Time(s.TS)
	w.String(s.UID)
	w.Addr(s.ID.OrigH)
	w.Port(s.ID.OrigP)
	w.Addr(s.ID.RespH)
	w.Port(s.ID.RespP)
	if s.HasVersion {
		w.Count(uint64(s.Version))
	} else {
		w.Unset()
	}
	switch s.AuthSuccess {
	case event.True:
		w.Bool(true)
	case event.False:
		w.Bool(false)
	default:
		w.Unset()
	}
	w.Count(s.AuthAttempts)
	if s.Direction != "" {
		w.Enum(s.Direction)
	} else {
		w.Unset()
	}
	str(s.Client)
	str(s.Server)
	str(s.CipherAlg)
	str(s.MACAlg)
	str(s.CompressionAlg)
	str(s.KexAlg)
	str(s.HostKeyAlg)
	str(s.HostKey)
	return w.End()
}

var _ bus.Plugin = (*Plugin)(nil)
