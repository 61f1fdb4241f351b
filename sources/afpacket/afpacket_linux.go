package afpacket

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/weirnet/weir/sources"
	sbpf "github.com/weirnet/weir/sources/bpf"
	"github.com/weirnet/weir/sources/live"
)

// Layout of the ring, from linux/if_packet.h.
const (
	blockStatusOff  = 8  // tpacket_block_desc.hdr.bh1.block_status
	blockNumPktsOff = 12 // .num_pkts
	blockFirstOff   = 16 // .offset_to_first_pkt
	hdrLen          = unix.SizeofTpacket3Hdr
	sllOff          = hdrLen // struct sockaddr_ll follows the aligned header
	sllPkttypeOff   = sllOff + 10
	// What a block holds besides a frame's own bytes, at most: the block
	// descriptor (48) and, in front of the frame, the frame header,
	// sockaddr_ll, alignment and our PACKET_RESERVE (100 for raw IP,
	// where the frame starts at the network header), rounded up.
	frameOverhead = 160
	vlanLen       = 4
)

// Source reads one interface. Next, NextWait and Close may be called from
// different goroutines, but Next and NextWait not concurrently with each
// other; Stats and CaptureStats may be called from anywhere at any time.
type Source struct {
	cfg     Config
	link    uint32
	snaplen int
	filter  *sbpf.Filter // for VLAN-tagged frames; nil if the kernel decides alone
	prog    []unix.SockFilter
	refilt  atomic.Pointer[program] // a filter Refilter compiled, for Next to attach

	mu      sync.Mutex // held by Next for its whole duration; Close waits for it
	sock    *socket    // nil while the interface is gone and being reopened
	blk     int        // the block being read, or to read next
	inBlock bool       // blk is ours (TP_STATUS_USER) and is being read
	left    int        // frames of blk not yet returned
	off     int        // offset in blk of the next frame
	down    bool       // the last state reported is EventDown or EventGone
	retryAt time.Time  // when to try reopening next
	backoff time.Duration
	lastErr string // of the last reopen failure reported, to report each cause once

	done   chan struct{} // closed by Close
	closed atomic.Bool

	statsMu sync.Mutex // guards kstats and sock's fd against Close, for Stats
	kstats  Stats      // kernel counters read so far, plus Reopens
	recv    atomic.Uint64
	cut     atomic.Uint64
	vlanRej atomic.Uint64
	isDown  atomic.Bool
}

// program is a compiled filter: what the kernel runs and, for tagged
// frames, what Next runs.
type program struct {
	prog   []unix.SockFilter
	filter *sbpf.Filter
}

// compile compiles a tcpdump expression for this interface.
func (s *Source) compile(cfg *Config) (*program, error) {
	raw, uf, err := kernelFilter(cfg, s.link, s.snaplen)
	if err != nil {
		return nil, err
	}
	p := &program{filter: uf, prog: make([]unix.SockFilter, len(raw))}
	for i, r := range raw {
		p.prog[i] = unix.SockFilter{Code: r.Op, Jt: r.Jt, Jf: r.Jf, K: r.K}
	}
	return p, nil
}

// Refilter compiles expr (tcpdump syntax; "" passes everything) and
// returns the function that puts it in place of the running filter: the
// goroutine reading the source attaches it to the socket before its next
// frame (or within the idle timeout), and reports it as an EventFilter.
// A bad expression is an error, and the running filter stays. Safe to
// call from any goroutine.
func (s *Source) Refilter(expr string) (apply func() error, err error) {
	cfg := s.cfg
	cfg.Filter, cfg.Program = expr, nil
	p, err := s.compile(&cfg)
	if err != nil {
		return nil, err
	}
	return func() error { s.refilt.Store(p); return nil }, nil
}

