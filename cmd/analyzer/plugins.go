package main

import (
	"github.com/weirnet/weir/core/bus"
	"github.com/weirnet/weir/logs"
	"github.com/weirnet/weir/plugins/connlog"
	"github.com/weirnet/weir/plugins/dnslog"
	"github.com/weirnet/weir/plugins/httplog"
	"github.com/weirnet/weir/plugins/sshlog"
	"github.com/weirnet/weir/plugins/ssllog"
	"github.com/weirnet/weir/plugins/weirdlog"
)

// builtinPlugins are the log writers every run has. Each is a bus.Plugin;
// they run in-process here and can also be served out-of-process.
func builtinPlugins(o logs.Options) []bus.Plugin {
	return []bus.Plugin{
		connlog.New(o),
		dnslog.New(o),
		httplog.New(o),
		sshlog.New(o),
		ssllog.New(o, ssllog.Config{}),
		weirdlog.New(o),
	}
}
