package event

// The protocol analyzers' events, mirroring core/event. Strings hold the
// bytes as they were on the wire (not necessarily UTF-8); a log writer
// escapes them. Times are network time in ns.

// HTTP is one HTTP request and its reply: Zeek's http.log record
// (HTTPTransaction). Whether an optional field is set (Zeek's "-" versus
// "(empty)") is in Set, whatever its Go value.
type HTTP struct {
	TS  int64 // first message of the pair
	UID string
	ID  ConnID

	TransDepth uint64 // position of the pair in the connection, from 1

	Method    string
	Host      string // Host header, port included
	URI       string // percent-escapes decoded
	Referrer  string
	Version   string // of the reply: "1.1", "0.9"
	UserAgent string
	Origin    string

	RequestBodyLen  uint64 // after chunked framing and content encoding
	ResponseBodyLen uint64

	StatusCode uint64 // final reply's; 0 for HTTP/0.9
	StatusMsg  string
	InfoCode   uint64 // last 1xx reply's
	InfoMsg    string

	Tags     []string
	Username string // from Basic authorization
	Password string // only when password capture is configured
	Proxied  []string

	OrigFilenames []string
	OrigMIMETypes []string
	RespFilenames []string
	RespMIMETypes []string

	Set HTTPField
}

// HTTPField names the optional fields of an HTTP record, as bits.
type HTTPField uint32

// The optional fields of HTTP.
const (
	HTTPMethod HTTPField = 1 << iota
	HTTPHost
	HTTPURI
	HTTPReferrer
	HTTPVersion
	HTTPUserAgent
	HTTPOrigin
	HTTPStatusCode
	HTTPStatusMsg
	HTTPInfoCode
	HTTPInfoMsg
	HTTPUsername
	HTTPPassword
)

// Has reports whether every field in f is set.
func (h *HTTP) Has(f HTTPField) bool { return h.Set&f == f }

// SSH is one SSH session's handshake summary: Zeek's ssh.log record
// (SSHHandshake).
type SSH struct {
	TS  int64 // first version banner
	UID string
	ID  ConnID

	Version    uint8 // protocol major version both sides agreed on
	HasVersion bool

	AuthSuccess  Tristate
	AuthAttempts uint64

	Direction string // "INBOUND", "OUTBOUND" or empty

	Client string // client's version banner
	Server string // server's version banner

	CipherAlg      string
	MACAlg         string
	CompressionAlg string
	KexAlg         string
	HostKeyAlg     string
	HostKey        string // MD5 fingerprint of the server's host key
}

// TLS is one TLS or DTLS handshake summary: Zeek's ssl.log record
// (TLSHandshake).
type TLS struct {
	UID string
	ID  ConnID
	TS  int64 // first SSL/TLS message

	VersionNum uint16
	Version    string // "TLSv12", ...
	Cipher     string
	Curve      string

	ServerName    string
	HasServerName bool

	Resumed   bool
	LastAlert string

	NextProtocol    string // ALPN chosen by the server
	HasNextProtocol bool

	Established bool
	History     string

	CertChainFPs       []string
	ClientCertChainFPs []string

	Subject, Issuer             string
	HasSubject                  bool
	ClientSubject, ClientIssuer string
	HasClientSubject            bool

	SNIMatchesCert Tristate

	JA3, JA3S, JA4 string
}

// DNS is one DNS query and its answers: Zeek's dns.log record
// (DNSMessage).
type DNS struct {
	TS    int64 // first message of the transaction
	UID   string
	ID    ConnID
	Proto Transport

	TransID uint16

	RTT    int64 // from the first message to the reply
	HasRTT bool

	Query    string
	HasQuery bool

	QClass     uint16
	QClassName string
	QType      uint16
	QTypeName  string
	HasQType   bool

	RCode     uint16
	RCodeName string
	HasRCode  bool

	AA, TC, RD, RA bool
	Z              uint8

	Answers []string
	TTLs    []int64 // ns, one per answer

	Rejected bool

	Opcode     uint8
	OpcodeName string
}
