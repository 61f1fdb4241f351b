package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/weirnet/weir/core/bus"
	"github.com/weirnet/weir/core/event"
	"github.com/weirnet/weir/internal/config"
	"github.com/weirnet/weir/logs"
	"github.com/weirnet/weir/plugins/connlog"
	"github.com/weirnet/weir/plugins/dnslog"
	"github.com/weirnet/weir/plugins/host"
	"github.com/weirnet/weir/plugins/httplog"
	"github.com/weirnet/weir/plugins/sshlog"
	"github.com/weirnet/weir/plugins/ssllog"
	"github.com/weirnet/weir/plugins/weirdlog"
	"github.com/weirnet/weir/sdk"
)

// builtins are the log writers every run has, by name. Each is a
// bus.Plugin: in-process by default, or served out-of-process by this
// binary started as `analyzer plugin-serve NAME` when a [[plugin]] table
// names it with builtin = "NAME".
var builtins = map[string]func(o logs.Options) bus.Plugin{
	"conn":  func(o logs.Options) bus.Plugin { return connlog.New(o) },
	"dns":   func(o logs.Options) bus.Plugin { return dnslog.New(o) },
	"http":  func(o logs.Options) bus.Plugin { return httplog.New(o) },
	"ssh":   func(o logs.Options) bus.Plugin { return sshlog.New(o) },
	"ssl":   func(o logs.Options) bus.Plugin { return ssllog.New(o, ssllog.Config{}) },
	"weird": func(o logs.Options) bus.Plugin { return weirdlog.New(o) },
}

func builtinNames() []string {
	var names []string
	for n := range builtins {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// builtinPlugins returns the in-process log plugins, except those the
// configuration runs out-of-process.
func builtinPlugins(o logs.Options, outOfProcess map[string]bool) []bus.Plugin {
	var ps []bus.Plugin
	for _, n := range builtinNames() {
		if !outOfProcess[n] {
			ps = append(ps, builtins[n](o))
		}
	}
	return ps
}

// servePlugin is `analyzer plugin-serve NAME`: this binary as the plugin
// process of a built-in log plugin.
func servePlugin(name string, stderr io.Writer) int {
	mk, ok := builtins[name]
	if !ok {
		fmt.Fprintf(stderr, "analyzer plugin-serve: no built-in plugin %q (have %s)\n", name, strings.Join(builtinNames(), ", "))
		return 2
	}
	host.ServeBus(name, func(ctx *sdk.Context) (bus.Plugin, error) { return mk(ctx.LogOptions()), nil })
	return 0
}

// listPlugins is `analyzer plugins [-c weir.toml]`: what runs and what each
// subscribes to.
func listPlugins(args []string, stdout, stderr io.Writer) int {
	cfg := config.Default()
	if len(args) == 2 && args[0] == "-c" {
		var err error
		if cfg, err = config.Load(args[1]); err != nil {
			fmt.Fprintf(stderr, "analyzer: %v\n", err)
			return 1
		}
	} else if len(args) != 0 {
		fmt.Fprintln(stderr, "usage: analyzer plugins [-c weir.toml]")
		return 2
	}
	lo := logs.Options{Dir: cfg.Output.Dir}
	out := map[string]bool{}
	for _, t := range cfg.Plugins {
		if t.Builtin != "" {
			out[t.Builtin] = true
		}
	}
	fmt.Fprintln(stdout, "in-process:")
	for _, p := range builtinPlugins(lo, out) {
		fmt.Fprintf(stdout, "  %-8s subscribes to %s\n", p.Name(), kinds(p.Subscriptions()))
	}
	if len(cfg.Plugins) == 0 {
		return 0
	}
	fmt.Fprintln(stdout, "out-of-process:")
	code := 0
	for i := range cfg.Plugins {
		t := &cfg.Plugins[i]
		hc, err := t.Config(lo, false)
		if err == nil {
			var info host.Info
			if info, err = host.Describe(hc); err == nil {
				fmt.Fprintf(stdout, "  %-8s %s: subscribes to %s", t.Name, hc.Path, kinds(info.Kinds))
				if len(info.DataPorts) > 0 || len(info.DataProtocols) > 0 {
					fmt.Fprintf(stdout, "; raw data for ports %v protocols %v", info.DataPorts, info.DataProtocols)
				}
				if len(info.Logs) > 0 {
					fmt.Fprintf(stdout, "; writes %s", strings.Join(info.Logs, ", "))
				}
				fmt.Fprintln(stdout)
				continue
			}
		}
		fmt.Fprintf(stdout, "  %-8s unusable: %v\n", t.Name, err)
		code = 1
	}
	return code
}

func kinds(ks []event.Kind) string {
	var s []string
	for _, k := range ks {
		s = append(s, k.String())
	}
	return strings.Join(s, ", ")
}

var _ = os.Stdout
