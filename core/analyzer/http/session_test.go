package http

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"slices"
	"strings"
	"testing"
)

// Expected records are written like http.log lines from trans_depth on
// (see logLine): depth method host uri referrer version user_agent origin
// request_body_len response_body_len status_code status_msg info_code
// info_msg tags username password proxied orig_filenames orig_mime_types
// resp_filenames resp_mime_types.

func gz(s string) string {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

const multipartBody = "------WebKitFormBoundaryBtae\r\n" +
	"Content-Disposition: form-data; name=\"file1\"; filename=\"test.txt\"\r\nContent-Type: text/plain\r\n\r\n" +
	"aaaaaaaaaaaa\naaaa\r\n" +
	"------WebKitFormBoundaryBtae\r\n" +
	"Content-Disposition: form-data; name=\"field\"\r\n\r\n" +
	"value\r\n" +
	"------WebKitFormBoundaryBtae--\r\n"

const htmlBody = "<!DOCTYPE html>\n<html><body>hello</body></html>\n"

var sessionCases = []struct {
	name    string
	cfg     func(*Config)
	steps   []step
	want    []string
	weirds  []string // must all be reported
	noWeird []string // must not be reported
	// bytewise: the same result when every byte arrives alone.
	notBytewise bool
}{
	{
		name: "get with content-length",
		steps: []step{
			o("GET /index.html HTTP/1.1\r\nHost: example.test\r\nUser-Agent: curl/8.0\r\nAccept: */*\r\n\r\n"),
			r("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: " + itoa(len(htmlBody)) + "\r\n\r\n" + htmlBody),
		},
		want: []string{"1 GET example.test /index.html - 1.1 curl/8.0 - 0 " + itoa(len(htmlBody)) + " 200 OK - - (empty) - - - - - - text/html"},
	},
	{
		name: "keep-alive and pipelining",
		steps: []step{
			o("GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\nHEAD /c HTTP/1.1\r\nHost: h\r\n\r\n"),
			r("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"),
			r("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"),
		},
		want: []string{
			"1 GET h /a - 1.1 - - 0 3 200 OK - - (empty) - - - - - - -",
			"2 GET h /b - 1.1 - - 0 0 404 Not Found - - (empty) - - - - - - -",
			"3 HEAD h /c - 1.1 - - 0 0 200 OK - - (empty) - - - - - - -",
		},
	},
	{
		name: "chunked reply with trailer",
		steps: []step{
			o("GET /c HTTP/1.1\r\nHost: h\r\n\r\n"),
			r("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n"),
			o("GET /d HTTP/1.1\r\nHost: h\r\n\r\n"),
			r("HTTP/1.1 204 No Content\r\n\r\n"),
		},
		want: []string{
			"1 GET h /c - 1.1 - - 0 11 200 OK - - (empty) - - - - - - text/plain",
			"2 GET h /d - 1.1 - - 0 0 204 No Content - - (empty) - - - - - - -",
		},
	},
	{
		name: "chunked is only for HTTP/1.1",
		steps: []step{
			o("GET / HTTP/1.0\r\n\r\n"),
			r("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
			rEOF(),
		},
		// Read line by line to the end: every line counts 2 for its CRLF.
		want: []string{"1 GET - / - 1.0 - - 0 15 200 OK - - (empty) - - - - - - text/plain"},
	},
	{
		name: "100 continue then the final reply",
		steps: []step{
			o("POST /up HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 11\r\n\r\n"),
			r("HTTP/1.1 100 Continue\r\n\r\n"),
			o("hello world"),
			r("HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"),
		},
		want: []string{"1 POST h /up - 1.1 - - 11 2 201 Created 100 Continue (empty) - - - - text/plain - -"},
	},
	{
		name: "post body and 404",
		steps: []step{
			o("POST /form HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nContent-Length: 17\r\n\r\n{\"key\": \"value\"}\n"),
			r("HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found"),
		},
		want: []string{"1 POST h /form - 1.1 - - 17 9 404 Not Found - - (empty) - - - - text/json - -"},
	},
	{
		name: "reply without request",
		steps: []step{
			r("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"),
		},
		want: []string{"1 - - - - 1.1 - - 0 2 200 OK - - (empty) - - - - - - -"},
	},
	{
		name: "request without reply",
		steps: []step{
			o("GET /x HTTP/1.1\r\nHost: h\r\nReferer: http://h/\r\nOrigin: http://h\r\n\r\n"),
		},
		want: []string{"1 GET h /x http://h/ - - http://h 0 0 - - - - (empty) - - - - - - -"},
	},
	{
		name: "reply body cut by the connection end",
		steps: []step{
			o("GET /big HTTP/1.1\r\nHost: h\r\n\r\n"),
			r("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + strings.Repeat("x", 5000)),
		},
		want: []string{"1 GET h /big - 1.1 - - 0 5000 200 OK - - (empty) - - - - - - text/plain"},
	},
	{
		name: "body until the close",
		steps: []step{
			o("GET / HTTP/1.1\r\nHost: h\r\n\r\n"),
			r("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n<html><head></head></html>"),
			rEOF(),
		},
		want: []string{"1 GET h / - 1.1 - - 0 26 200 OK - - (empty) - - - - - - text/html"},
	},
	{
		name: "HTTP/0.9",
		steps: []step{
			o("GET /zeek.html\n"),
			r("<html>\n  The Zeek Network Security Monitor\n</html>\n"),
			rEOF(),
			oEOF(),
		},
		want: []string{
			"1 GET - /zeek.html - 0.9 - - 0 51 0 <empty> - - (empty) - - - - - - text/html",
			"2 - - - - - - - 0 0 - - - - (empty) - - - - - - -",
		},
		weirds: []string{},
	},
	{
		name: "HTTP/0.9 client closes first",
		steps: []step{
			o("GET /zeek.html\n"),
			r("<html>\n  The Zeek Network Security Monitor\n</html>\n"),
			oEOF(),
			rEOF(),
		},
		want: []string{"1 GET - /zeek.html - 0.9 - - 0 51 0 <empty> - - (empty) - - - - - - text/html"},
	},
	{
		name: "no version after a request",
		steps: []step{
			o("GET /cgi-bin/formmail.pl?email=f2@aol.com&msg=w00t\r\n"),
			r("<HTML><HEAD><TITLE>404 Not Found</TITLE></HEAD></HTML>\n"),
			rEOF(),
			oEOF(),
		},
		want: []string{
			"1 GET - /cgi-bin/formmail.pl?email=f2@aol.com&msg=w00t - 0.9 - - 0 55 0 <empty> - - (empty) - - - - - - text/html",
			"2 - - - - - - - 0 0 - - - - (empty) - - - - - - -",
		},
	},
	{
		name: "an HTTP/0.9 POST is a weird but still HTTP/0.9",
		steps: []step{
			o("POST /zeek.html\n"),
			r("bad method\n"),
			rEOF(),
		},
		// At the end the request is still open: it ends after the
		// reply was logged and makes a record of its own, as in Zeek.
		want: []string{
			"1 POST - /zeek.html - 0.9 - - 0 11 0 <empty> - - (empty) - - - - - - text/plain",
			"2 - - - - - - - 0 0 - - - - (empty) - - - - - - -",
		},
		weirds: []string{"invalid_http_09_request_method POST"},
	},
	{
		name: "server sends no status line",
		steps: []step{
			o("GET /zeek.html HTTP/1.1\r\nHost: localhost\r\nUser-Agent: curl/7.74.0\r\n\r\n"),
			r("<html>\n  The Zeek Network Security Monitor\n</html>\n"),
			rst(),
		},
		want: []string{"1 GET localhost /zeek.html - - curl/7.74.0 - 0 0 - - - - (empty) - - - - - - -"},
	},
	{
		name: "lower-case http keyword",
		steps: []step{
			o("GET /index.html http/1.1\r\nHost: 146.190.62.39\r\n\r\n"),
			r("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
		},
		want:   []string{"1 GET 146.190.62.39 /index.html - 1.1 - - 0 0 200 OK - - (empty) - - - - - - -"},
		weirds: []string{"lowercase_HTTP_keyword"},
	},
	{
		name: "lines end with LF only",
		steps: []step{
			o("GET /lf HTTP/1.1\nHost: h\n\n"),
			r("HTTP/1.1 200 OK\nContent-Length: 4\n\ntext"),
		},
		want: []string{"1 GET h /lf - 1.1 - - 0 4 200 OK - - (empty) - - - - - - -"},
	},
	{
		name: "percent at the end of the URI",
		steps: []step{
			o("GET /% HTTP/1.1\r\nHost: icir.org\r\n\r\nGET /%5 HTTP/1.1\r\nHost: icir.org\r\n\r\n"),
			r("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\nHTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"),
		},
		want: []string{
			"1 GET icir.org /% - 1.1 - - 0 0 400 Bad Request - - (empty) - - - - - - -",
			"2 GET icir.org /%5 - 1.1 - - 0 0 400 Bad Request - - (empty) - - - - - - -",
		},
		weirds: []string{"illegal_%_at_end_of_URI", "partial_escape_at_end_of_URI"},
	},
	{
		name: "escapes decoded",
		steps: []step{
			o("GET /a%20b/%u0041%%41?q=%zz HTTP/1.1\r\n\r\n"),
		},
		want:   []string{"1 GET - /a b/AA?q=%zz - - - - 0 0 - - - - (empty) - - - - - - -"},
		weirds: []string{"double_%_in_URI", "unescaped_%_in_URI"},
	},
	{
		name: "missing URI",
		steps: []step{
			o("GET HTTP/1.1\r\nHost: bro.org\r\n\r\n"),
		},
		want:   []string{"1 GET bro.org (empty) - - - - 0 0 - - - - (empty) - - - - - - -"},
		weirds: []string{"missing_HTTP_uri"},
	},
	{
		name: "basic auth without password capture",
		steps: []step{
			o("GET / HTTP/1.1\r\nAuthorization: Basic " + base64.StdEncoding.EncodeToString([]byte("alice:s3cret")) + "\r\n\r\n"),
		},
		want: []string{"1 GET - / - - - - 0 0 - - - - (empty) alice - - - - - -"},
	},
	{
		name: "basic auth with password capture",
		cfg:  func(c *Config) { c.CapturePassword = true },
		steps: []step{
			o("GET / HTTP/1.1\r\nProxy-Authorization: basic   " + base64.StdEncoding.EncodeToString([]byte("bob:pw:with:colons")) + "\r\n\r\n"),
		},
		want: []string{"1 GET - / - - - - 0 0 - - - - (empty) bob pw:with:colons - - - - -"},
	},
	{
		name: "basic auth that does not decode to user:password",
		cfg:  func(c *Config) { c.CapturePassword = true },
		steps: []step{
			o("GET / HTTP/1.1\r\nAuthorization: Basic bm9jb2xvbg==\r\n\r\n"),
		},
		want: []string{"1 GET - / - - - - 0 0 - - - - (empty) <problem-decoding> (Basic bm9jb2xvbg==) nocolon - - - - -"},
	},
	{
		name: "proxy headers",
		steps: []step{
			o("GET http://x/ HTTP/1.1\r\nX-Forwarded-For: 10.0.0.1\r\nVia: 1.1 proxy\r\nVIA: 1.1 proxy\r\n\r\n"),
		},
		want: []string{"1 GET - http://x/ - - - - 0 0 - - - - (empty) - - X-FORWARDED-FOR -> 10.0.0.1,VIA -> 1.1 proxy - - - -"},
	},
	{
		name: "header continuation lines",
		steps: []step{
			o("GET / HTTP/1.1\r\nUser-Agent: a\r\n b\r\n\tc\r\nHost:h\r\n\r\n"),
		},
		want:   []string{"1 GET h / - - a b\tc - 0 0 - - - - (empty) - - - - - - -"},
		weirds: []string{"HTTP_obsolete_line_folding User-Agent"},
	},
	{
		name: "gzip reply counted decompressed",
		steps: []step{
			o("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"),
			r("HTTP/1.1 200 ok\r\nContent-Encoding: x-gzip\r\nContent-Length: " + itoa(len(gz("Encoded gzip header"))) + "\r\n\r\n" + gz("Encoded gzip header")),
		},
		want: []string{"1 GET localhost / - 1.1 - - 0 19 200 ok - - (empty) - - - - - - text/plain"},
	},
	{
		name: "gzip reply until the close",
		steps: []step{
			o("GET / HTTP/1.1\r\nHost: h\r\n\r\n"),
			r("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n" + gz(htmlBody+strings.Repeat("abc", 3000))),
			rEOF(),
		},
		want: []string{"1 GET h / - 1.1 - - 0 " + itoa(len(htmlBody)+9000) + " 200 OK - - (empty) - - - - - - text/html"},
	},
	{
		name: "multipart form upload",
		steps: []step{
			o("POST / HTTP/1.1\r\nHost: localhost:8000\r\nOrigin: null\r\nContent-Type: multipart/form-data; boundary=----WebKitFormBoundaryBtae\r\nContent-Length: " + itoa(len(multipartBody)) + "\r\n\r\n" + multipartBody),
			r("HTTP/1.0 200 OK\r\n\r\n"),
			rEOF(),
		},
		want: []string{"1 POST localhost:8000 / - 1.0 - null " + itoa(len(multipartBody)) + " 0 200 OK - - (empty) - - - test.txt text/plain - -"},
		// Byte by byte, the blank line ending the headers is split after
		// its CR, and Zeek's count-down of a multipart body by segments
		// (delivery_length) includes the LF: it ends one byte early.
		notBytewise: true,
	},
	{
		name: "CONNECT tunnel",
		steps: []step{
			o("CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\n"),
			r("HTTP/1.1 200 Connection established\r\n\r\n"),
			o("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"),
			r("\x16\x03\x03\x00\x5a\x02"),
		},
		want: []string{"1 CONNECT example.test:443 example.test:443 - 1.1 - - 0 0 200 Connection established - - (empty) - - - - - - -"},
	},
	{
		name: "CONNECT refused",
		steps: []step{
			o("CONNECT example.test:443 HTTP/1.1\r\n\r\n"),
			r("HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n"),
		},
		want: []string{"1 CONNECT - example.test:443 - 1.1 - - 0 0 407 Proxy Authentication Required - - (empty) - - - - - - -"},
	},
	{
		name: "101 switching protocols",
		steps: []step{
			o("GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"),
			r("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x05hello"),
			o("\x81\x85abcd"),
		},
		want:        []string{"1 GET h /chat - 1.1 - - 0 0 101 Switching Protocols 101 Switching Protocols (empty) - - - - - - -"},
		weirds:      []string{"protocol_data_with_HTTP_upgrade_reply 7"},
		notBytewise: true, // bytewise, nothing follows the headers in their segment
	},
	{
		name: "reply before request",
		steps: []step{
			r("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
			o("GET /late HTTP/1.1\r\n\r\n"),
			r("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
		},
		want: []string{
			"1 - - - - 1.1 - - 0 0 200 OK - - (empty) - - - - - - -",
			"2 GET - /late - 1.1 - - 0 0 200 OK - - (empty) - - - - - - -",
		},
		weirds: []string{"HTTP_response_before_request"},
	},
	{
		name: "empty line between requests",
		steps: []step{
			o("POST /p HTTP/1.1\r\nContent-Length: 2\r\n\r\nab\r\nGET /q HTTP/1.1\r\n\r\n"),
		},
		want: []string{
			"1 POST - /p - - - - 2 0 - - - - (empty) - - - - - - -",
			"2 GET - /q - - - - 0 0 - - - - (empty) - - - - - - -",
		},
		weirds: []string{"empty_http_request"},
	},
}

func TestSession(t *testing.T) {
	for _, tc := range sessionCases {
		t.Run(tc.name, func(t *testing.T) {
			check := func(t *testing.T, steps []step) {
				s, sink := newTestSession(t, tc.cfg)
				run(s, steps)
				got := sink.lines()
				if !slices.Equal(got, tc.want) {
					t.Errorf("records:\n got %q\nwant %q\nweirds %q", got, tc.want, sink.weirds)
				}
				for _, w := range tc.weirds {
					if !slices.Contains(sink.weirds, w) {
						t.Errorf("weird %q not reported; got %q", w, sink.weirds)
					}
				}
				for _, w := range tc.noWeird {
					if sink.hasWeird(w) {
						t.Errorf("weird %q reported", w)
					}
				}
			}
			check(t, tc.steps)
			if !tc.notBytewise {
				t.Run("bytewise", func(t *testing.T) { check(t, bytewise(tc.steps)) })
			}
		})
	}
}
