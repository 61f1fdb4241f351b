package sdk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sync"

	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/weirnet/weir/logs"
	"github.com/weirnet/weir/sdk/event"
	"github.com/weirnet/weir/sdk/internal/pb"
	"github.com/weirnet/weir/sdk/internal/wire"
	"github.com/weirnet/weir/sdk/protocol"
)

// Serve runs the plugin named name with handler h: call it from main. It
// speaks the plugin protocol with the weir core that started the process
// and returns when the core is done with it. Run by hand, the binary says
// that it is a weir plugin and exits with status 1.
//
// Unless the environment sets GOGC, Serve sets the garbage collector's
// target to 400%: a plugin's live heap is small (the batches in flight and
// its own state) while it allocates the events of every batch, and at
// Go's default of 100% collection costs a plugin about as much as decoding.
func Serve(name string, h Handler, opts ...Option) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	s := newServer(name, h, opts...)
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: protocol.Handshake,
		VersionedPlugins: map[int]plugin.PluginSet{
			protocol.Version: {protocol.PluginName: &protocol.GRPCPlugin{Register: s.register}},
		},
		GRPCServer: protocol.NewGRPCServer,
		Logger:     s.logger,
	})
}

// defaultAckEvery applies when the core does not say.
const defaultAckEvery = 16

// server implements the protocol's service for one handler. Its methods
// are serialized: the core calls them in order, and the lock makes a
// misbehaving core harmless.
type server struct {
	pb.UnimplementedPluginServer

	name   string
	h      Handler
	set    settings
	logger hclog.Logger

	mu        sync.Mutex
	ctx       *Context // nil until Configure
	checkOnly bool
	opened    bool
	ackEvery  int
	applied   uint64 // last batch applied
	acked     uint64 // last batch checkpointed
	closed    bool
}

func newServer(name string, h Handler, opts ...Option) *server {
	s := &server{name: name, h: h}
	for _, o := range opts {
		o(&s.set)
	}
	s.logger = s.set.logger
	if s.logger == nil {
		s.logger = hclog.New(&hclog.LoggerOptions{
			Name:       name,
			Level:      hclog.Info,
			Output:     os.Stderr,
			JSONFormat: true, // go-plugin shows these lines in the core's log
		})
	}
	return s
}

func (s *server) register(g *grpc.Server) { pb.RegisterPluginServer(g, s) }

// Configure implements the protocol.
func (s *server) Configure(_ context.Context, req *pb.ConfigureRequest) (*pb.ConfigureResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx != nil {
		return nil, status.Error(codes.FailedPrecondition, "sdk: configured twice")
	}
	lo := req.GetLogs()
	opts := logs.Options{
		Dir:      lo.GetDir(),
		Compress: logs.Compression(lo.GetCompress()),
		ISOTime:  lo.GetIsoTime(),
	}
	if lo.GetFormat() == pb.LogFormat_LOG_FORMAT_JSON {
		opts.Format = logs.JSON
	}
	instance := req.GetInstance()
	if instance == "" {
		instance = s.name
	}
	set := s.set
	set.kinds = append([]event.Kind(nil), s.set.kinds...)
	set.ports = append([]uint16(nil), s.set.ports...)
	set.protocols = append([]string(nil), s.set.protocols...)
	c := &Context{
		instance: instance,
		options:  req.GetOptions(),
		settings: &set,
		logger:   s.logger,
		logs:     newLogSet(instance, opts, s.logger),
	}
	checkOnly := req.GetCheckOnly()
	// The log files come first: after a crash, the options Init hands
	// to writers point into the staging directory.
	var ck checkpoint
	if !checkOnly {
		var err error
		if req.GetResume() {
			ck, err = c.logs.resume(instance)
		} else {
			err = c.logs.fresh()
		}
		if err != nil {
			return nil, status.Error(codes.Internal, err.Error())
		}
	}
	if in, ok := s.h.(Initializer); ok {
		c.inInit = true
		err := in.Init(c)
		c.inInit = false
		if err != nil {
			return nil, status.Error(codes.InvalidArgument, err.Error())
		}
	}
	set.normalize()
	for _, k := range set.kinds {
		if k == 0 || k > event.MaxKind {
			return nil, status.Errorf(codes.InvalidArgument, "%s: subscribes to unknown event kind %d", s.name, k)
		}
		// The core copies raw payload only for the connections asked
		// for: all of them would cost every byte of the traffic.
		if (k == event.KindStreamData || k == event.KindDatagram) && len(set.ports) == 0 && len(set.protocols) == 0 {
			return nil, status.Errorf(codes.InvalidArgument, "%s: subscribes to %v without ports or protocols (sdk.StreamPorts, sdk.StreamProtocols)", s.name, k)
		}
	}
	resp := &pb.ConfigureResponse{
		Name:          s.name,
		SdkVersion:    protocol.SDKVersion,
		DataProtocols: set.protocols,
		Logs:          set.logs,
		ResumeSeq:     ck.Seq,
	}
	for _, k := range set.kinds {
		resp.Kinds = append(resp.Kinds, pb.Kind(k))
	}
	for _, p := range set.ports {
		resp.DataPorts = append(resp.DataPorts, uint32(p))
	}
	if sn, ok := s.h.(Snapshotter); ok && ck.State != nil {
		if err := sn.Restore(ck.State); err != nil {
			return nil, status.Errorf(codes.Internal, "%s: restoring state: %v", s.name, err)
		}
	}
	s.ctx = c
	s.checkOnly = checkOnly
	s.ackEvery = int(req.GetAckEvery())
	if s.ackEvery <= 0 {
		s.ackEvery = defaultAckEvery
	}
	s.applied, s.acked = ck.Seq, ck.Seq
	if ck.Seq > 0 {
		s.logger.Info("resuming after a restart", "checkpoint", ck.Seq)
	}
	return resp, nil
}

