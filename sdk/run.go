package sdk

import (
	"context"

	"github.com/weirnet/weir/logs"
	"github.com/weirnet/weir/sdk/event"
	"github.com/weirnet/weir/sdk/internal/pb"
	"github.com/weirnet/weir/sdk/internal/wire"
)

// RunConfig configures Run.
type RunConfig struct {
	Instance string       // default: the plugin's name
	Options  []byte       // the plugin's options, a JSON object
	Logs     logs.Options // where and how to write the logs
	OpenTS   int64        // network time of the first packet
	CloseTS  int64        // network time of the end of the run
	// Rotations asks for the logs to be rotated after some batches: the
	// index of a batch → the network time of the rotation.
	Rotations map[int]int64
}

// Run drives handler h in this process as the core drives a plugin
// process: it configures the plugin, opens it, passes every batch through
// the wire encoding and the SDK's batch handling (checkpoints included),
// rotating the logs where cfg.Rotations says, and closes it. It is meant
// for a plugin's own tests, which then need no core and no process; opts
// are those the plugin passes to Serve.
func Run(name string, h Handler, cfg RunConfig, batches [][]event.Event, opts ...Option) error {
	s := newServer(name, h, opts...)
	ctx := context.Background()
	req := &pb.ConfigureRequest{
		Instance: cfg.Instance,
		Options:  cfg.Options,
		Logs: &pb.LogOptions{
			Dir:      cfg.Logs.Dir,
			Compress: string(cfg.Logs.Compress),
			IsoTime:  cfg.Logs.ISOTime,
		},
	}
	if cfg.Logs.Format == logs.JSON {
		req.Logs.Format = pb.LogFormat_LOG_FORMAT_JSON
	}
	if _, err := s.Configure(ctx, req); err != nil {
		return err
	}
	if _, err := s.Open(ctx, &pb.OpenRequest{Ts: cfg.OpenTS}); err != nil {
		return err
	}
	var msg []byte
	var ack pb.Ack
	for i, b := range batches {
		ts, rotate := cfg.Rotations[i]
		msg = wire.AppendBatch(msg[:0], uint64(i+1), i == len(batches)-1 || rotate, b)
		if rotate {
			msg = wire.AppendRotate(msg, ts)
		}
		// Decode keeps pointers into the message: each batch gets its
		// own, as over the wire.
		if _, err := s.apply(append([]byte(nil), msg...), &ack); err != nil {
			return err
		}
	}
	_, err := s.Close(ctx, &pb.CloseRequest{Ts: cfg.CloseTS})
	return err
}