// attach puts the filter Refilter prepared in place; Next's goroutine.
func (s *Source) attach(p *program) {
	s.prog, s.filter = p.prog, p.filter
	var err error
	if s.sock != nil { // else reopening attaches it
		fprog := unix.SockFprog{Len: uint16(len(s.prog)), Filter: &s.prog[0]}
		if e := unix.SetsockoptSockFprog(s.sock.fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &fprog); e != nil {
			err = s.fail("setsockopt SO_ATTACH_FILTER", e)
		}
	}
	s.event(Event{Kind: EventFilter, Err: err})
}

// socket is one opened packet socket and its ring.
type socket struct {
	fd      int
	wake    int // eventfd: Close writes to it to wake a Next in poll(2)
	ifindex int32
	ring    []byte
	bsize   int
	nblocks int
	lo      bool // the loopback interface: skip outgoing frames
}

// Open opens cfg.Iface. The filter is compiled and attached before the
// socket is bound, so no frame it rejects is ever queued.
func Open(cfg Config) (*Source, error) {
	if cfg.Iface == "" {
		return nil, errors.New("afpacket: no interface given")
	}
	setDefaults(&cfg)
	if err := checkConfig(&cfg); err != nil {
		return nil, err
	}
	s := &Source{cfg: cfg, done: make(chan struct{})}
	sock, err := s.open()
	if err != nil {
		return nil, err
	}
	s.sock = sock
	return s, nil
}

func setDefaults(cfg *Config) {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defD := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&cfg.BlockSize, DefaultBlockSize)
	def(&cfg.NumBlocks, DefaultNumBlocks)
	def(&cfg.FrameSize, DefaultFrameSize)
	def(&cfg.Snaplen, DefaultSnaplen)
	defD(&cfg.BlockTimeout, DefaultBlockTimeout)
	defD(&cfg.IdleTimeout, DefaultIdleTimeout)
	defD(&cfg.ReopenMin, DefaultReopenMin)
	defD(&cfg.ReopenMax, DefaultReopenMax)
	if cfg.Snaplen > cfg.BlockSize-frameOverhead {
		cfg.Snaplen = cfg.BlockSize - frameOverhead
	}
}

func checkConfig(cfg *Config) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("afpacket: %s: "+format, append([]any{cfg.Iface}, args...)...)
	}
	page := os.Getpagesize()
	switch {
	case cfg.BlockSize%page != 0 || cfg.BlockSize&(cfg.BlockSize-1) != 0:
		return bad("block size %d is not a power of two multiple of the page size (%d)", cfg.BlockSize, page)
	case cfg.FrameSize%unix.TPACKET_ALIGNMENT != 0 || cfg.FrameSize < frameOverhead || cfg.BlockSize%cfg.FrameSize != 0:
		return bad("frame size %d must be a multiple of %d, at least %d, and divide the block size %d", cfg.FrameSize, unix.TPACKET_ALIGNMENT, frameOverhead, cfg.BlockSize)
	case uint64(cfg.BlockSize)*uint64(cfg.NumBlocks) > 1<<40 || cfg.NumBlocks > 1<<20:
		return bad("ring of %d blocks of %d bytes is too large", cfg.NumBlocks, cfg.BlockSize)
	case cfg.Snaplen < 16:
		return bad("snap length %d is below 16", cfg.Snaplen)
	case cfg.Fanout < FanoutNone || cfg.Fanout > FanoutCPU:
		return bad("unknown fanout mode %d", int(cfg.Fanout))
	case cfg.BlockTimeout > time.Duration(^uint32(0))*time.Millisecond:
		return bad("block timeout %v is too long", cfg.BlockTimeout)
	}
	return nil
}