// ready checks that the plugin was configured for work; s.mu is held.
func (s *server) ready() error {
	switch {
	case s.ctx == nil:
		return status.Error(codes.FailedPrecondition, "sdk: not configured")
	case s.checkOnly:
		return status.Error(codes.FailedPrecondition, "sdk: configured for a check only")
	case s.closed:
		return status.Error(codes.FailedPrecondition, "sdk: closed")
	}
	return nil
}

// Open implements the protocol.
func (s *server) Open(_ context.Context, req *pb.OpenRequest) (*pb.OpenResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ready(); err != nil {
		return nil, err
	}
	s.ctx.openTS = req.GetTs()
	s.opened = true
	if op, ok := s.h.(Opener); ok {
		if err := op.Open(s.ctx, req.GetTs()); err != nil {
			return nil, status.Errorf(codes.Internal, "%s: open: %v", s.name, err)
		}
	}
	return &pb.OpenResponse{}, nil
}

// Events implements the protocol: batches in, acknowledgements out.
func (s *server) Events(stream pb.Plugin_EventsServer) error {
	var ack pb.Ack
	for {
		var raw wire.Raw
		if err := stream.RecvMsg(&raw); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		seq, send, err := s.apply(raw.B)
		if err != nil {
			return err
		}
		if send {
			ack.Seq = seq
			if err := stream.Send(&ack); err != nil {
				return err
			}
		}
	}
}

// apply handles one encoded batch and says whether to acknowledge, and
// what. A batch at or below the last applied one is a resend the plugin
// already has (the core resends from its last acknowledgement, the
// checkpoint may be later): it is skipped, which makes delivery idempotent
// per batch.
func (s *server) apply(msg []byte) (ack uint64, send bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ready(); err != nil {
		return 0, false, err
	}
	b, err := wire.Decode(msg)
	if err != nil {
		return 0, false, status.Error(codes.InvalidArgument, err.Error())
	}
	switch {
	case b.Seq == 0:
		return 0, false, status.Error(codes.InvalidArgument, "sdk: batch without a sequence number")
	case b.Seq <= s.applied:
		return s.acked, b.Sync && s.acked > 0, nil
	case b.Seq != s.applied+1:
		return 0, false, status.Errorf(codes.InvalidArgument, "sdk: batch %d after batch %d", b.Seq, s.applied)
	}
	if len(b.Events) > 0 {
		if err := s.h.Handle(s.ctx, b.Events); err != nil {
			return 0, false, status.Errorf(codes.Internal, "%s: batch %d: %v", s.name, b.Seq, err)
		}
	}
	s.applied = b.Seq
	if !b.Sync && int(s.applied-s.acked) < s.ackEvery {
		return 0, false, nil
	}
	if err := s.checkpoint(); err != nil {
		return 0, false, status.Error(codes.Internal, err.Error())
	}
	return s.acked, true, nil
}

// checkpoint saves the state after s.applied; s.mu is held.
func (s *server) checkpoint() error {
	var state []byte
	if sn, ok := s.h.(Snapshotter); ok {
		var err error
		if state, err = sn.Snapshot(); err != nil {
			return fmt.Errorf("%s: snapshot: %w", s.name, err)
		}
		if state == nil {
			state = []byte{}
		}
	}
	if err := s.ctx.logs.checkpoint(s.ctx.instance, s.applied, state); err != nil {
		return err
	}
	s.acked = s.applied
	return nil
}

// Close implements the protocol.
func (s *server) Close(_ context.Context, req *pb.CloseRequest) (*pb.CloseResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ready(); err != nil {
		return nil, err
	}
	s.closed = true
	var errs []error
	if cl, ok := s.h.(Closer); ok {
		if err := cl.Close(s.ctx, req.GetTs()); err != nil {
			errs = append(errs, fmt.Errorf("%s: close: %w", s.name, err))
		}
	}
	if err := s.ctx.logs.close(req.GetTs()); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &pb.CloseResponse{}, nil
}
