package dcerpc

import "encoding/binary"

const (
	headerLen = 16
	// keepLen is how much of a PDU the session looks at: the header, the
	// bind fields and the first presentation context with one transfer
	// syntax.
	keepLen = headerLen + 12 + 4 + 20 + 20
)

// Connection-oriented packet types.
const (
	ptRequest          = 0
	ptResponse         = 2
	ptFault            = 3
	ptBind             = 11
	ptBindAck          = 12
	ptBindNak          = 13
	ptAlterContext     = 14
	ptAlterContextResp = 15
	ptAuth3            = 16
	ptShutdown         = 17
	ptCoCancel         = 18
	ptOrphaned         = 19
)

// fromClient and fromServer report which side sends a packet type.
func fromClient(pt byte) bool {
	switch pt {
	case ptRequest, ptBind, ptAlterContext, ptAuth3, ptCoCancel, ptOrphaned:
		return true
	}
	return false
}

func fromServer(pt byte) bool {
	switch pt {
	case ptResponse, ptFault, ptBindAck, ptBindNak, ptAlterContextResp, ptShutdown:
		return true
	}
	return false
}

// checkPrefix validates what has arrived of a common header (fewer than
// 16 bytes) so that other protocols are refused early.
func checkPrefix(h []byte, isOrig bool) string {
	for i, c := range h[:min(len(h), 8)] {
		switch i {
		case 0:
			if c != 5 {
				return "not DCE-RPC version 5"
			}
		case 1:
			if c > 1 {
				return "not DCE-RPC version 5.0 or 5.1"
			}
		case 2:
			if isOrig && !fromClient(c) || !isOrig && !fromServer(c) {
				return "packet type not sent by this side"
			}
		case 4:
			if c&0xee != 0 {
				return "bad data representation"
			}
		case 5:
			if c > 3 {
				return "bad data representation"
			}
		case 6, 7:
			if c != 0 {
				return "bad data representation"
			}
		}
	}
	return ""
}

// checkHeader validates a 16-byte common header sent by the originator
// (isOrig) or the responder and returns the PDU's fragment length, or why
// the header is invalid. The byte order of the length fields follows the
// data representation.
func checkHeader(h []byte, isOrig bool) (int, string) {
	// Version, packet type by side, and the data representation: integer
	// and character format, float format, two reserved zero bytes.
	if err := checkPrefix(h, isOrig); err != "" {
		return 0, err
	}
	var order binary.ByteOrder = binary.BigEndian
	if h[4]&0x10 != 0 {
		order = binary.LittleEndian
	}
	frag := int(order.Uint16(h[8:10]))
	auth := int(order.Uint16(h[10:12]))
	min := headerLen
	if auth > 0 {
		min += 8 + auth // the sec_trailer precedes the credentials
	}
	if frag < min {
		return 0, "fragment length shorter than its header"
	}
	return frag, ""
}

// checkBody validates what a PDU's packet type requires of its first
// bytes p (up to keepLen of them, all of the PDU if it is shorter).
func checkBody(p []byte) string {
	frag := len(p)
	switch p[2] {
	case ptBind, ptAlterContext:
		// max_xmit_frag, max_recv_frag, assoc_group_id, n_context_elem,
		// three reserved bytes, then p_cont_id, n_transfer_syn, reserved,
		// abstract syntax, transfer syntaxes.
		if frag < headerLen+12+4+20 {
			return "bind shorter than one presentation context"
		}
		nctx := p[headerLen+8]
		nts := p[headerLen+12+2]
		if nctx == 0 || nts == 0 {
			return "bind without presentation context or transfer syntax"
		}
	case ptBindAck, ptAlterContextResp:
		// max_xmit_frag, max_recv_frag, assoc_group_id, sec_addr length.
		if frag < headerLen+10 {
			return "bind_ack too short"
		}
	case ptRequest:
		// alloc_hint, p_cont_id, opnum.
		if frag < headerLen+8 {
			return "request too short"
		}
	case ptResponse, ptFault:
		if frag < headerLen+8 {
			return "response too short"
		}
	}
	return ""
}
