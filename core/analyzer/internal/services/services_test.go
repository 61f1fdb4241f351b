package services

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/weirnet/weir/core/analyzer"
	"github.com/weirnet/weir/core/analyzer/dcerpc"
	"github.com/weirnet/weir/core/analyzer/dhcp"
	"github.com/weirnet/weir/core/analyzer/ftp"
	"github.com/weirnet/weir/core/analyzer/imap"
	"github.com/weirnet/weir/core/analyzer/internal/antest"
	"github.com/weirnet/weir/core/analyzer/irc"
	"github.com/weirnet/weir/core/analyzer/krb"
	"github.com/weirnet/weir/core/analyzer/modbus"
	"github.com/weirnet/weir/core/analyzer/mysql"
	"github.com/weirnet/weir/core/analyzer/ntp"
	"github.com/weirnet/weir/core/analyzer/pop3"
	"github.com/weirnet/weir/core/analyzer/radius"
	"github.com/weirnet/weir/core/analyzer/rdp"
	"github.com/weirnet/weir/core/analyzer/sip"
	"github.com/weirnet/weir/core/analyzer/smtp"
	"github.com/weirnet/weir/core/analyzer/snmp"
	"github.com/weirnet/weir/core/analyzer/syslog"
	"github.com/weirnet/weir/core/analyzer/xmpp"
)

// all builds every analyzer with its defaults, plus a stand-in for TLS.
func all(t *testing.T) []analyzer.Analyzer {
	t.Helper()
	var out []analyzer.Analyzer
	add := func(a analyzer.Analyzer, err error) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	add(pop3.New(pop3.DefaultConfig()))
	add(imap.New(imap.DefaultConfig()))
	add(smtp.New(smtp.DefaultConfig()))
	add(ftp.New(ftp.DefaultConfig()))
	add(irc.New(irc.DefaultConfig()))
	add(xmpp.New(xmpp.DefaultConfig()))
	add(ntp.New(ntp.DefaultConfig()))
	add(dhcp.New(dhcp.DefaultConfig()))
	add(modbus.New(modbus.DefaultConfig()))
	add(dcerpc.New(dcerpc.DefaultConfig()))
	add(krb.NewUDP(krb.DefaultConfig()))
	add(krb.NewTCP(krb.DefaultConfig()))
	add(snmp.New(snmp.DefaultConfig()))
	add(rdp.New(rdp.DefaultConfig()))
	add(mysql.New(mysql.DefaultConfig()))
	add(sip.New(sip.DefaultConfig()))
	add(radius.New(radius.DefaultConfig()))
	add(syslog.New(syslog.DefaultConfig()))
	return append(out, antest.FakeTLS{})
}

var (
	O  = antest.O
	R  = antest.R
	OB = antest.OB
	RB = antest.RB
)

const clientHello = "\x16\x03\x01\x00\x05hello"

