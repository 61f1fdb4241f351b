package irc

import "bytes"

// message is the parsed shape of one IRC line; command aliases the line.
type message struct {
	command []byte
	nparams int
	prefix  bool // the message names its source (":server.example.net ")
}

func (m message) is(cmd string) bool { return bytes.EqualFold(m.command, []byte(cmd)) }

func (m message) numeric() bool { return len(m.command) == 3 && isDigit(m.command[0]) }

func (m message) code() int {
	if !m.numeric() {
		return 0
	}
	return int(m.command[0]-'0')*100 + int(m.command[1]-'0')*10 + int(m.command[2]-'0')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// maxCommand is the longest command word accepted (Zeek reports longer
// ones as irc_invalid_command).
const maxCommand = 20

// parse parses "[@tags ][:prefix ]command[ params]" (RFC 2812 section
// 2.3.1, IRCv3 message tags). ok is false if the line is not an IRC
// message: an empty command, a command neither letters nor three digits,
// or control characters other than the CTCP and formatting ones.
func parse(line []byte) (m message, ok bool) {
	line = bytes.TrimLeft(line, " ")
	if len(line) > 0 && line[0] == '@' {
		_, rest, found := bytes.Cut(line, []byte(" "))
		if !found {
			return m, false
		}
		line = bytes.TrimLeft(rest, " ")
	}
	if len(line) > 0 && line[0] == ':' {
		prefix, rest, found := bytes.Cut(line, []byte(" "))
		if !found || len(prefix) < 2 {
			return m, false
		}
		line = bytes.TrimLeft(rest, " ")
		m.prefix = true
	}
	cmd, params, _ := bytes.Cut(line, []byte(" "))
	if len(cmd) == 0 || len(cmd) > maxCommand {
		return m, false
	}
	if isDigit(cmd[0]) {
		if len(cmd) != 3 || !isDigit(cmd[1]) || !isDigit(cmd[2]) {
			return m, false
		}
	} else {
		for _, c := range cmd {
			if !isLetter(c) {
				return m, false
			}
		}
	}
	for _, c := range params {
		if c < ' ' && c != 1 && c != 2 && c != 3 && c != 0x0f && c != 0x16 && c != 0x1d && c != 0x1f && c != '\t' {
			return m, false
		}
	}
	m.command = cmd
	for len(params) > 0 {
		params = bytes.TrimLeft(params, " ")
		if len(params) == 0 {
			break
		}
		m.nparams++
		if params[0] == ':' {
			break // the trailing parameter takes the rest
		}
		_, params, _ = bytes.Cut(params, []byte(" "))
	}
	return m, true
}
