package modbus

import "encoding/binary"

const (
	headerLen = 8   // MBAP (7 bytes) and the function code
	maxADU    = 260 // 7-byte MBAP and a 253-byte PDU
	minLength = 2   // MBAP length: unit id and function code
	maxLength = 254
)

// Public function codes the checks know.
const (
	fcReadCoils          = 1
	fcReadDiscreteInputs = 2
	fcReadHolding        = 3
	fcReadInput          = 4
	fcWriteCoil          = 5
	fcWriteRegister      = 6
	fcWriteCoils         = 15
	fcWriteRegisters     = 16
)

// publicCode reports the public function codes of the specification
// (section 5.1), for detection.
func publicCode(fc byte) bool {
	switch fc {
	case 1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 15, 16, 17, 20, 21, 22, 23, 24, 43:
		return true
	}
	return false
}

// frameLen returns the length of the frame b starts with, from its MBAP
// header (b holds at least headerLen bytes), or why the header is invalid.
func frameLen(b []byte) (int, string) {
	if pid := binary.BigEndian.Uint16(b[2:4]); pid != 0 {
		return 0, "protocol id is not 0"
	}
	l := int(binary.BigEndian.Uint16(b[4:6]))
	if l < minLength || l > maxLength {
		return 0, "MBAP length out of range"
	}
	return 6 + l, ""
}

// checkFrame returns why the complete frame f is not a valid request
// (isReq) or response, or "".
func checkFrame(f []byte, isReq bool) string {
	fc := f[7]
	data := f[headerLen:]
	u16 := func(i int) int { return int(binary.BigEndian.Uint16(data[i:])) }
	if fc == 0 {
		return "function code 0"
	}
	if fc >= 0x80 {
		if isReq {
			return "exception code in a request"
		}
		if len(data) != 1 || data[0] == 0 {
			return "malformed exception response"
		}
		return ""
	}
	switch fc {
	case fcReadCoils, fcReadDiscreteInputs, fcReadHolding, fcReadInput:
		if isReq {
			if len(data) != 4 {
				return "read request is not 4 bytes"
			}
			q, max := u16(2), 2000
			if fc == fcReadHolding || fc == fcReadInput {
				max = 125
			}
			if q < 1 || q > max {
				return "read quantity out of range"
			}
			return ""
		}
		if len(data) < 1 || int(data[0]) != len(data)-1 {
			return "read response byte count does not match"
		}
		if (fc == fcReadHolding || fc == fcReadInput) && data[0]%2 != 0 {
			return "odd register byte count"
		}
	case fcWriteCoil:
		if len(data) != 4 || (u16(2) != 0 && u16(2) != 0xff00) {
			return "bad write single coil"
		}
	case fcWriteRegister:
		if len(data) != 4 {
			return "bad write single register"
		}
	case fcWriteCoils, fcWriteRegisters:
		if !isReq {
			if len(data) != 4 {
				return "bad write multiple response"
			}
			return ""
		}
		if len(data) < 5 {
			return "short write multiple request"
		}
		q, bc := u16(2), int(data[4])
		want := (q + 7) / 8
		if fc == fcWriteRegisters {
			want = 2 * q
		}
		if q < 1 || bc != want || len(data) != 5+bc {
			return "write multiple byte count does not match"
		}
	}
	return ""
}
