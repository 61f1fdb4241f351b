package bpf

import (
	"encoding/binary"
	"fmt"

	"golang.org/x/net/bpf"
)

// The interpreter follows libpcap's bpf_filter (bpf_filter.c) exactly:
// loads past the captured bytes and division by zero reject the packet,
// and "len" is the length on the wire, not the captured length. It exists
// because golang.org/x/net/bpf's VM has no notion of the wire length (its
// "len" is the captured length, so "greater 1000" goes wrong on snapped
// packets) and is a few times slower: it dispatches on an interface per
// instruction. Here each instruction is decoded once, at load time, into a
// dense opcode the Go compiler turns into a jump table, with jump targets
// made absolute.

// Classic BPF encoding (pcap/bpf.h).
const (
	clsLD, clsLDX, clsST, clsSTX, clsALU, clsJMP, clsRET, clsMISC = 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07

	szW, szH, szB = 0x00, 0x08, 0x10

	modeIMM, modeABS, modeIND, modeMEM, modeLEN, modeMSH = 0x00, 0x20, 0x40, 0x60, 0x80, 0xa0

	aluADD, aluSUB, aluMUL, aluDIV, aluOR, aluAND, aluLSH, aluRSH, aluNEG, aluMOD, aluXOR = 0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0

	jmpJA, jmpJEQ, jmpJGT, jmpJGE, jmpJSET = 0x00, 0x10, 0x20, 0x30, 0x40

	srcK, srcX       = 0x00, 0x08
	retK, retX, retA = 0x00, 0x08, 0x10

	miscTAX, miscTXA = 0x00, 0x80

	memWords = 16 // BPF_MEMWORDS
)

type opcode uint8

const (
	opRetK opcode = iota
	opRetA
	opRetX
	opLdAbsW
	opLdAbsH
	opLdAbsB
	opLdIndW
	opLdIndH
	opLdIndB
	opLdLen
	opLdxLen
	opLdImm
	opLdxImm
	opLdMem
	opLdxMem
	opLdxMsh
	opSt
	opStx
	opJa
	opJaBack // a backward JA, decoded from a JA by load
	opJgtK
	opJgeK
	opJeqK
	opJsetK
	opJgtX
	opJgeX
	opJeqX
	opJsetX
	opAddK
	opSubK
	opMulK
	opDivK
	opModK
	opAndK
	opOrK
	opXorK
	opLshK
	opRshK
	opAddX
	opSubX
	opMulX
	opDivX
	opModX
	opAndX
	opOrX
	opXorX
	opLshX
	opRshX
	opNeg
	opTax
	opTxa
)

// decoded maps a classic BPF code to its dense opcode; codes not in the
// map are invalid.
var decoded = map[uint16]opcode{
	clsRET | retK: opRetK,
	clsRET | retA: opRetA,
	clsRET | retX: opRetX,

	clsLD | szW | modeABS:  opLdAbsW,
	clsLD | szH | modeABS:  opLdAbsH,
	clsLD | szB | modeABS:  opLdAbsB,
	clsLD | szW | modeIND:  opLdIndW,
	clsLD | szH | modeIND:  opLdIndH,
	clsLD | szB | modeIND:  opLdIndB,
	clsLD | szW | modeLEN:  opLdLen,
	clsLDX | szW | modeLEN: opLdxLen,
	clsLD | szW | modeIMM:  opLdImm,
	clsLDX | szW | modeIMM: opLdxImm,
	clsLD | szW | modeMEM:  opLdMem,
	clsLDX | szW | modeMEM: opLdxMem,
	clsLDX | szB | modeMSH: opLdxMsh,
	clsST:                  opSt,
	clsSTX:                 opStx,

	clsJMP | jmpJA:          opJa,
	clsJMP | jmpJGT | srcK:  opJgtK,
	clsJMP | jmpJGE | srcK:  opJgeK,
	clsJMP | jmpJEQ | srcK:  opJeqK,
	clsJMP | jmpJSET | srcK: opJsetK,
	clsJMP | jmpJGT | srcX:  opJgtX,
	clsJMP | jmpJGE | srcX:  opJgeX,
	clsJMP | jmpJEQ | srcX:  opJeqX,
	clsJMP | jmpJSET | srcX: opJsetX,

	clsALU | aluADD | srcK: opAddK,
	clsALU | aluSUB | srcK: opSubK,
	clsALU | aluMUL | srcK: opMulK,
	clsALU | aluDIV | srcK: opDivK,
	clsALU | aluMOD | srcK: opModK,
	clsALU | aluAND | srcK: opAndK,
	clsALU | aluOR | srcK:  opOrK,
	clsALU | aluXOR | srcK: opXorK,
	clsALU | aluLSH | srcK: opLshK,
	clsALU | aluRSH | srcK: opRshK,
	clsALU | aluADD | srcX: opAddX,
	clsALU | aluSUB | srcX: opSubX,
	clsALU | aluMUL | srcX: opMulX,
	clsALU | aluDIV | srcX: opDivX,
	clsALU | aluMOD | srcX: opModX,
	clsALU | aluAND | srcX: opAndX,
	clsALU | aluOR | srcX:  opOrX,
	clsALU | aluXOR | srcX: opXorX,
	clsALU | aluLSH | srcX: opLshX,
	clsALU | aluRSH | srcX: opRshX,
	clsALU | aluNEG:        opNeg,

	clsMISC | miscTAX: opTax,
	clsMISC | miscTXA: opTxa,
}

