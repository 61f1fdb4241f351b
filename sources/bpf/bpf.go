// Package bpf applies tcpdump-syntax filters ("tcp port 80", "vlan and
// host 198.18.0.1") to frames read from files.
//
// libpcap compiles the expression, through cgo, exactly as tcpdump -r
// would for a file of the frames' link type; the program then runs in Go,
// in an interpreter that matches libpcap's (see vm.go) and allocates
// nothing. A Set holds one program per link type, compiled when the first
// frame of that type comes, for pcapng files that mix link types.
package bpf

import (
	"fmt"
	"math"

	"golang.org/x/net/bpf"

	"github.com/weirnet/weir/sources"
)

// DefaultSnaplen is the snap length a filter is compiled with when the
// caller has none: libpcap's largest. It matters only in that an accepting
// program returns it.
const DefaultSnaplen = 262144

// Filter is a compiled filter for one link type. Match is safe for
// concurrent use.
type Filter struct {
	expr string
	link uint32
	raw  []bpf.RawInstruction
	prog []insn
	// For BSD loopback and OpenBSD enc, whose 4-byte address family is in
	// the byte order of the machine that captured, progBE is the program
	// for big-endian families; prog is for little-endian ones.
	progBE []insn
}

// CompileError is a filter libpcap would not compile: a syntax error, or an
// expression that makes no sense for the link type ("ether host" on raw
// IP).
type CompileError struct {
	Expr string
	Link uint32
	Msg  string // libpcap's message
}

func (e *CompileError) Error() string {
	link := fmt.Sprint(e.Link)
	if name := linkName(e.Link); name != "" {
		link += " (" + name + ")"
	}
	return fmt.Sprintf("bpf: filter %q for link type %s: %s", e.Expr, link, e.Msg)
}

// Compile compiles a tcpdump expression for frames of link type link
// (sources.Link*, a LINKTYPE_ value) captured with snaplen (0 or less for
// DefaultSnaplen). The empty expression matches everything.
func Compile(expr string, link uint32, snaplen int) (*Filter, error) {
	if snaplen <= 0 {
		snaplen = DefaultSnaplen
	}
	f := &Filter{expr: expr, link: link}
	var err error
	if f.raw, f.prog, err = compileLoad(expr, link, snaplen, false); err != nil {
		return nil, err
	}
	if link == sources.LinkNull || link == linkEnc {
		if _, f.progBE, err = compileLoad(expr, link, snaplen, true); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// linkEnc is OpenBSD's IPsec encapsulation, which like LinkNull starts
// with an address family in host byte order.
const linkEnc = 109

// rejectsAll is how libpcap (since 1.10) refuses an expression its
// optimiser proves can never match, such as "ip6" on raw IPv4 frames.
// For a file that is no mistake, only a filter that matches nothing there.
const rejectsAll = "expression rejects all packets"

// compileLoad compiles expr as for a file in the given byte order and
// loads the program.
func compileLoad(expr string, link uint32, snaplen int, bigEndian bool) ([]bpf.RawInstruction, []insn, error) {
	raw, msg := compile(expr, link, snaplen, bigEndian)
	if msg == rejectsAll {
		raw = []bpf.RawInstruction{{Op: clsRET | retK, K: 0}}
	} else if msg != "" {
		return nil, nil, &CompileError{Expr: expr, Link: link, Msg: msg}
	}
	prog, err := load(raw)
	if err != nil { // libpcap's own output: not expected to happen
		return nil, nil, &CompileError{Expr: expr, Link: link, Msg: "invalid program: " + err.Error()}
	}
	return raw, prog, nil
}

// Match reports whether the filter accepts a frame of which data was
// captured and wireLen bytes were on the wire (the "len" of expressions
// like "greater 1000"). A wireLen below len(data) counts as len(data).
func (f *Filter) Match(data []byte, wireLen int) bool {
	wl := uint32(len(data))
	if wireLen > len(data) {
		wl = uint32(min(int64(wireLen), math.MaxUint32))
	}
	prog := f.prog
	// Families are small numbers: 02 00 00 00 is AF_INET written
	// little-endian, 00 00 00 02 big-endian. Wireshark guesses the same way.
	if f.progBE != nil && len(data) >= 4 && data[0] == 0 && data[3] != 0 {
		prog = f.progBE
	}
	return run(prog, data, wl) != 0
}

// String returns the expression.
func (f *Filter) String() string { return f.expr }

// Link returns the link type the filter was compiled for.
func (f *Filter) Link() uint32 { return f.link }

// Instructions returns the compiled program, as tcpdump -d would list it
// in raw form. The slice must not be modified.
func (f *Filter) Instructions() []bpf.RawInstruction { return f.raw }

// Set is one expression compiled lazily for each link type it meets, for
// sources whose frames are of several link types. It is not safe for
// concurrent use; give each goroutine its own.
type Set struct {
	expr    string
	snaplen int
	byLink  map[uint32]*entry
	last    *entry // the entry of the previous frame's link type
}

// entry caches the outcome of compiling for one link type, failure
// included, so that a link type the expression cannot apply to costs one
// compilation, not one per frame.
type entry struct {
	link uint32
	f    *Filter
	err  error
}

// NewSet prepares expr for frames of any link type. It checks the
// expression at once, so a typo stops start-up rather than the first
// frame: it must compile for at least one of Ethernet, Linux cooked and
// raw IP, else the error for Ethernet is returned. (Link-specific
// expressions such as "wlan host" or "inbound" need not compile for all
// three; those for other link types fail when their first frame comes, in
// Match.)
func NewSet(expr string, snaplen int) (*Set, error) {
	s := &Set{expr: expr, snaplen: snaplen, byLink: make(map[uint32]*entry)}
	if expr == "" {
		return s, nil
	}
	var first error
	for _, link := range []uint32{sources.LinkEthernet, sources.LinkSLL, sources.LinkRaw} {
		e := s.lookup(link)
		if e.err == nil {
			return s, nil
		}
		if first == nil {
			first = e.err
		}
	}
	return nil, first
}

// Match reports whether the expression accepts the frame. The error is a
// *CompileError when the expression cannot apply to the frame's link type;
// it is the same error for every frame of that link type.
func (s *Set) Match(f *sources.Frame) (bool, error) {
	if s.expr == "" {
		return true, nil
	}
	e := s.last
	if e == nil || e.link != f.Link {
		e = s.lookup(f.Link)
		s.last = e
	}
	if e.err != nil {
		return false, e.err
	}
	return e.f.Match(f.Data, f.WireLen), nil
}

func (s *Set) lookup(link uint32) *entry {
	e, ok := s.byLink[link]
	if !ok {
		e = &entry{link: link}
		e.f, e.err = Compile(s.expr, link, s.snaplen)
		s.byLink[link] = e
	}
	return e
}

// String returns the expression.
func (s *Set) String() string { return s.expr }
