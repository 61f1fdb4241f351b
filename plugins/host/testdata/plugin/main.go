// Command plugin is the host's test plugin, one binary for every role so
// that the tests link once:
//
//	plugin conn|weird|dns|http|ssh|ssl
//	                    the built-in log plugins served out of
//	                    process, as `analyzer plugin-serve NAME` does, with
//	                    faults a test injects through the plugin's options
//	plugin sink         receives ConnEnd events and checks their order: what
//	                    delivery costs without a log (WEIR_SINK_CPUPROFILE
//	                    set: a CPU profile is written there)
//	plugin oldproto     a plugin built for protocol version 0, as one from an
//	                    older SDK would be: the host must refuse it
//	plugin conn-norotate
//	                    the conn log plugin declaring no rotation, as one
//	                    built with an SDK from before rotation does
package main

import (
	"fmt"
	"os"
	"reflect"
	"runtime/pprof"
	"time"

	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/weirnet/weir/core/bus"
	"github.com/weirnet/weir/core/event"
	"github.com/weirnet/weir/logs"
	"github.com/weirnet/weir/plugins/connlog"
	"github.com/weirnet/weir/plugins/dnslog"
	"github.com/weirnet/weir/plugins/host"
	"github.com/weirnet/weir/plugins/httplog"
	"github.com/weirnet/weir/plugins/sshlog"
	"github.com/weirnet/weir/plugins/ssllog"
	"github.com/weirnet/weir/plugins/weirdlog"
	"github.com/weirnet/weir/sdk"
	sdkevent "github.com/weirnet/weir/sdk/event"
	"github.com/weirnet/weir/sdk/protocol"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: plugin conn|weird|dns|http|ssh|ssl|sink|oldproto")
		os.Exit(2)
	}
	switch name := os.Args[1]; name {
	case "sink":
		sink()
	case "oldproto":
		oldProto()
	case "conn-norotate":
		builtin("conn", sdk.WithoutRotation())
	default:
		builtin(name)
	}
}

func oldProto() {
	hs := protocol.Handshake
	hs.ProtocolVersion = 0
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: hs,
		VersionedPlugins: map[int]plugin.PluginSet{
			0: {protocol.PluginName: &protocol.GRPCPlugin{Register: func(*grpc.Server) {}}},
		},
		GRPCServer: plugin.DefaultGRPCServer,
	})
}

func sink() {
	if path := os.Getenv("WEIR_SINK_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err == nil && pprof.StartCPUProfile(f) == nil {
			defer pprof.StopCPUProfile()
		}
	}
	var last uint64
	sdk.Serve("sink", sdk.HandlerFunc(func(ctx *sdk.Context, batch []sdkevent.Event) error {
		for i := range batch {
			if batch[i].Seq != last+1 || batch[i].Conn == nil {
				return fmt.Errorf("event %d after %d", batch[i].Seq, last)
			}
			last = batch[i].Seq
		}
		return nil
	}), sdk.Subscribe(sdkevent.KindConnEnd))
}

// faults are the test's options.
type faults struct {
	// FailAt: fail in the batch holding the event whose Seq is FailAt
	// (the tests number their events), as FailMode says: "panic",
	// "hang" or "exit".
	FailAt   int64  `json:"fail_at"`
	FailMode string `json:"fail_mode"`
	// FailOnce: fail only in the first process that finds no file at
	// this path (it creates the file); empty: fail in every process.
	FailOnce string `json:"fail_once"`
	// SlowBatch: sleep this long in every batch.
	SlowBatch string `json:"slow_batch"`
	// StallUntil: from the batch holding event StallAt (or a later one)
	// on, wait until a file exists at this path (the test's gate) before
	// handling a batch: a plugin held back, as by a stalled sink.
	StallUntil string `json:"stall_until"`
	StallAt    int64  `json:"stall_at"`
}

func builtin(name string, opts ...sdk.Option) {
	host.ServeBus(name, func(ctx *sdk.Context) (bus.Plugin, error) {
		f := faults{FailAt: -1}
		if err := ctx.DecodeOptions(&f); err != nil {
			return nil, err
		}
		var p bus.Plugin
		switch name {
		case "conn":
			p = connlog.New(ctx.LogOptions())
		case "weird":
			p = weirdlog.New(ctx.LogOptions())
		case "dns":
			p = dnslog.New(ctx.LogOptions())
		case "http":
			p = httplog.New(ctx.LogOptions())
		case "ssh":
			p = sshlog.New(ctx.LogOptions())
		case "ssl":
			p = ssllog.New(ctx.LogOptions(), ssllog.Config{ServerSubjectIssuer: true, ClientSubjectIssuer: true})
		default:
			return nil, fmt.Errorf("no built-in plugin %q", name)
		}
		var slow time.Duration
		if f.SlowBatch != "" {
			var err error
			if slow, err = time.ParseDuration(f.SlowBatch); err != nil {
				return nil, err
			}
		}
		return &faulty{Plugin: p, f: f, slow: slow}, nil
	}, opts...)
}

// faulty wraps a built-in plugin with the injected faults, and gives it
// the LogWriters method (host.LogWriterer) if the plugin lacks it.
type faulty struct {
	bus.Plugin
	f        faults
	slow     time.Duration
	released bool // the stall's gate was open
}

func (p *faulty) Handle(batch []event.Event) error {
	if p.f.FailAt >= 0 && p.failNow(batch) {
		switch p.f.FailMode {
		case "hang":
			select {}
		case "exit":
			os.Exit(3)
		default:
			panic(fmt.Sprintf("injected panic at event %d", p.f.FailAt))
		}
	}
	if p.slow > 0 {
		time.Sleep(p.slow)
	}
	if p.f.StallUntil != "" && !p.released && len(batch) > 0 && int64(batch[len(batch)-1].Seq) >= p.f.StallAt {
		for {
			if _, err := os.Stat(p.f.StallUntil); err == nil {
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
		p.released = true
	}
	return p.Plugin.Handle(batch)
}

func (p *faulty) failNow(batch []event.Event) bool {
	hit := false
	for i := range batch {
		hit = hit || batch[i].Seq == uint64(p.f.FailAt)
	}
	if !hit || p.f.FailOnce == "" {
		return hit
	}
	if _, err := os.Stat(p.f.FailOnce); err == nil {
		return false
	}
	return os.WriteFile(p.f.FailOnce, nil, 0o644) == nil
}

func (p *faulty) LogWriters() []*logs.Writer {
	if lw, ok := p.Plugin.(host.LogWriterer); ok {
		return lw.LogWriters()
	}
	// Until the built-in plugins have the method: their writer is the
	// field W of the embedded logplugin.Lazy.
	v := reflect.ValueOf(p.Plugin).Elem().FieldByName("W")
	if !v.IsValid() || v.IsNil() {
		return nil
	}
	return []*logs.Writer{v.Interface().(*logs.Writer)}
}