// open creates, configures and binds a socket and maps its ring.
func (s *Source) open() (_ *socket, err error) {
	cfg := &s.cfg
	fail := func(op string, err error) error { return &Error{Iface: cfg.Iface, Op: op, Err: err} }

	// Protocol 0: the socket receives nothing until bind names the
	// protocol, by when the filter is in place.
	fd, err := openSocket(cfg.Netns)
	if err != nil {
		return nil, fail("socket", err)
	}
	sock := &socket{fd: fd, wake: -1}
	defer func() {
		if err != nil {
			sock.close()
		}
	}()

	ifr, err := unix.NewIfreq(cfg.Iface)
	if err != nil {
		return nil, fail("interface name", err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFINDEX, ifr); err != nil {
		return nil, fail("find interface", err)
	}
	sock.ifindex = int32(ifr.Uint32())
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFHWADDR, ifr); err != nil {
		return nil, fail("interface type", err)
	}
	hatype := ifr.Uint16() // sa_family of ifr_hwaddr
	link, ok := linkType(hatype)
	if !ok {
		return nil, fail("interface type", fmt.Errorf("ARPHRD %d is not supported by afpacket; use pcaplive", hatype))
	}
	sock.lo = hatype == unix.ARPHRD_LOOPBACK
	if s.prog == nil { // first open: the link type is known now
		s.link = link
		s.snaplen = cfg.Snaplen
		p, err := s.compile(cfg)
		if err != nil {
			return nil, err
		}
		s.prog, s.filter = p.prog, p.filter
	} else if link != s.link {
		return nil, fail("interface type", fmt.Errorf("link type changed from %d to %d on reopening", s.link, link))
	}

	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_VERSION, unix.TPACKET_V3); err != nil {
		return nil, fail("setsockopt PACKET_VERSION TPACKET_V3", err)
	}
	// Room in front of each frame to put a VLAN tag back.
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_RESERVE, vlanLen); err != nil {
		return nil, fail("setsockopt PACKET_RESERVE", err)
	}
	if cfg.IgnoreOutgoing {
		if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_IGNORE_OUTGOING, 1); err != nil {
			return nil, fail("setsockopt PACKET_IGNORE_OUTGOING (Linux 4.20 or later)", err)
		}
	}
	fprog := unix.SockFprog{Len: uint16(len(s.prog)), Filter: &s.prog[0]}
	if err := unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &fprog); err != nil {
		return nil, fail("setsockopt SO_ATTACH_FILTER", err)
	}
	req := unix.TpacketReq3{
		Block_size:     uint32(cfg.BlockSize),
		Block_nr:       uint32(cfg.NumBlocks),
		Frame_size:     uint32(cfg.FrameSize),
		Frame_nr:       uint32(cfg.BlockSize / cfg.FrameSize * cfg.NumBlocks),
		Retire_blk_tov: uint32(max(cfg.BlockTimeout/time.Millisecond, 1)),
	}
	if err := unix.SetsockoptTpacketReq3(fd, unix.SOL_PACKET, unix.PACKET_RX_RING, &req); err != nil {
		return nil, fail(fmt.Sprintf("setsockopt PACKET_RX_RING (%d blocks of %d bytes)", cfg.NumBlocks, cfg.BlockSize), err)
	}
	sock.bsize, sock.nblocks = cfg.BlockSize, cfg.NumBlocks
	sock.ring, err = unix.Mmap(fd, 0, cfg.BlockSize*cfg.NumBlocks, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fail("mmap ring", err)
	}
	sa := unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: int(sock.ifindex)}
	if err := unix.Bind(fd, &sa); err != nil {
		return nil, fail("bind", err)
	}
	if cfg.Promisc {
		mreq := unix.PacketMreq{Ifindex: sock.ifindex, Type: unix.PACKET_MR_PROMISC}
		if err := unix.SetsockoptPacketMreq(fd, unix.SOL_PACKET, unix.PACKET_ADD_MEMBERSHIP, &mreq); err != nil {
			return nil, fail("set promiscuous mode", err)
		}
	}
	if cfg.Fanout != FanoutNone {
		var mode int
		switch cfg.Fanout {
		case FanoutHash:
			mode = unix.PACKET_FANOUT_HASH | unix.PACKET_FANOUT_FLAG_DEFRAG
		case FanoutLB:
			mode = unix.PACKET_FANOUT_LB
		case FanoutCPU:
			mode = unix.PACKET_FANOUT_CPU
		}
		if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_FANOUT, int(cfg.FanoutGroup)|mode<<16); err != nil {
			return nil, fail(fmt.Sprintf("join fanout group %d (%v)", cfg.FanoutGroup, cfg.Fanout), err)
		}
	}
	if sock.wake, err = unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK); err != nil {
		return nil, fail("eventfd", err)
	}
	return sock, nil
}

