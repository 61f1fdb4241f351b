// Package protocol is the wire contract between weir's core and its
// plugins, in Go: the go-plugin handshake and versioned plugin set, the
// gRPC client the core drives a plugin with, and the encoder of event
// batches.
//
// Plugin authors do not need it: package sdk serves the protocol. The core's
// plugin host (plugins/host) uses it to launch and feed plugins. The
// contract itself is sdk/proto/weir/v1/*.proto plus the handshake below;
// a plugin in another language implements those.
//
// # Versions
//
// Version is go-plugin's protocol version. The core offers the versions it
// speaks (PLUGIN_PROTOCOL_VERSIONS); the plugin serves the newest one it
// shares, or, when it shares none, its oldest, which the core then refuses
// with an error naming both. Changes that protobuf absorbs (new fields, new
// event kinds a plugin does not subscribe to) keep the version; a change
// that an existing plugin would misread takes a new one, and the SDK then
// serves both for a while. Log rotation (Batch.rotate) is such an absorbed
// change: a plugin declares it in ConfigureResponse.rotates, and the core
// asks no other plugin to rotate, so a plugin built before it keeps
// working, its logs unrotated.
package protocol

import (
	"context"
	"errors"
	"fmt"

	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health/grpc_health_v1"

	"github.com/weirnet/weir/sdk/event"
	"github.com/weirnet/weir/sdk/internal/pb"
	"github.com/weirnet/weir/sdk/internal/wire"
)

// Version is the plugin protocol version this SDK speaks.
const Version = 1

// PluginName is the name under which a plugin process serves the service,
// in go-plugin's plugin set.
const PluginName = "weir"

// SDKVersion is reported by plugins built with this SDK, for display.
const SDKVersion = "0.1.0"

// Handshake is the go-plugin handshake of weir plugins. The magic cookie
// only tells a plugin binary that weir started it (run by hand, a plugin
// explains that and exits); it is not a security measure.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  Version,
	MagicCookieKey:   "WEIR_PLUGIN",
	MagicCookieValue: "6b1f1d8c0e5a4c2f9a7d3e8b5c4a1f0e-weir-event-bus",
}

// GRPCPlugin is the go-plugin plugin of the protocol, for both sides. On
// the core's side leave Register nil: Client is what dispensing returns. On
// the plugin's side Register registers the service (package sdk does).
type GRPCPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Register func(*grpc.Server)
}

// GRPCServer implements plugin.GRPCPlugin.
func (p *GRPCPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	if p.Register == nil {
		return errors.New("protocol: no service to serve")
	}
	p.Register(s)
	return nil
}

// GRPCClient implements plugin.GRPCPlugin.
func (p *GRPCPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return &Client{conn: c, c: pb.NewPluginClient(c)}, nil
}

// Transport tuning, the same on both sides. Batches are 50 to 200 KiB: the
// default 64 KiB flow-control windows and 32 KiB buffers would stall the
// stream and split every batch into many writes.
const (
	windowSize = 8 << 20
	bufferSize = 256 << 10
	// MaxMessageSize bounds one message a plugin accepts. The core seals
	// a batch long before (MaxBatchBytes).
	MaxMessageSize = 64 << 20
	// MaxBatchBytes is the encoded size at which the core seals a batch
	// whatever its number of events (large StreamData payloads).
	MaxBatchBytes = 1 << 20
)

// NewGRPCServer is the gRPC server constructor for plugin.ServeConfig: it
// installs the codec that passes event batches through undecoded (see
// internal/wire), which stays wire-compatible with the standard codec, and
// sizes the transport for batches.
func NewGRPCServer(opts []grpc.ServerOption) *grpc.Server {
	return grpc.NewServer(append(opts,
		grpc.ForceServerCodec(wire.Codec{}),
		grpc.InitialWindowSize(windowSize),
		grpc.InitialConnWindowSize(windowSize),
		grpc.WriteBufferSize(bufferSize),
		grpc.ReadBufferSize(bufferSize),
		grpc.MaxRecvMsgSize(MaxMessageSize),
	)...)
}

