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
	// rotations are the latest rotations, oldest first, kept (and
	// checkpointed) while the core may still be waiting for their Ack:
	// see keepRotations.
	rotations []rotation
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
		Rotates:       !set.noRotate,
	}
	for _, r := range ck.Rotations {
		resp.Rotations = append(resp.Rotations, &pb.Rotation{Seq: r.Seq, Paths: r.Paths})
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
	s.rotations = ck.Rotations
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
		send, err := s.apply(raw.B, &ack)
		if err != nil {
			return err
		}
		if send {
			if err := stream.Send(&ack); err != nil {
				return err
			}
		}
	}
}

// apply handles one encoded batch and says whether to acknowledge, filling
// ack. A batch at or below the last applied one is a resend the plugin
// already has (the core resends from its last acknowledgement, the
// checkpoint may be later): it is skipped, which makes delivery idempotent
// per batch; a resent rotation is not done again, but the files it closed
// are named again in the Ack.
//
// A batch that asks for a rotation is applied, checkpointed with the
// rotation about to start, rotated and checkpointed again. A crash before
// the first of these checkpoints resumes from before the batch, which the
// core sends again, rotation and all; a crash after it resumes from the
// batch, and the new process completes the rotation and reports its files
// (ConfigureResponse.rotations).
func (s *server) apply(msg []byte, ack *pb.Ack) (send bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ready(); err != nil {
		return false, err
	}
	b, err := wire.Decode(msg)
	if err != nil {
		return false, status.Error(codes.InvalidArgument, err.Error())
	}
	sync := b.Sync || b.Rotate
	switch {
	case b.Seq == 0:
		return false, status.Error(codes.InvalidArgument, "sdk: batch without a sequence number")
	case b.Seq <= s.applied:
		if !sync || s.acked == 0 {
			return false, nil
		}
		s.fillAck(ack, b.Seq, s.acked)
		return true, nil
	case b.Seq != s.applied+1:
		return false, status.Errorf(codes.InvalidArgument, "sdk: batch %d after batch %d", b.Seq, s.applied)
	}
	if len(b.Events) > 0 {
		if err := s.h.Handle(s.ctx, b.Events); err != nil {
			return false, status.Errorf(codes.Internal, "%s: batch %d: %v", s.name, b.Seq, err)
		}
	}
	from := s.acked + 1
	s.applied = b.Seq
	if b.Rotate && !s.set.noRotate {
		if err := s.rotate(b.Seq, b.RotateTS); err != nil {
			return false, status.Error(codes.Internal, err.Error())
		}
	}
	if !sync && int(s.applied-s.acked) < s.ackEvery {
		return false, nil
	}
	if err := s.checkpoint(nil); err != nil {
		return false, status.Error(codes.Internal, err.Error())
	}
	s.fillAck(ack, from, s.acked)
	return true, nil
}

// rotate has the handler finish what belongs in the closing files
// (Rotator) and rotates the logs at network time ts, for batch seq; s.mu
// is held.
func (s *server) rotate(seq uint64, ts int64) error {
	if r, ok := s.h.(Rotator); ok {
		if err := r.Rotate(s.ctx, ts); err != nil {
			return fmt.Errorf("%s: rotate: %w", s.name, err)
		}
	}
	// The checkpoint first, recording the rotation about to start: a
	// process replacing this one completes it (see logSet.finishRotation).
	if err := s.checkpoint(&rotating{Seq: seq, TS: ts}); err != nil {
		return err
	}
	paths, err := s.ctx.logs.rotate(ts, s.ctx.openTS)
	s.rotations = append(s.rotations, rotation{Seq: seq, Paths: paths})
	if err != nil {
		return fmt.Errorf("%s: rotating the logs of batch %d: %w", s.name, seq, err)
	}
	if len(paths) > 0 {
		s.logger.Debug("rotated", "batch", seq, "files", paths)
	}
	return nil
}

// maxRotations bounds the rotations a checkpoint keeps.
const maxRotations = 16

// keepRotations forgets rotations whose Ack the core cannot be waiting
// for any more; s.mu is held. The core sends at most a window of batches,
// about twice ackEvery, beyond the last Ack it received: a rotation more
// than two windows back was named in an Ack the core has seen.
func (s *server) keepRotations() {
	keep := s.rotations
	for len(keep) > 0 && (len(keep) > maxRotations || keep[0].Seq+4*uint64(s.ackEvery) < s.applied) {
		keep = keep[1:]
	}
	s.rotations = keep
}

// fillAck makes ack acknowledge every batch up to seq, naming the
// rotations of batches from..seq; s.mu is held.
func (s *server) fillAck(ack *pb.Ack, from, seq uint64) {
	ack.Seq = seq
	for i := range ack.Rotations {
		ack.Rotations[i] = nil
	}
	ack.Rotations = ack.Rotations[:0]
	for _, r := range s.rotations {
		if r.Seq >= from && r.Seq <= seq {
			ack.Rotations = append(ack.Rotations, &pb.Rotation{Seq: r.Seq, Paths: r.Paths})
		}
	}
	ack.FileBytes, ack.TotalBytes = s.ctx.logs.sizes()
}

// checkpoint saves the state after s.applied, and the rotation about to
// start if pending is set; s.mu is held.
func (s *server) checkpoint(pending *rotating) error {
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
	s.keepRotations()
	if err := s.ctx.logs.checkpoint(s.ctx.instance, s.applied, state, s.rotations, pending); err != nil {
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
