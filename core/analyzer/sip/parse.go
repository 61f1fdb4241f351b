package sip

import "bytes"

var methods = []string{
	"INVITE", "ACK", "BYE", "CANCEL", "REGISTER", "OPTIONS", "PRACK",
	"SUBSCRIBE", "NOTIFY", "PUBLISH", "INFO", "REFER", "MESSAGE", "UPDATE",
}

// maxHeaderLines bounds the header lines check looks at.
const maxHeaderLines = 64

// check returns why b is not a SIP message, or "".
func check(b []byte) string {
	line, rest, ok := cutLine(b)
	if !ok {
		return "no start line"
	}
	if err := checkStartLine(line); err != "" {
		return err
	}
	var via, callID bool
	for i := 0; i < maxHeaderLines; i++ {
		line, rest, ok = cutLine(rest)
		if !ok {
			return "headers do not end"
		}
		if len(line) == 0 {
			break
		}
		name, _, found := bytes.Cut(line, []byte(":"))
		if !found {
			if line[0] == ' ' || line[0] == '\t' {
				continue // folded header line
			}
			return "header line without a colon"
		}
		name = bytes.TrimRight(name, " \t")
		switch {
		case bytes.EqualFold(name, []byte("Via")), bytes.EqualFold(name, []byte("v")):
			via = true
		case bytes.EqualFold(name, []byte("Call-ID")), bytes.EqualFold(name, []byte("i")):
			callID = true
		}
		if via && callID {
			return ""
		}
	}
	return "no Via and Call-ID headers"
}

func checkStartLine(line []byte) string {
	if rest, ok := bytes.CutPrefix(line, []byte("SIP/2.0 ")); ok {
		if len(rest) < 4 || rest[0] < '1' || rest[0] > '6' || !isDigit(rest[1]) || !isDigit(rest[2]) || rest[3] != ' ' {
			return "bad status line"
		}
		return ""
	}
	method, rest, _ := bytes.Cut(line, []byte(" "))
	known := false
	for _, m := range methods {
		if string(method) == m {
			known = true
			break
		}
	}
	if !known {
		return "unknown method"
	}
	uri, version, _ := bytes.Cut(rest, []byte(" "))
	if !bytes.HasPrefix(uri, []byte("sip:")) && !bytes.HasPrefix(uri, []byte("sips:")) && !bytes.HasPrefix(uri, []byte("tel:")) {
		return "request URI is not sip:, sips: or tel:"
	}
	if string(version) != "SIP/2.0" {
		return "not SIP/2.0"
	}
	return ""
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// cutLine returns the line at the start of b without its CRLF (or LF).
func cutLine(b []byte) (line, rest []byte, ok bool) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return nil, nil, false
	}
	line = b[:i]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, b[i+1:], true
}

func detectable(b []byte) bool { return check(b) == "" }