// DialOptions are the gRPC options of the core's side, for
// plugin.ClientConfig.GRPCDialOptions.
func DialOptions() []grpc.DialOption {
	return []grpc.DialOption{
		grpc.WithInitialWindowSize(windowSize),
		grpc.WithInitialConnWindowSize(windowSize),
		grpc.WithWriteBufferSize(bufferSize),
		grpc.WithReadBufferSize(bufferSize),
	}
}

// ConfigureRequest is the protocol's ConfigureRequest (see plugin.proto).
type ConfigureRequest struct {
	Instance  string
	Options   []byte // JSON object, or empty
	Logs      LogOptions
	Resume    bool
	AckEvery  uint32
	CheckOnly bool
}

// LogOptions says where and how a plugin writes its logs.
type LogOptions struct {
	Dir      string
	JSON     bool
	Compress string // "", "gzip" or "zstd"
	ISOTime  bool
}

// ConfigureResponse is the protocol's ConfigureResponse.
type ConfigureResponse struct {
	Name          string
	SDKVersion    string
	Kinds         []event.Kind
	DataPorts     []uint16
	DataProtocols []string
	ResumeSeq     uint64
	Logs          []string
	// Rotates says that the plugin rotates its logs when a batch asks
	// (Encoder.Rotate); false for a plugin built with an SDK from before
	// rotation, which ignores the request.
	Rotates bool
	// Rotations are the recent rotations the plugin's checkpoint holds
	// when resuming, whose Acks the core may have missed.
	Rotations []Rotation
}

// Rotation names the files the rotation requested by batch Seq closed.
type Rotation struct {
	Seq   uint64
	Paths []string
}

// Ack is an acknowledgement from the plugin: every batch up to Seq is
// durably applied.
type Ack struct {
	Seq uint64
	// Rotations are the rotations among the acknowledged batches.
	Rotations []Rotation
	// FileBytes is the record bytes in the plugin's largest current log
	// file and TotalBytes those it wrote in all, as of Seq; 0 when the
	// plugin does not say.
	FileBytes, TotalBytes int64
}

func rotationsFromPB(rs []*pb.Rotation) []Rotation {
	if len(rs) == 0 {
		return nil
	}
	out := make([]Rotation, len(rs))
	for i, r := range rs {
		out[i] = Rotation{Seq: r.GetSeq(), Paths: r.GetPaths()}
	}
	return out
}

// Client drives one plugin process. Its methods may be called from several
// goroutines, but the protocol's order (Configure, Open, Events, Close) is
// the caller's to keep.
type Client struct {
	conn *grpc.ClientConn
	c    pb.PluginClient
}

// Configure sends the plugin its configuration.
func (c *Client) Configure(ctx context.Context, r ConfigureRequest) (ConfigureResponse, error) {
	req := &pb.ConfigureRequest{
		Instance:  r.Instance,
		Options:   r.Options,
		Resume:    r.Resume,
		AckEvery:  r.AckEvery,
		CheckOnly: r.CheckOnly,
		Logs: &pb.LogOptions{
			Dir:      r.Logs.Dir,
			Compress: r.Logs.Compress,
			IsoTime:  r.Logs.ISOTime,
		},
	}
	if r.Logs.JSON {
		req.Logs.Format = pb.LogFormat_LOG_FORMAT_JSON
	}
	resp, err := c.c.Configure(ctx, req)
	if err != nil {
		return ConfigureResponse{}, err
	}
	out := ConfigureResponse{
		Name:          resp.Name,
		SDKVersion:    resp.SdkVersion,
		DataProtocols: resp.DataProtocols,
		ResumeSeq:     resp.ResumeSeq,
		Logs:          resp.Logs,
		Rotates:       resp.Rotates,
		Rotations:     rotationsFromPB(resp.Rotations),
	}
	for _, k := range resp.Kinds {
		if k <= 0 || k > 255 {
			return out, fmt.Errorf("protocol: plugin subscribes to invalid kind %d", k)
		}
		out.Kinds = append(out.Kinds, event.Kind(k))
	}
	for _, p := range resp.DataPorts {
		if p > 65535 {
			return out, fmt.Errorf("protocol: plugin subscribes to invalid port %d", p)
		}
		out.DataPorts = append(out.DataPorts, uint16(p))
	}
	return out, nil
}