var tcpCases = []struct {
	name   string
	port   uint16
	pieces []antest.Piece
	want   string
}{
	{"pop3-stls", 110, []antest.Piece{
		R("+OK POP3 ready\r\n"), O("CAPA\r\n"), R("+OK\r\nSTLS\r\n.\r\n"), O("STLS\r\n"), R("+OK go ahead\r\n"),
		O(clientHello), R("\x16\x03\x03\x00\x05world"),
	}, "pop3,ssl"},
	{"pop3-other-port", 8110, []antest.Piece{R("+OK POP3 ready\r\n"), O("USER bob\r\n"), R("+OK\r\n")}, "pop3"},
	{"imap-starttls", 143, []antest.Piece{
		R("* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n"), O(". CAPABILITY\r\n"),
		R("* CAPABILITY IMAP4rev1 STARTTLS\r\n. OK done\r\n"), O(". STARTTLS\r\n"), R(". OK Begin TLS negotiation now\r\n"),
		O(clientHello),
	}, "imap,ssl"},
	{"imap-other-port", 10143, []antest.Piece{R("* OK ready\r\n"), O("a1 LOGIN bob secret\r\n"), R("a1 OK\r\n")}, "imap"},
	{"smtp-starttls", 25, []antest.Piece{
		R("220 mail.example.net ESMTP\r\n"), O("EHLO c.example.org\r\n"), R("250-mail.example.net\r\n250 STARTTLS\r\n"),
		O("STARTTLS\r\n"), R("220 2.0.0 Ready to start TLS\r\n"), O(clientHello),
	}, "smtp,ssl"},
	// 220 greetings start both SMTP and FTP; the commands decide.
	{"smtp-other-port", 2525, []antest.Piece{
		R("220 mail.example.net ESMTP\r\n"), O("HELO c\r\n"), R("250 hi\r\n"), O("MAIL FROM:<a@example.org>\r\n"), R("250 ok\r\n"),
	}, "smtp"},
	{"ftp-login", 21, []antest.Piece{
		R("220 FTP ready\r\n"), O("USER anonymous\r\n"), R("331 send password\r\n"), O("PASS x@\r\n"), R("230 in\r\n"),
	}, "ftp"},
	{"ftp-auth-tls-other-port", 2121, []antest.Piece{
		R("220 FTP ready\r\n"), O("AUTH TLS\r\n"), R("234 AUTH TLS ok\r\n"), O(clientHello),
	}, "ftp,ssl"},
	{"irc-starttls", 6667, []antest.Piece{
		O("STARTTLS\r\n"), R(":irc.example.net 670 :STARTTLS successful, go ahead with TLS handshake\r\n"), O(clientHello),
	}, "irc,ssl"},
	{"irc-other-port", 7000, []antest.Piece{
		O("NICK weir\r\nUSER weir 0 * :weir\r\n"), R(":irc.example.net 001 weir :Welcome\r\n"),
	}, "irc"},
	{"xmpp-starttls", 5222, []antest.Piece{
		O("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='example.net' version='1.0'>"),
		R("<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='1' version='1.0'>"),
		R("<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>"),
		O("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"), R("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
		O(clientHello),
	}, "xmpp,ssl"},
	{"xmpp-other-port", 15222, []antest.Piece{
		O("<stream:stream xmlns='jabber:client' to='example.net' version='1.0'>"),
		R("<stream:stream xmlns='jabber:client' id='1' version='1.0'>"),
	}, "xmpp"},
	{"modbus", 502, []antest.Piece{
		OB(antest.Hex("00 01 00 00 00 06 0a 03 00 00 00 02")), RB(antest.Hex("00 01 00 00 00 07 0a 03 04 00 2a 00 2b")),
	}, "modbus"},
	{"modbus-other-port", 5020, []antest.Piece{
		OB(antest.Hex("00 01 00 00 00 06 0a 01 00 00 00 08")), RB(antest.Hex("00 01 00 00 00 04 0a 01 01 55")),
	}, "modbus"},
	{"dce-rpc-on-502", 502, []antest.Piece{
		OB(antest.Hex(`05 00 0b 03 10 00 00 00 48 00 00 00 01 00 00 00 b8 10 b8 10 00 00 00 00
01 00 00 00 00 00 01 00 08 83 af e1 1f 5d c9 11 91 a4 08 00 2b 14 a0 fa 03 00 00 00
04 5d 88 8a eb 1c c9 11 9f e8 08 00 2b 10 48 60 02 00 00 00`)),
		RB(antest.Hex("05 00 0b 03 00 03 00 80 01")),
	}, "dce_rpc"},
	{"krb-tcp", 88, []antest.Piece{OB(krbTCP(asReq()))}, "krb_tcp"},
	{"krb-tcp-other-port", 8888, []antest.Piece{OB(krbTCP(asReq()))}, "krb_tcp"},
	{"rdp-tls", 3389, []antest.Piece{
		OB(rdpRequest),
		RB(antest.Hex("03 00 00 13 0e d0 00 00 12 34 00 02 00 08 00 01 00 00 00")),
		O(clientHello),
	}, "rdp,ssl"},
	{"rdp-other-port", 13389, []antest.Piece{
		OB(rdpRequest),
		RB(antest.Hex("03 00 00 0b 06 d0 00 00 12 34 00")),
	}, "rdp"},
	{"mysql-ssl", 3306, []antest.Piece{RB(mysqlGreeting()), OB(mysqlSSLRequest()), O(clientHello)}, "mysql,ssl"},
	{"mysql-other-port", 13306, []antest.Piece{RB(mysqlGreeting()), OB(mysqlSSLRequest()), O(clientHello)}, "mysql,ssl"},
	{"http-on-110", 110, []antest.Piece{O("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), R("HTTP/1.1 400 Bad Request\r\n\r\n")}, ""},
	{"ssh-on-21", 21, []antest.Piece{R("SSH-2.0-OpenSSH_9.6\r\n"), O("SSH-2.0-OpenSSH_9.6\r\n")}, ""},
	{"tls-on-143", 143, []antest.Piece{O(clientHello)}, ""},
	{"http-on-random-port", 8080, []antest.Piece{O("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), R("HTTP/1.1 200 OK\r\n\r\n")}, ""},
}

func TestTCPServices(t *testing.T) {
	ans := all(t)
	for _, c := range tcpCases {
		t.Run(c.name, func(t *testing.T) {
			rec := antest.TrackTCP(ans, c.port, c.pieces...)
			if rec == nil {
				t.Fatal("no conn record")
			}
			if got := strings.Join(rec.Service, ","); got != c.want {
				t.Errorf("service %q, want %q", got, c.want)
			}
		})
	}
}

func ntpPacket(mode byte) []byte {
	b := make([]byte, 48)
	b[0] = 4<<3 | mode
	b[1], b[2], b[3] = 2, 6, 0xe9
	binary.BigEndian.PutUint64(b[16:], 0xe9e5_3b00_0000_0000)
	binary.BigEndian.PutUint64(b[40:], 0xe9e5_3c10_1234_5678)
	return b
}

func dhcpDiscover() []byte {
	b := make([]byte, 236, 300)
	b[0], b[1], b[2] = 1, 1, 6
	b = append(b, 99, 130, 83, 99, 53, 1, 1, 255)
	return b
}

func TestUDPServices(t *testing.T) {
	ans := all(t)
	cases := []struct {
		name   string
		port   uint16
		pieces []antest.Piece
		want   string
	}{
		{"ntp", 123, []antest.Piece{OB(ntpPacket(3)), RB(ntpPacket(4))}, "ntp"},
		{"ntp-reply-first", 123, []antest.Piece{RB(ntpPacket(4)), OB(ntpPacket(3))}, "ntp"},
		{"ntp-other-port", 10123, []antest.Piece{OB(ntpPacket(3)), RB(ntpPacket(4))}, "ntp"},
		{"dhcp", 67, []antest.Piece{OB(dhcpDiscover())}, "dhcp"},
		{"dhcp-other-port", 1067, []antest.Piece{OB(dhcpDiscover())}, "dhcp"},
		{"krb", 88, []antest.Piece{OB(asReq())}, "krb"},
		{"krb-other-port", 8888, []antest.Piece{OB(asReq())}, "krb"},
		{"snmp", 161, []antest.Piece{OB(snmpGet)}, "snmp"},
		{"snmp-other-port", 1161, []antest.Piece{OB(snmpGet)}, "snmp"},
		{"sip", 5060, []antest.Piece{O(sipOptions)}, "sip"},
		{"sip-other-port", 15060, []antest.Piece{O(sipOptions)}, "sip"},
		{"radius", 1812, []antest.Piece{OB(radiusRequest)}, "radius"},
		{"radius-other-port", 11812, []antest.Piece{OB(radiusRequest)}, "radius"},
		{"syslog", 514, []antest.Piece{O("<13>kernel: link up")}, "syslog"},
		{"syslog-other-port", 5514, []antest.Piece{O("<13>Feb  5 17:32:18 host kernel: link up")}, "syslog"},
		{"text-other-port", 5514, []antest.Piece{O("hello there")}, ""},
		{"dns-on-123", 123, []antest.Piece{OB(antest.Hex("12 34 01 00 00 01 00 00 00 00 00 00 03 77 77 77 00 00 01 00 01"))}, ""},
		{"zeros-on-random-port", 9999, []antest.Piece{OB(make([]byte, 48)), RB(make([]byte, 300))}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := antest.TrackUDP(ans, c.port, c.pieces...)
			if rec == nil {
				t.Fatal("no conn record")
			}
			if got := strings.Join(rec.Service, ","); got != c.want {
				t.Errorf("service %q, want %q", got, c.want)
			}
		})
	}
}

// asReq is a minimal Kerberos AS-REQ.
func asReq() []byte {
	return antest.Hex(`6a 2e 30 2c a1 03 02 01 05 a2 03 02 01 0a a4 20 30 1e a0 07 03 05 00 50 80 00 10
a2 0d 1b 0b 45 58 41 4d 50 4c 45 2e 4e 45 54 a7 04 02 02 01 2a`)
}

func krbTCP(m []byte) []byte { return append(binary.BigEndian.AppendUint32(nil, uint32(len(m))), m...) }

var snmpGet = antest.Hex(`30 29 02 01 01 04 06 70 75 62 6c 69 63 a0 1c 02 04 12 34 56 78 02 01 00 02 01 00
30 0e 30 0c 06 08 2b 06 01 02 01 01 01 00 05 00`)

const sipOptions = "OPTIONS sip:carol@example.net SIP/2.0\r\nVia: SIP/2.0/UDP pc33.example.org\r\n" +
	"Call-ID: a84b4c76e66710\r\nCSeq: 63104 OPTIONS\r\n\r\n"

var radiusRequest = antest.Hex(`01 07 00 1f 30 31 32 33 34 35 36 37 38 39 61 62 63 64 65 66 01 05 62 6f 62 04 06 c6 12 00 01`)

func mysqlGreeting() []byte {
	p := append([]byte{10}, "8.0.36\x00"...)
	p = append(p, 0x0b, 0, 0, 0)
	p = append(p, "abcdefgh\x00"...)
	p = append(p, 0xff, 0xff, 0xff, 0x02, 0, 0xff, 0xdf, 21, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
	p = append(p, "ijklmnopqrst\x00caching_sha2_password\x00"...)
	return append([]byte{byte(len(p)), 0, 0, 0}, p...)
}

func mysqlSSLRequest() []byte {
	p := binary.LittleEndian.AppendUint32(nil, 0x0200|0x0800|0x000fa685)
	p = binary.LittleEndian.AppendUint32(p, 1<<24)
	p = append(p, 0xff)
	p = append(p, make([]byte, 23)...)
	return append([]byte{byte(len(p)), 0, 0, 1}, p...)
}

// rdpRequest is an X.224 Connection Request with a cookie and a
// negotiation request for TLS and CredSSP.
var rdpRequest = antest.Hex("03 00 00 27 22 e0 00 00 00 00 00 43 6f 6f 6b 69 65 3a 20 6d 73 74 73 68 61 73 68 3d 61 0d 0a 01 00 08 00 03 00 00 00")
