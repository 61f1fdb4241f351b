//go:build cgo && unix

package pcaplive

/*
#cgo LDFLAGS: -lpcap
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pcap.h>

// weir_setfilter replaces the filter of an active handle ("" passes
// everything); -1 with pcap_geterr's message on failure.
static int weir_setfilter(pcap_t *p, const char *filter) {
	struct bpf_program prog;
	if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0)
		return -1;
	int rc = pcap_setfilter(p, &prog);
	pcap_freecode(&prog);
	return rc;
}

// weir_open creates and activates a handle; on failure it returns NULL with
// the message in errbuf and the step that failed in *step (0 create,
// 1 activate, 2 filter, 3 non-blocking).
static pcap_t *weir_open(const char *dev, int snaplen, int promisc, int bufsize,
		const char *filter, char *errbuf, int *step) {
	*step = 0;
	pcap_t *p = pcap_create(dev, errbuf);
	if (p == NULL)
		return NULL;
	pcap_set_snaplen(p, snaplen);
	pcap_set_promisc(p, promisc);
	pcap_set_immediate_mode(p, 1);
	pcap_set_timeout(p, 100);
	pcap_set_buffer_size(p, bufsize);
	pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);
	int rc = pcap_activate(p);
	if (rc < 0) {
		*step = 1;
		const char *msg = pcap_geterr(p);
		const char *status = pcap_statustostr(rc);
		if (msg != NULL && strcmp(msg, status) == 0)
			msg = NULL;
		if (msg == NULL || msg[0] == 0 || rc != PCAP_ERROR)
			snprintf(errbuf, PCAP_ERRBUF_SIZE, "%s%s%s", status,
				(msg && msg[0]) ? ": " : "", (msg && msg[0]) ? msg : "");
		else
			snprintf(errbuf, PCAP_ERRBUF_SIZE, "%s", msg);
		pcap_close(p);
		return NULL;
	}
	if (filter != NULL && filter[0] != 0 && weir_setfilter(p, filter) != 0) {
		*step = 2;
		snprintf(errbuf, PCAP_ERRBUF_SIZE, "%s", pcap_geterr(p));
		pcap_close(p);
		return NULL;
	}
	if (pcap_setnonblock(p, 1, errbuf) != 0) {
		*step = 3;
		pcap_close(p);
		return NULL;
	}
	return p;
}

// weir_next is pcap_next_ex with the results written to out: caplen,
// wirelen, seconds, nanoseconds. One call from Go per frame, no Go
// pointers kept by C.
static int weir_next(pcap_t *p, const u_char **data, long long *out) {
	struct pcap_pkthdr *h;
	int rc = pcap_next_ex(p, &h, data);
	if (rc == 1) {
		out[0] = h->caplen;
		out[1] = h->len;
		out[2] = h->ts.tv_sec;
		out[3] = h->ts.tv_usec; // nanoseconds: the handle's precision is nano
	}
	return rc;
}

static int weir_stats(pcap_t *p, unsigned long long *out) {
	struct pcap_stat st;
	if (pcap_stats(p, &st) != 0)
		return -1;
	out[0] = st.ps_recv;
	out[1] = st.ps_drop;
	out[2] = st.ps_ifdrop;
	return 0;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/weirnet/weir/sources"
	sbpf "github.com/weirnet/weir/sources/bpf"
	"github.com/weirnet/weir/sources/live"
)

// Source reads one interface through libpcap. Next/NextWait are to be
// called from one goroutine; Close, Stats and CaptureStats from any.
type Source struct {
	cfg     Config
	link    uint32
	snaplen int
	fd      int // pcap's selectable descriptor
	wakeR   int // Close writes to wakeW; poll watches wakeR
	wakeW   int

	busy sync.Mutex // held by NextWait throughout; Close waits for it
	mu   sync.Mutex // guards p: libpcap handles are not thread-safe
	p    *C.pcap_t

	// C memory for pcap_next_ex's results, so that a call passes no Go
	// pointer and allocates nothing.
	cdata **C.u_char
	cout  *C.longlong

	closed atomic.Bool
	recv   atomic.Uint64
	cut    atomic.Uint64
	final  live.CaptureStats // counters at Close
}

// Open opens and activates cfg.Iface.
func Open(cfg Config) (*Source, error) {
	if cfg.Iface == "" {
		return nil, errors.New("pcaplive: no interface given")
	}
	if cfg.Snaplen <= 0 {
		cfg.Snaplen = DefaultSnaplen
	}
	if cfg.BufferSize <= 0 {
		cfg.BufferSize = DefaultBufferSize
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	var p *C.pcap_t
	var err error
	if cfg.Netns == "" {
		p, err = activate(&cfg)
	} else {
		p, err = activateIn(&cfg)
	}
	if err != nil {
		return nil, err
	}
	s := &Source{cfg: cfg, p: p, snaplen: int(C.pcap_snapshot(p))}
	s.link = linkType(int(C.pcap_datalink(p)))
	s.fd = int(C.pcap_get_selectable_fd(p))
	if s.fd < 0 {
		C.pcap_close(p)
		return nil, &Error{Iface: cfg.Iface, Op: "open", Msg: "libpcap has no selectable descriptor for this interface"}
	}
	var pipe [2]int
	if err := unix.Pipe(pipe[:]); err != nil {
		C.pcap_close(p)
		return nil, &Error{Iface: cfg.Iface, Op: "open", Msg: "wake-up pipe", Err: err}
	}
	unix.CloseOnExec(pipe[0])
	unix.CloseOnExec(pipe[1])
	s.wakeR, s.wakeW = pipe[0], pipe[1]
	s.cdata = (**C.u_char)(C.calloc(1, C.size_t(unsafe.Sizeof(uintptr(0)))))
	s.cout = (*C.longlong)(C.calloc(4, 8))
	return s, nil
}

func activate(cfg *Config) (*C.pcap_t, error) {
	dev := C.CString(cfg.Iface)
	defer C.free(unsafe.Pointer(dev))
	var filter *C.char
	if cfg.Filter != "" {
		filter = C.CString(cfg.Filter)
		defer C.free(unsafe.Pointer(filter))
	}
	errbuf := (*C.char)(C.calloc(C.PCAP_ERRBUF_SIZE, 1))
	defer C.free(unsafe.Pointer(errbuf))
	var step C.int
	promisc := C.int(0)
	if cfg.Promisc {
		promisc = 1
	}
	p := C.weir_open(dev, C.int(cfg.Snaplen), promisc, C.int(cfg.BufferSize), filter, errbuf, &step)
	if p == nil {
		op := [...]string{"create", "activate", "filter", "set non-blocking"}[step]
		msg := C.GoString(errbuf)
		if step == 2 {
			msg = fmt.Sprintf("%q: %s", cfg.Filter, msg)
		}
		return nil, &Error{Iface: cfg.Iface, Op: op, Msg: msg}
	}
	return p, nil
}

// activateIn activates the handle on a thread moved into cfg.Netns, so that
// libpcap's socket is created there; the thread is never unlocked, and ends
// with its goroutine.
func activateIn(cfg *Config) (*C.pcap_t, error) {
	type result struct {
		p   *C.pcap_t
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		ns, err := os.Open(cfg.Netns)
		if err != nil {
			ch <- result{nil, &Error{Iface: cfg.Iface, Op: "open", Msg: "network namespace", Err: err}}
			return
		}
		defer ns.Close()
		if err := unix.Setns(int(ns.Fd()), unix.CLONE_NEWNET); err != nil {
			ch <- result{nil, &Error{Iface: cfg.Iface, Op: "open", Msg: "enter network namespace " + cfg.Netns, Err: err}}
			return
		}
		p, err := activate(cfg)
		ch <- result{p, err}
	}()
	r := <-ch
	return r.p, r.err
}

// linkType maps libpcap's DLT_ value to the LINKTYPE_ value frames carry;
// they differ only for raw IP among the types a live capture gives.
func linkType(dlt int) uint32 {
	switch dlt {
	case 12, 14: // DLT_RAW on one system or another
		return sources.LinkRaw
	}
	return uint32(dlt)
}

// Name returns the interface name.
func (s *Source) Name() string { return s.cfg.Iface }

// LinkType returns the LINKTYPE of the frames.
func (s *Source) LinkType() uint32 { return s.link }

// Snaplen returns the snap length libpcap uses.
func (s *Source) Snaplen() int { return s.snaplen }

// Next fills f with the next frame, waiting up to the idle timeout; see
// afpacket.Source.Next for the errors, which are the same here (an *Error
// from libpcap is final).
func (s *Source) Next(f *sources.Frame) error { return s.NextWait(f, s.cfg.IdleTimeout) }

// NextWait is Next waiting at most d (d <= 0: not at all); see live.Waiter.
func (s *Source) NextWait(f *sources.Frame, d time.Duration) error {
	s.busy.Lock()
	defer s.busy.Unlock()
	var deadline time.Time
	for {
		if s.closed.Load() {
			*f = sources.Frame{}
			return io.EOF
		}
		s.mu.Lock()
		rc := C.weir_next(s.p, s.cdata, s.cout)
		s.mu.Unlock()
		switch rc {
		case 1:
			out := unsafe.Slice((*int64)(unsafe.Pointer(s.cout)), 4)
			caplen := int(out[0])
			f.TS = out[2]*1e9 + out[3]
			f.Data = unsafe.Slice((*byte)(unsafe.Pointer(*s.cdata)), caplen)[:caplen:caplen]
			f.WireLen = max(int(out[1]), caplen)
			f.Link = s.link
			f.Iface = s.cfg.IfaceID
			f.Source = 0
			s.recv.Add(1)
			if caplen < f.WireLen {
				s.cut.Add(1)
			}
			return nil
		case 0: // nothing ready
		case C.PCAP_ERROR_BREAK:
			*f = sources.Frame{}
			return io.EOF
		default:
			s.mu.Lock()
			msg := C.GoString(C.pcap_geterr(s.p))
			s.mu.Unlock()
			return &Error{Iface: s.cfg.Iface, Op: "read", Msg: msg}
		}
		now := time.Now()
		if deadline.IsZero() {
			deadline = now.Add(d)
		}
		left := deadline.Sub(now)
		if d <= 0 || left <= 0 {
			*f = sources.Frame{TS: now.UnixNano(), Link: s.link, Iface: s.cfg.IfaceID}
			return live.ErrIdle
		}
		ms := int((left + time.Millisecond - 1) / time.Millisecond)
		fds := [2]unix.PollFd{{Fd: int32(s.fd), Events: unix.POLLIN}, {Fd: int32(s.wakeR), Events: unix.POLLIN}}
		if _, err := unix.Poll(fds[:], ms); err != nil && err != unix.EINTR {
			return &Error{Iface: s.cfg.Iface, Op: "poll", Msg: "waiting for frames", Err: err}
		}
	}
}

// Refilter checks expr (tcpdump syntax; "" passes everything) and returns
// the function that puts it in place of the running filter. A bad
// expression is an error, and the running filter stays. Safe to call from
// any goroutine.
func (s *Source) Refilter(expr string) (apply func() error, err error) {
	if _, err := sbpf.Compile(expr, s.link, s.snaplen); err != nil {
		return nil, err
	}
	return func() error {
		cexpr := C.CString(expr)
		defer C.free(unsafe.Pointer(cexpr))
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.p == nil {
			return &Error{Iface: s.cfg.Iface, Op: "filter", Msg: "closed"}
		}
		if C.weir_setfilter(s.p, cexpr) != 0 {
			return &Error{Iface: s.cfg.Iface, Op: "filter", Msg: fmt.Sprintf("%q: %s", expr, C.GoString(C.pcap_geterr(s.p)))}
		}
		return nil
	}, nil
}

// CaptureStats returns libpcap's counters: ps_recv (frames the filter accepted,
// dropped ones included, on Linux), ps_drop and ps_ifdrop.
func (s *Source) CaptureStats() live.CaptureStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.p == nil {
		return s.final
	}
	st := live.CaptureStats{Name: s.cfg.Iface, Received: s.recv.Load(), Cut: s.cut.Load()}
	var out [3]C.ulonglong
	if C.weir_stats(s.p, &out[0]) == 0 {
		st.Kernel, st.Dropped, st.IfDrops = uint64(out[0]), uint64(out[1]), uint64(out[2])
	}
	return st
}

// Close wakes a waiting Next (which returns io.EOF), then closes the
// handle. The counters stay readable.
func (s *Source) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	unix.Write(s.wakeW, []byte{0})
	s.busy.Lock()
	defer s.busy.Unlock()
	final := s.CaptureStats()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.final = final
	C.pcap_close(s.p)
	s.p = nil
	C.free(unsafe.Pointer(s.cdata))
	C.free(unsafe.Pointer(s.cout))
	unix.Close(s.wakeR)
	unix.Close(s.wakeW)
	return nil
}

// Interface guards.
var (
	_ sources.Source = (*Source)(nil)
	_ live.Waiter    = (*Source)(nil)
	_ live.Statser   = (*Source)(nil)
)