// Open sends the network time of the first packet.
func (c *Client) Open(ctx context.Context, ts int64) error {
	_, err := c.c.Open(ctx, &pb.OpenRequest{Ts: ts})
	return err
}

// Close asks the plugin to close its logs at network time ts.
func (c *Client) Close(ctx context.Context, ts int64) error {
	_, err := c.c.Close(ctx, &pb.CloseRequest{Ts: ts})
	return err
}

// Health checks that the plugin's gRPC server answers (go-plugin's health
// service). It says nothing about whether the plugin makes progress: the
// acknowledgements say that.
func (c *Client) Health(ctx context.Context) error {
	_, err := grpc_health_v1.NewHealthClient(c.conn).Check(ctx, &grpc_health_v1.HealthCheckRequest{Service: plugin.GRPCServiceName})
	return err
}

// EventStream is the core's end of the Events stream. Send and CloseSend
// belong to one goroutine, Recv to one other.
type EventStream struct {
	s   pb.Plugin_EventsClient
	raw wire.Raw
	ack pb.Ack
}

// Events opens the Events stream; cancelling ctx tears it down.
func (c *Client) Events(ctx context.Context) (*EventStream, error) {
	s, err := c.c.Events(ctx, grpc.ForceCodec(wire.Codec{}))
	if err != nil {
		return nil, err
	}
	return &EventStream{s: s}, nil
}

// Send sends one encoded Batch message (from Encoder.Finish). gRPC keeps
// msg without copying it and may still be writing it after Send returns:
// do not modify msg before the plugin has acknowledged the batch.
func (s *EventStream) Send(msg []byte) error {
	s.raw.B = msg
	err := s.s.SendMsg(&s.raw)
	s.raw.B = nil
	return err
}

// Recv returns the next acknowledgement: every batch up to its sequence
// number is durably applied.
func (s *EventStream) Recv() (Ack, error) {
	s.ack.Reset()
	if err := s.s.RecvMsg(&s.ack); err != nil {
		return Ack{}, err
	}
	return Ack{
		Seq:        s.ack.Seq,
		Rotations:  rotationsFromPB(s.ack.Rotations),
		FileBytes:  s.ack.FileBytes,
		TotalBytes: s.ack.TotalBytes,
	}, nil
}

// CloseSend tells the plugin that no more batches follow.
func (s *EventStream) CloseSend() error { return s.s.CloseSend() }

// Encoder builds Batch messages from events without allocating. See
// Reset, Append and Finish.
type Encoder struct{ e wire.Encoder }

// Reset starts a new message, keeping the buffer.
func (e *Encoder) Reset() { e.e.Reset() }

// Append adds one event. The event is encoded at once; the caller may
// reuse it afterwards.
func (e *Encoder) Append(ev *event.Event) { e.e.Append(ev) }

// Len returns the number of events appended since Reset.
func (e *Encoder) Len() int { return e.e.Len() }

// Size returns the number of bytes appended since Reset.
func (e *Encoder) Size() int { return e.e.Size() }

// Rotate asks the plugin to rotate its logs at network time ts once it has
// applied the message's events; it makes the message a sync message. Only
// for a plugin whose ConfigureResponse.Rotates is set.
func (e *Encoder) Rotate(ts int64) { e.e.Rotate(ts) }

// Finish completes the message and returns it; it is valid until the next
// Reset.
func (e *Encoder) Finish(seq uint64, sync bool) []byte { return e.e.Finish(seq, sync) }

var _ plugin.GRPCPlugin = (*GRPCPlugin)(nil)
