// Command oldproto is a plugin built for plugin protocol version 0, as a
// plugin from an older weir SDK would be: the host must refuse it with a
// clear message.
package main

import (
	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/weirnet/weir/sdk/protocol"
)

func main() {
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