// insn is a decoded instruction. For jumps, jt and jf are absolute
// instruction indices (JA uses jt).
type insn struct {
	op     opcode
	k      uint32
	jt, jf uint32
}

// maxInsns bounds a program; libpcap's compiler stays far below it.
const maxInsns = 1 << 16

// maxLoops bounds the backward jumps one run may take. libpcap emits them
// only for "ip6 protochain", whose loop visits one IPv6 extension header
// (at least 8 bytes) per turn and stops at the end of the packet, so no
// real packet comes near; the bound is there so that no program, however
// made, can hang the packet loop.
const maxLoops = 1 << 20

// load validates a program as libpcap's bpf_validate does, and decodes it.
// A valid program stays inside itself and ends with a return; it jumps
// only forward but for unconditional jumps, whose loops run counts, so it
// terminates and never indexes out of bounds.
func load(raw []bpf.RawInstruction) ([]insn, error) {
	if len(raw) == 0 || len(raw) > maxInsns {
		return nil, fmt.Errorf("program of %d instructions", len(raw))
	}
	prog := make([]insn, len(raw))
	n := uint64(len(raw))
	for pc, r := range raw {
		op, ok := decoded[r.Op]
		if !ok {
			return nil, fmt.Errorf("instruction %d: invalid opcode 0x%04x", pc, r.Op)
		}
		in := insn{op: op, k: r.K}
		next := uint64(pc) + 1
		switch op {
		case opLdMem, opLdxMem, opSt, opStx:
			if r.K >= memWords {
				return nil, fmt.Errorf("instruction %d: scratch memory index %d", pc, r.K)
			}
		case opDivK, opModK:
			if r.K == 0 {
				return nil, fmt.Errorf("instruction %d: division by constant zero", pc)
			}
		case opJa:
			// The offset wraps, as in libpcap, whose "ip6 protochain"
			// loops with a backward jump.
			target := uint32(next) + r.K
			if uint64(target) >= n {
				return nil, fmt.Errorf("instruction %d: jump out of the program", pc)
			}
			in.jt = target
			if uint64(target) < next {
				in.op = opJaBack
			}
		case opJgtK, opJgeK, opJeqK, opJsetK, opJgtX, opJgeX, opJeqX, opJsetX:
			if next+uint64(r.Jt) >= n || next+uint64(r.Jf) >= n {
				return nil, fmt.Errorf("instruction %d: jump out of the program", pc)
			}
			in.jt, in.jf = uint32(next+uint64(r.Jt)), uint32(next+uint64(r.Jf))
		}
		prog[pc] = in
	}
	if last := raw[len(raw)-1].Op; last&0x07 != clsRET {
		return nil, fmt.Errorf("program does not end with a return")
	}
	return prog, nil
}

