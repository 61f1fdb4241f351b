package event

// HTTP is one HTTP request/response pair: Zeek's http.log record. Owned by
// core/analyzer/http, which publishes it as KindHTTPTransaction when the
// reply is complete, when too many requests are pending, or when the
// connection ends with the pair still open.
//
// Zeek distinguishes an unset field ("-") from an empty string
// ("(empty)"): an optional field counts as set only when its bit is in Set,
// whatever its Go value. Strings hold bytes as they were on the wire
// (after URI unescaping for URI); the log writer escapes them.
type HTTP struct {
	TS  int64 // network time of the first message of the pair (ns)
	UID string
	ID  ConnID

	// TransDepth is the position of the pair in the connection, from 1
	// (Zeek's trans_depth: pipelined requests count up).
	TransDepth uint64

	Method    string // request method as sent (HTTPMethod)
	Host      string // raw Host header, port included (HTTPHost)
	URI       string // request URI, percent-escapes decoded (HTTPURI)
	Referrer  string // Referer header (HTTPReferrer)
	Version   string // version of the reply, "1.1", "0.9" (HTTPVersion)
	UserAgent string // User-Agent header (HTTPUserAgent)
	Origin    string // Origin header (HTTPOrigin)

	// Body lengths after removing chunked framing and content encoding
	// (gzip, deflate), as Zeek counts them. Always set (default 0).
	RequestBodyLen  uint64
	ResponseBodyLen uint64

	StatusCode uint64 // final reply's code; 0 for an HTTP/0.9 reply (HTTPStatusCode)
	StatusMsg  string // its reason phrase, "<empty>" when missing (HTTPStatusMsg)
	InfoCode   uint64 // last 1xx interim reply's code (HTTPInfoCode)
	InfoMsg    string // its reason phrase (HTTPInfoMsg)

	// Tags is Zeek's set of HTTP::Tags: always empty, logged as (empty).
	Tags []string

	Username string // from Basic authorization (HTTPUsername)
	Password string // only when password capture is configured (HTTPPassword)

	// Proxied lists proxy-revealing request headers as "NAME -> value"
	// (upper-case name), in the order first seen, without duplicates.
	// Unset when nil.
	Proxied []string

	// Per message body and per multipart part, in order: file names from
	// Content-Disposition (or Content-Type name=) and MIME types sniffed
	// from the content. A vector is unset when nil.
	OrigFilenames []string
	OrigMIMETypes []string
	RespFilenames []string
	RespMIMETypes []string

	// Set says which optional fields hold a value.
	Set HTTPField
}

// HTTPField names the optional fields of an HTTP record, as bits.
type HTTPField uint32

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
