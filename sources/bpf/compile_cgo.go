//go:build cgo

package bpf

/*
#cgo LDFLAGS: -lpcap
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <pcap.h>

// The file's link type as libpcap should see it. 12 and 14 are DLT_RAW
// on one system or another and appear in files from careless writers;
// weir reads them as raw IP, and so must the filter.
static int weir_linktype(int linktype) {
	return (linktype == 12 || linktype == 14) ? 101 : linktype;
}

static void weir_put32(unsigned char *b, uint32_t v, int big) {
	for (int i = 0; i < 4; i++)
		b[big ? i : 3 - i] = (unsigned char)(v >> (24 - 8 * i));
}

static void weir_put16(unsigned char *b, uint16_t v, int big) {
	b[big ? 0 : 1] = (unsigned char)(v >> 8);
	b[big ? 1 : 0] = (unsigned char)v;
}

// weir_compile compiles expr as libpcap would for a capture file of the
// given link type, snap length and byte order. It opens a real savefile
// handle (a pcap file header in memory) rather than pcap_open_dead,
// because libpcap compiles some expressions differently for files: "ip6"
// on BSD loopback then checks every platform's AF_INET6 value rather than
// this one's, and the family is compared in the file's byte order. On
// failure it copies libpcap's message into errbuf.
static int weir_compile(int linktype, int snaplen, int big, const char *expr,
		struct bpf_program *prog, char *errbuf) {
	unsigned char hdr[24];
	weir_put32(hdr, 0xa1b2c3d4, big);
	weir_put16(hdr + 4, 2, big);
	weir_put16(hdr + 6, 4, big);
	memset(hdr + 8, 0, 8);
	weir_put32(hdr + 16, (uint32_t)snaplen, big);
	weir_put32(hdr + 20, (uint32_t)weir_linktype(linktype), big);

	FILE *fp = fmemopen(hdr, sizeof hdr, "rb");
	if (fp == NULL) {
		snprintf(errbuf, PCAP_ERRBUF_SIZE, "fmemopen failed");
		return -1;
	}
	pcap_t *p = pcap_fopen_offline(fp, errbuf);
	if (p == NULL) {
		fclose(fp);
		return -1;
	}
	int rc = pcap_compile(p, prog, expr, 1, PCAP_NETMASK_UNKNOWN);
	if (rc != 0)
		snprintf(errbuf, PCAP_ERRBUF_SIZE, "%s", pcap_geterr(p));
	pcap_close(p); // closes fp
	return rc;
}

// weir_link_name is libpcap's name for a link type ("EN10MB"), or NULL.
static const char *weir_link_name(int linktype) {
	switch (weir_linktype(linktype)) {
	case 101: return "RAW";
	case 100: return pcap_datalink_val_to_name(DLT_ATM_RFC1483);
	case 102: return pcap_datalink_val_to_name(DLT_SLIP_BSDOS);
	case 103: return pcap_datalink_val_to_name(DLT_PPP_BSDOS);
	case 106: return pcap_datalink_val_to_name(DLT_ATM_CLIP);
	}
	return pcap_datalink_val_to_name(linktype);
}
*/
import "C"

import (
	"sync"
	"unsafe"

	"golang.org/x/net/bpf"
)

// libpcap's compiler was not reentrant before 1.8; serialising costs
// nothing, as filters are compiled once per link type.
var compileMu sync.Mutex

func compile(expr string, link uint32, snaplen int, bigEndian bool) ([]bpf.RawInstruction, string) {
	cexpr := C.CString(expr)
	defer C.free(unsafe.Pointer(cexpr))
	errbuf := (*C.char)(C.calloc(C.PCAP_ERRBUF_SIZE, 1))
	defer C.free(unsafe.Pointer(errbuf))
	big := C.int(0)
	if bigEndian {
		big = 1
	}
	var prog C.struct_bpf_program

	compileMu.Lock()
	defer compileMu.Unlock()
	if C.weir_compile(C.int(link), C.int(snaplen), big, cexpr, &prog, errbuf) != 0 {
		return nil, C.GoString(errbuf)
	}
	defer C.pcap_freecode(&prog)
	insns := unsafe.Slice(prog.bf_insns, prog.bf_len)
	out := make([]bpf.RawInstruction, len(insns))
	for i, in := range insns {
		out[i] = bpf.RawInstruction{Op: uint16(in.code), Jt: uint8(in.jt), Jf: uint8(in.jf), K: uint32(in.k)}
	}
	return out, ""
}

// linkName is libpcap's name for a link type, for messages.
func linkName(link uint32) string {
	if name := C.weir_link_name(C.int(link)); name != nil {
		return C.GoString(name)
	}
	return ""
}