// run executes a loaded program on a packet of which pkt was captured and
// wireLen was on the wire, and returns the program's verdict: 0 rejects,
// anything else accepts (it is the snap length).
func run(prog []insn, pkt []byte, wireLen uint32) uint32 {
	var a, x uint32
	var mem [memWords]uint32
	var loops int
	buflen := uint32(len(pkt))
	for pc := 0; ; {
		in := &prog[pc]
		pc++
		switch in.op {
		case opRetK:
			return in.k
		case opRetA:
			return a
		case opRetX:
			return x
		case opLdAbsW:
			k := in.k
			if k > buflen || buflen-k < 4 {
				return 0
			}
			a = binary.BigEndian.Uint32(pkt[k:])
		case opLdAbsH:
			k := in.k
			if k > buflen || buflen-k < 2 {
				return 0
			}
			a = uint32(binary.BigEndian.Uint16(pkt[k:]))
		case opLdAbsB:
			k := in.k
			if k >= buflen {
				return 0
			}
			a = uint32(pkt[k])
		case opLdIndW:
			if in.k > buflen || x > buflen-in.k || buflen-in.k-x < 4 {
				return 0
			}
			a = binary.BigEndian.Uint32(pkt[x+in.k:])
		case opLdIndH:
			if in.k > buflen || x > buflen-in.k || buflen-in.k-x < 2 {
				return 0
			}
			a = uint32(binary.BigEndian.Uint16(pkt[x+in.k:]))
		case opLdIndB:
			if in.k > buflen || x >= buflen-in.k {
				return 0
			}
			a = uint32(pkt[x+in.k])
		case opLdLen:
			a = wireLen
		case opLdxLen:
			x = wireLen
		case opLdImm:
			a = in.k
		case opLdxImm:
			x = in.k
		case opLdMem:
			a = mem[in.k%memWords]
		case opLdxMem:
			x = mem[in.k%memWords]
		case opLdxMsh:
			k := in.k
			if k >= buflen {
				return 0
			}
			x = uint32(pkt[k]&0x0f) << 2
		case opSt:
			mem[in.k%memWords] = a
		case opStx:
			mem[in.k%memWords] = x
		case opJa:
			pc = int(in.jt)
		case opJaBack:
			if loops++; loops > maxLoops {
				return 0
			}
			pc = int(in.jt)
		case opJgtK:
			pc = jump(a > in.k, in)
		case opJgeK:
			pc = jump(a >= in.k, in)
		case opJeqK:
			pc = jump(a == in.k, in)
		case opJsetK:
			pc = jump(a&in.k != 0, in)
		case opJgtX:
			pc = jump(a > x, in)
		case opJgeX:
			pc = jump(a >= x, in)
		case opJeqX:
			pc = jump(a == x, in)
		case opJsetX:
			pc = jump(a&x != 0, in)
		case opAddK:
			a += in.k
		case opSubK:
			a -= in.k
		case opMulK:
			a *= in.k
		case opDivK:
			a /= in.k // not zero: load checked
		case opModK:
			a %= in.k
		case opAndK:
			a &= in.k
		case opOrK:
			a |= in.k
		case opXorK:
			a ^= in.k
		case opLshK:
			a <<= in.k // a shift of 32 or more gives 0, as libpcap makes it
		case opRshK:
			a >>= in.k
		case opAddX:
			a += x
		case opSubX:
			a -= x
		case opMulX:
			a *= x
		case opDivX:
			if x == 0 {
				return 0
			}
			a /= x
		case opModX:
			if x == 0 {
				return 0
			}
			a %= x
		case opAndX:
			a &= x
		case opOrX:
			a |= x
		case opXorX:
			a ^= x
		case opLshX:
			a <<= x
		case opRshX:
			a >>= x
		case opNeg:
			a = -a
		case opTax:
			x = a
		case opTxa:
			a = x
		default:
			return 0 // unreachable: load admits only the opcodes above
		}
	}
}

func jump(cond bool, in *insn) int {
	if cond {
		return int(in.jt)
	}
	return int(in.jf)
}