// linkType maps an interface's hardware type to the LINKTYPE of its
// frames as a SOCK_RAW packet socket sees them.
func linkType(hatype uint16) (uint32, bool) {
	switch hatype {
	case unix.ARPHRD_ETHER, unix.ARPHRD_LOOPBACK:
		return sources.LinkEthernet, true
	case unix.ARPHRD_NONE, unix.ARPHRD_RAWIP, unix.ARPHRD_TUNNEL, unix.ARPHRD_TUNNEL6:
		return sources.LinkRaw, true
	}
	return 0, false
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// close releases the ring and the socket.
func (k *socket) close() {
	if k.fd >= 0 {
		unix.Close(k.fd)
		k.fd = -1
	}
	if k.wake >= 0 {
		unix.Close(k.wake)
		k.wake = -1
	}
	if k.ring != nil {
		unix.Munmap(k.ring)
		k.ring = nil
	}
}

// Name returns the interface name.
func (s *Source) Name() string { return s.cfg.Iface }

// LinkType returns the LINKTYPE of the frames (sources.LinkEthernet or
// sources.LinkRaw).
func (s *Source) LinkType() uint32 { return s.link }

// Snaplen returns the snap length in force.
func (s *Source) Snaplen() int { return s.snaplen }

// Latency is the longest a frame may wait in the kernel before Next can see
// it: the block timeout. A live.Merger's window must be longer.
func (s *Source) Latency() time.Duration { return s.cfg.BlockTimeout }

// Next fills f with the next frame, waiting up to the idle timeout. It
// returns live.ErrIdle (f.TS = the wall clock) when none came, io.EOF after
// Close, and an *Error when the interface failed (wrapping
// ErrInterfaceGone if it was deleted and Reopen is off); such an error is
// final. f.Data points into the ring until the next call.
func (s *Source) Next(f *sources.Frame) error { return s.NextWait(f, s.cfg.IdleTimeout) }

// NextWait is Next waiting at most d (d <= 0: not at all); see live.Waiter.
func (s *Source) NextWait(f *sources.Frame, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var deadline time.Time
	for {
		if s.closed.Load() {
			*f = sources.Frame{}
			return io.EOF
		}
		if s.refilt.Load() != nil {
			s.attach(s.refilt.Swap(nil))
		}
		if s.sock == nil {
			if err := s.reopen(); err != nil {
				return err
			}
		}
		if s.sock != nil && s.nextFrame(f) {
			if s.down {
				s.setDown(false)
				s.event(Event{Kind: EventUp})
			}
			return nil
		}
		now := time.Now()
		if deadline.IsZero() {
			deadline = now.Add(d)
		}
		if d <= 0 || !now.Before(deadline) {
			return s.idle(f, now)
		}
		if s.sock == nil { // gone: sleep until the next attempt or the deadline
			wake := deadline
			if s.retryAt.Before(wake) {
				wake = s.retryAt
			}
			t := time.NewTimer(wake.Sub(now))
			select {
			case <-t.C:
			case <-s.done:
				t.Stop()
			}
			continue
		}
		if err := s.wait(deadline); err != nil {
			return err
		}
	}
}

// idle reports ErrIdle; while the interface is down it also checks whether
// it came back, for a link that carries nothing.
//
// Deleting an interface first takes it down, which is all the socket is
// told: an interface reported down is checked for having been deleted
// since, by its index (a new one of the same name has another), so that
// the socket, useless now, is reopened rather than waited on forever.
func (s *Source) idle(f *sources.Frame, now time.Time) error {
	if s.down && s.sock != nil {
		switch {
		case !s.ifExists():
			if err := s.deleted(syscall.ENODEV); err != nil {
				return err
			}
		case s.ifUp():
			s.setDown(false)
			s.event(Event{Kind: EventUp})
		}
	}
	*f = sources.Frame{TS: now.UnixNano(), Link: s.link, Iface: s.cfg.IfaceID}
	return live.ErrIdle
}

// nextFrame returns the next frame of the ring if there is one, giving back
// to the kernel the block whose last frame was returned by the previous
// call. It does no system call and allocates nothing.
func (s *Source) nextFrame(f *sources.Frame) bool {
	k := s.sock
	for {
		if s.inBlock {
			if s.left > 0 {
				if s.frame(f, k) {
					return true
				}
				continue
			}
			atomic.StoreUint32(k.word(s.blk, blockStatusOff), unix.TP_STATUS_KERNEL)
			s.inBlock = false
			s.blk++
			if s.blk == k.nblocks {
				s.blk = 0
			}
		}
		if atomic.LoadUint32(k.word(s.blk, blockStatusOff))&unix.TP_STATUS_USER == 0 {
			return false
		}
		s.inBlock = true
		s.left = int(*k.word(s.blk, blockNumPktsOff))
		s.off = int(*k.word(s.blk, blockFirstOff))
	}
}

// word returns a pointer to the 32-bit word at off in block b.
func (k *socket) word(b, off int) *uint32 {
	return (*uint32)(unsafe.Pointer(&k.ring[b*k.bsize+off]))
}

// frame decodes the frame at s.off of the current block into f and moves
// on. It reports false for a frame to skip (outgoing on loopback, a VLAN
// frame the filter rejects, a header that does not fit its block).
func (s *Source) frame(f *sources.Frame, k *socket) bool {
	block := k.ring[s.blk*k.bsize : (s.blk+1)*k.bsize]
	off := s.off
	s.left--
	if off < 0 || off+sllPkttypeOff >= len(block) {
		s.left = 0 // the kernel's offsets are trusted, but never past the block
		return false
	}
	h := (*unix.Tpacket3Hdr)(unsafe.Pointer(&block[off]))
	if h.Next_offset != 0 {
		s.off = off + int(h.Next_offset)
	} else {
		s.left = 0
	}
	if k.lo && block[off+sllPkttypeOff] == unix.PACKET_OUTGOING {
		return false
	}
	start, caplen, wirelen := off+int(h.Mac), int(h.Snaplen), int(h.Len)
	if start+caplen > len(block) || caplen > wirelen {
		s.left = 0
		return false
	}
	if h.Status&unix.TP_STATUS_VLAN_VALID != 0 && s.link == sources.LinkEthernet && caplen >= 12 && start-vlanLen >= off+sllOff+unix.SizeofSockaddrLinklayer {
		// Put the tag back where it was on the wire, after the two MAC
		// addresses, in the room PACKET_RESERVE left in front.
		tpid := uint16(unix.ETH_P_8021Q)
		if h.Status&unix.TP_STATUS_VLAN_TPID_VALID != 0 {
			tpid = h.Hv1.Vlan_tpid
		}
		copy(block[start-vlanLen:start+12-vlanLen], block[start:start+12])
		start -= vlanLen
		binary.BigEndian.PutUint16(block[start+12:], tpid)
		binary.BigEndian.PutUint16(block[start+14:], uint16(h.Hv1.Vlan_tci))
		caplen += vlanLen
		wirelen += vlanLen
		if s.filter != nil && !s.filter.Match(block[start:start+caplen], wirelen) {
			s.vlanRej.Add(1)
			return false
		}
		caplen = min(caplen, s.snaplen)
	}
	f.TS = int64(h.Sec)*1e9 + int64(h.Nsec)
	f.Data = block[start : start+caplen : start+caplen]
	f.WireLen = wirelen
	f.Link = s.link
	f.Iface = s.cfg.IfaceID
	f.Source = 0
	s.recv.Add(1)
	if caplen < wirelen {
		s.cut.Add(1)
	}
	return true
}

// wait waits for the kernel to hand over a block, the deadline or Close.
// It handles the socket errors by which the kernel reports an interface
// going down or away.
//
// It blocks its thread in poll(2) rather than parking in the runtime's
// network poller: the kernel wakes the socket once per block, and a wake-up
// through the runtime's poller costs several thread switches (measured:
// three times the system time per frame at 130k frames/s), one through
// poll(2) costs one.
func (s *Source) wait(deadline time.Time) error {
	k := s.sock
	ms := int((time.Until(deadline) + time.Millisecond - 1) / time.Millisecond)
	if ms <= 0 {
		return nil
	}
	fds := [2]unix.PollFd{{Fd: int32(k.fd), Events: unix.POLLIN}, {Fd: int32(k.wake), Events: unix.POLLIN}}
	if _, err := unix.Poll(fds[:], ms); err != nil && err != unix.EINTR {
		return s.fail("poll", err)
	}
	if s.closed.Load() || fds[0].Revents&(unix.POLLERR|unix.POLLHUP|unix.POLLNVAL) == 0 {
		return nil // a block, the deadline or Close: the loop tells which
	}
	if atomic.LoadUint32(k.word(s.blk, blockStatusOff))&unix.TP_STATUS_USER != 0 {
		return nil // frames first; the error will be seen again
	}
	e, err := unix.GetsockoptInt(k.fd, unix.SOL_SOCKET, unix.SO_ERROR)
	switch {
	case err != nil:
		return s.fail("getsockopt SO_ERROR", err)
	case e != 0:
		return s.linkError(syscall.Errno(e))
	}
	return nil
}

// linkError handles ENETDOWN and the like: the interface went down (the
// socket stays bound and resumes when it comes up) or was deleted.
func (s *Source) linkError(cause error) error {
	if s.ifExists() {
		if !s.down {
			s.setDown(true)
			s.event(Event{Kind: EventDown, Err: cause})
		}
		return nil
	}
	return s.deleted(cause)
}

// deleted retires the socket of a deleted interface: a new interface of
// the same name would have another index, so the socket is useless now.
// With Reopen it schedules the first attempt to open the name again;
// without, it returns the error that ends the Source.
func (s *Source) deleted(cause error) error {
	s.retire()
	gone := fmt.Errorf("%w (%v)", ErrInterfaceGone, cause)
	if !s.cfg.Reopen {
		s.setDown(true)
		s.event(Event{Kind: EventGone, Err: gone})
		return &Error{Iface: s.cfg.Iface, Op: "read", Err: gone}
	}
	s.backoff = s.cfg.ReopenMin
	s.retryAt = time.Now().Add(s.backoff)
	s.setDown(true)
	s.event(Event{Kind: EventGone, Err: gone, Retry: s.backoff})
	return nil
}

// reopen tries to open the interface again if the time has come.
func (s *Source) reopen() error {
	if time.Now().Before(s.retryAt) {
		return nil
	}
	sock, err := s.open()
	if err != nil {
		var ce *sbpf.CompileError
		if errors.As(err, &ce) { // cannot happen once compiled; not worth retrying
			return err
		}
		s.backoff = min(2*s.backoff, s.cfg.ReopenMax)
		s.retryAt = time.Now().Add(s.backoff)
		if msg := err.Error(); msg != s.lastErr {
			s.lastErr = msg
			s.event(Event{Kind: EventReopenFailed, Err: err, Retry: s.backoff})
		}
		return nil
	}
	s.statsMu.Lock()
	s.sock = sock
	s.kstats.Reopens++
	s.statsMu.Unlock()
	s.blk, s.inBlock, s.left, s.off = 0, false, 0, 0
	s.lastErr = ""
	s.setDown(false)
	s.event(Event{Kind: EventReopened})
	return nil
}

// retire closes the current socket, keeping its counters.
func (s *Source) retire() {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	if s.sock == nil {
		return
	}
	s.readKernelStats()
	s.sock.close()
	s.sock = nil
	s.inBlock = false
}

func (s *Source) fail(op string, err error) error {
	return &Error{Iface: s.cfg.Iface, Op: op, Err: err}
}

func (s *Source) event(e Event) {
	if s.cfg.OnEvent != nil {
		e.Iface = s.cfg.Iface
		s.cfg.OnEvent(e)
	}
}

func (s *Source) setDown(d bool) { s.down = d; s.isDown.Store(d) }

// ifExists reports whether the socket's interface still exists (under any
// name: its index is what the socket is bound to).
func (s *Source) ifExists() bool {
	_, err := ifName(s.sock.fd, s.sock.ifindex)
	return err == nil
}

// ifUp reports whether the interface the socket is bound to (by index, not
// by name) is administratively and operationally up.
func (s *Source) ifUp() bool {
	name, err := ifName(s.sock.fd, s.sock.ifindex)
	if err != nil {
		return false
	}
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return false
	}
	if err := unix.IoctlIfreq(s.sock.fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return false
	}
	fl := ifr.Uint16()
	return fl&unix.IFF_UP != 0 && fl&unix.IFF_RUNNING != 0
}

