// Package ssllog is the SSL log plugin: it turns TLSHandshake events into
// ssl.log records with Zeek's default fields and order (from
// logs/schema/ssl.json), plus weir's ja3, ja3s and ja4 columns.
//
// Zeek leaves the certificates' subject and issuer out of ssl.log unless
// SSL::log_include_server_certificate_subject_issuer (or its client
// counterpart) is set; Config has the same two switches, and one to drop
// the fingerprint columns for a log byte-compatible with Zeek's header.
//
// It runs in-process behind the bus.Plugin interface; the out-of-process
// plugin host drives the same code in its own process.
package ssllog

import (
	"slices"

	"github.com/weirnet/weir/core/bus"
	"github.com/weirnet/weir/core/event"
	"github.com/weirnet/weir/logs"
	"github.com/weirnet/weir/logs/schema"
	"github.com/weirnet/weir/plugins/logplugin"
)

// Config selects the optional columns.
type Config struct {
	// ServerSubjectIssuer writes subject and issuer (Zeek's
	// SSL::log_include_server_certificate_subject_issuer).
	ServerSubjectIssuer bool `toml:"server_subject_issuer"`
	// ClientSubjectIssuer writes client_subject and client_issuer (Zeek's
	// SSL::log_include_client_certificate_subject_issuer).
	ClientSubjectIssuer bool `toml:"client_subject_issuer"`
	// NoFingerprints leaves out the ja3, ja3s and ja4 columns.
	NoFingerprints bool `toml:"no_fingerprints"`
}

// Plugin writes ssl.log.
type Plugin struct {
	logplugin.Lazy
	cfg Config
}

// New returns an SSL log plugin writing with opts.
func New(opts logs.Options, cfg Config) *Plugin {
	return &Plugin{Lazy: logplugin.Lazy{Opts: opts}, cfg: cfg}
}

func (p *Plugin) Name() string                { return "ssl" }
func (p *Plugin) Subscriptions() []event.Kind { return []event.Kind{event.KindTLSHandshake} }

// Schema returns the log's schema with the configured columns.
func (p *Plugin) Schema() (*schema.Log, error) {
	l, err := schema.Get("ssl")
	if err != nil {
		return nil, err
	}
	drop := map[string]bool{
		"subject": !p.cfg.ServerSubjectIssuer, "issuer": !p.cfg.ServerSubjectIssuer,
		"client_subject": !p.cfg.ClientSubjectIssuer, "client_issuer": !p.cfg.ClientSubjectIssuer,
		"ja3": p.cfg.NoFingerprints, "ja3s": p.cfg.NoFingerprints, "ja4": p.cfg.NoFingerprints,
	}
	l.Fields = slices.DeleteFunc(l.Fields, func(f schema.Field) bool { return drop[f.Name] })
	return l, nil
}

// Handle writes one record per event. The log file is created with the
// first record, as Zeek creates its logs lazily.
func (p *Plugin) Handle(batch []event.Event) error {
	for i := range batch {
		ev := &batch[i]
		if ev.Kind != event.KindTLSHandshake || ev.TLS == nil {
			continue
		}
		if p.W == nil {
			l, err := p.Schema()
			if err != nil {
				return err
			}
			if _, err := p.WriterFor(l, ev.Time); err != nil {
				return err
			}
		}
		if err := p.write(ev.TLS); err != nil {
			return err
		}
	}
	return nil
}

func (p *Plugin) write(r *event.TLS) error {
	w := p.W
	w.Begin()
	w.Time(r.TS)
	w.String(r.UID)
	w.Addr(r.ID.OrigH)
	w.Port(r.ID.OrigP)
	w.Addr(r.ID.RespH)
	w.Port(r.ID.RespP)
	optString(w, r.Version, r.Version != "")
	optString(w, r.Cipher, r.Cipher != "")
	optString(w, r.Curve, r.Curve != "")
	optString(w, r.ServerName, r.HasServerName)
	w.Bool(r.Resumed)
	optString(w, r.LastAlert, r.LastAlert != "")
	optString(w, r.NextProtocol, r.HasNextProtocol)
	w.Bool(r.Established)
	w.String(r.History)
	optVector(w, r.CertChainFPs)
	optVector(w, r.ClientCertChainFPs)
	if p.cfg.ServerSubjectIssuer {
		optString(w, r.Subject, r.HasSubject)
		optString(w, r.Issuer, r.HasSubject)
	}
	if p.cfg.ClientSubjectIssuer {
		optString(w, r.ClientSubject, r.HasClientSubject)
		optString(w, r.ClientIssuer, r.HasClientSubject)
	}
	switch r.SNIMatchesCert {
	case event.True:
		w.Bool(true)
	case event.False:
		w.Bool(false)
	default:
		w.Unset()
	}
	if !p.cfg.NoFingerprints {
		optString(w, r.JA3, r.JA3 != "")
		optString(w, r.JA3S, r.JA3S != "")
		optString(w, r.JA4, r.JA4 != "")
	}
	return w.End()
}

func optString(w *logs.Writer, s string, set bool) {
	if set {
		w.String(s)
	} else {
		w.Unset()
	}
}

func optVector(w *logs.Writer, v []string) {
	if v == nil {
		w.Unset()
	} else {
		w.StringSet(v)
	}
}

var _ bus.Plugin = (*Plugin)(nil)
