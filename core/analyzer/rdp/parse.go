package rdp

import (
	"bytes"
	"encoding/binary"
)

const (
	tpktHeader = 4
	x224Fixed  = 7 // length indicator, code, dst-ref, src-ref, class
	minPDU     = tpktHeader + x224Fixed
	maxPDU     = 1024 // Connection Request and Confirm are small
	codeCR     = 0xe0 // X.224 Connection Request
	codeCC     = 0xd0 // X.224 Connection Confirm
	negReq     = 0x01
	negRsp     = 0x02
	negFailure = 0x03
	negLen     = 8
	// An RDP_NEG_CORRELATION_INFO may follow the negotiation request.
	correlationInfo = 0x06
	correlationLen  = 36
)

// tpktLen checks what has arrived of a TPKT carrying an X.224 PDU with
// the given code and returns the TPKT length (0 while the header is
// incomplete), or why it is not one.
func tpktLen(b []byte, code byte) (int, string) {
	for i, c := range b[:min(len(b), 7)] {
		switch {
		case i == 0 && c != 3, i == 1 && c != 0:
			return 0, "not a TPKT version 3 header"
		case i == 5 && c&0xf0 != code&0xf0:
			return 0, "unexpected X.224 PDU type"
		}
	}
	if len(b) < tpktHeader+2 {
		return 0, ""
	}
	n := int(binary.BigEndian.Uint16(b[2:4]))
	if n < minPDU || n > maxPDU {
		return 0, "TPKT length out of range"
	}
	if int(b[4]) != n-tpktHeader-1 {
		return 0, "X.224 length indicator disagrees with the TPKT"
	}
	return n, ""
}

// checkPDU checks a complete Connection Request or Confirm (code) and
// returns, for a confirm, the selected protocol of its negotiation
// response (0 without one).
func checkPDU(b []byte, code byte) (selected uint32, err string) {
	if b[5]&0xf0 != code&0xf0 {
		return 0, "unexpected X.224 PDU type"
	}
	if b[10]&0xf0 != 0 {
		return 0, "X.224 class is not 0"
	}
	v := b[minPDU:]
	if code == codeCR {
		// A cookie or routing token ends with CRLF; a negotiation
		// request follows.
		if i := bytes.Index(v, []byte("\r\n")); i >= 0 {
			for _, c := range v[:i] {
				if c < 0x20 || c > 0x7e {
					return 0, "cookie is not text"
				}
			}
			v = v[i+2:]
		}
		switch {
		case len(v) == 0:
			return 0, ""
		case (len(v) == negLen || len(v) == negLen+correlationLen && v[negLen] == correlationInfo) &&
			v[0] == negReq && binary.LittleEndian.Uint16(v[2:4]) == negLen:
			return 0, ""
		}
		return 0, "bad negotiation request"
	}
	switch {
	case len(v) == 0:
		return 0, ""
	case len(v) == negLen && (v[0] == negRsp || v[0] == negFailure) && binary.LittleEndian.Uint16(v[2:4]) == negLen:
		if v[0] == negRsp {
			return binary.LittleEndian.Uint32(v[4:8]), ""
		}
		return 0, ""
	}
	return 0, "bad negotiation response"
}