// ifName is SIOCGIFNAME: the name of the interface with an index, in the
// network namespace of socket fd.
func ifName(fd int, index int32) (string, error) {
	var req struct {
		name  [unix.IFNAMSIZ]byte
		index int32
		_     [20]byte
	}
	req.index = index
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SIOCGIFNAME, uintptr(unsafe.Pointer(&req))); e != 0 {
		return "", e
	}
	return unix.ByteSliceToString(req.name[:]), nil
}

// Stats returns the counters. It reads the kernel's (which resets them) and
// adds them to the totals, so it is cheap enough for a metrics scrape but
// not for every frame.
func (s *Source) Stats() Stats {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	s.readKernelStats()
	st := s.kstats
	st.Received = s.recv.Load()
	st.Cut = s.cut.Load()
	st.Filtered = s.vlanRej.Load()
	st.Down = s.isDown.Load()
	return st
}

// CaptureStats implements live.Statser.
func (s *Source) CaptureStats() live.CaptureStats {
	st := s.Stats()
	return live.CaptureStats{
		Name: s.cfg.Iface, Received: st.Received, Kernel: st.Packets, Dropped: st.Drops,
		Reopens: st.Reopens, Cut: st.Cut, Down: st.Down,
	}
}

// readKernelStats adds PACKET_STATISTICS to the totals; statsMu is held.
func (s *Source) readKernelStats() {
	// The fd stays open while s.sock is set, which statsMu guards.
	k := s.sock
	if k == nil || k.fd < 0 {
		return
	}
	st, err := unix.GetsockoptTpacketStatsV3(k.fd, unix.SOL_PACKET, unix.PACKET_STATISTICS)
	if err != nil {
		return
	}
	// tp_packets counts dropped frames too (the kernel adds them in).
	s.kstats.Packets += uint64(st.Packets)
	s.kstats.Drops += uint64(st.Drops)
	s.kstats.FreezeQueue += uint64(st.Freeze_q_cnt)
}

// Close releases the socket and the ring, waking a Next blocked on another
// goroutine, which then returns io.EOF. The counters stay readable.
func (s *Source) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	close(s.done)
	// Wake a Next blocked in poll(2); the socket and the ring are released
	// only once it has returned and let go of the lock.
	s.statsMu.Lock()
	if s.sock != nil {
		unix.Write(s.sock.wake, []byte{1, 0, 0, 0, 0, 0, 0, 0})
	}
	s.statsMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	if s.sock != nil {
		s.readKernelStats()
		s.sock.close()
		s.sock = nil
	}
	return nil
}

// Interface guards.
var (
	_ sources.Source = (*Source)(nil)
	_ live.Waiter    = (*Source)(nil)
	_ live.Statser   = (*Source)(nil)
)
