package livetest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// The real servers and clients the integration tests send traffic with:
// net/http over TCP and over crypto/tls, and a small authoritative DNS
// server over UDP. They run as helpers of the test binary (see Main), so
// any test package that calls Main can start them.

// WebName is the name the DNS server resolves (to B4 and B6), the HTTP
// clients ask for as Host and the HTTPS clients as SNI; the server's
// self-signed certificate is for it.
const WebName = "www.weir.test"

// IndexBody and TextBody are the pages the HTTP servers serve, / and
// /weir.txt; any other path is a 404. TextBody is longer than a segment,
// so that a response is reassembled from several.
const IndexBody = "<!doctype html><title>weir</title><p>weir live test</p>\n"

var TextBody = strings.Repeat("weir live test, a line of text\n", 80)

func init() {
	Helper("weir-serve", serveMain)
	Helper("weir-client", clientMain)
	Helper("weir-loop", loopMain)
}

// Servers are the servers StartServers started.
type Servers struct {
	*Proc
	// CAFile is the PEM file of the servers' certificate, the one root a
	// client needs to verify them.
	CAFile string
}

// StartServers starts, in namespace ns, an HTTP server on TCP port 80, an
// HTTPS server on 443 (TLS 1.2 and 1.3, HTTP/1.1, a fresh self-signed
// ECDSA certificate for WebName) and a DNS server on UDP port 53, on every
// address of the namespace, and returns once all three listen. The DNS
// server answers A and AAAA for WebName (B4 and B6) and NXDOMAIN for any
// other name. They stop when the test ends, and in any case after a
// minute.
func StartServers(t testing.TB, ns string) *Servers {
	t.Helper()
	s := &Servers{CAFile: t.TempDir() + "/ca.pem"}
	s.Proc = StartHelper(t, ns, "weir-serve", s.CAFile, "60s")
	s.Ready(t)
	return s
}

// RunClient runs, in namespace ns, a client that makes this known set of
// transactions with the servers of StartServers at address server (B4),
// one after the other:
//
//   - DNS over UDP, each query from its own port: A and AAAA for WebName,
//     A for nx.weir.test (NXDOMAIN);
//   - HTTP on one keep-alive connection to the A address: GET / and GET
//     /weir.txt (200 each);
//   - HTTP on a connection of its own: GET /missing (404, Connection:
//     close);
//   - HTTP over IPv6 to the AAAA address: GET /weir.txt;
//   - HTTPS with TLS 1.3 and SNI WebName, on one connection: GET / and
//     GET /weir.txt;
//   - HTTPS with TLS 1.2 and SNI WebName: GET /weir.txt.
//
// That is 3 DNS transactions, 8 connections, 7 HTTP requests of which 4
// in clear, 2 TLS sessions. Every connection is closed when RunClient
// returns. It returns the client's report, one line per transaction, and
// fails the test if any transaction did not go as described.
func RunClient(t testing.TB, ns, server, caFile string) []string {
	t.Helper()
	return strings.Split(strings.TrimSpace(RunHelper(t, ns, "weir-client", server, caFile)), "\n")
}

// StartLoop starts, in namespace ns, a client that repeats a DNS query (A
// for WebName) and an HTTP GET /weir.txt against server until stopped
// (Proc.Stop, or after a minute), opening a new connection every fifth
// request. It returns once the first round succeeded. Stop returns a line
// "rounds N".
func StartLoop(t testing.TB, ns, server string) *Proc {
	t.Helper()
	p := StartHelper(t, ns, "weir-loop", server, "60s")
	p.Ready(t)
	return p
}

// untilStopped returns a context cancelled after lifetime or when stdin
// reaches its end (the test closed it, or died): a helper never outlives
// its test for long.
func untilStopped(lifetime string) (context.Context, context.CancelFunc, error) {
	d, err := time.ParseDuration(lifetime)
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	go func() {
		io.Copy(io.Discard, os.Stdin)
		cancel()
	}()
	return ctx, cancel, nil
}

func fail(err error) int {
	fmt.Fprintln(os.Stderr, err)
	return 1
}

// serveMain: weir-serve CERTFILE LIFETIME.
func serveMain(args []string) int {
	if len(args) != 2 {
		return fail(errors.New("usage: weir-serve CERTFILE LIFETIME"))
	}
	ctx, cancel, err := untilStopped(args[1])
	if err != nil {
		return fail(err)
	}
	defer cancel()
	cert, err := selfSigned(args[0])
	if err != nil {
		return fail(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, IndexBody)
	})
	mux.HandleFunc("GET /weir.txt", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, TextBody)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	ln, err := net.Listen("tcp", ":80")
	if err != nil {
		return fail(err)
	}
	tln, err := net.Listen("tcp", ":443")
	if err != nil {
		return fail(err)
	}
	dns, err := net.ListenPacket("udp", ":53")
	if err != nil {
		return fail(err)
	}
	tcfg := &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}, MinVersion: tls.VersionTLS12}
	go srv.Serve(ln)
	go srv.Serve(tls.NewListener(tln, tcfg))
	go serveDNS(dns)
	fmt.Println("ready")
	<-ctx.Done()
	srv.Close()
	dns.Close()
	return 0
}

// selfSigned makes an ECDSA P-256 certificate for WebName and writes it,
// PEM-encoded, to path.
func selfSigned(path string) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: WebName, Organization: []string{"weir live test"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		DNSNames:              []string{WebName},
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// serveDNS answers queries on c until it is closed.
func serveDNS(c net.PacketConn) {
	buf := make([]byte, 1500)
	for {
		n, from, err := c.ReadFrom(buf)
		if err != nil {
			return
		}
		if resp, err := dnsAnswer(buf[:n]); err == nil {
			c.WriteTo(resp, from)
		}
	}
}

// dnsAnswer builds the response to query q: authoritative, A/AAAA records
// for WebName, NXDOMAIN for other names.
func dnsAnswer(q []byte) ([]byte, error) {
	var p dnsmessage.Parser
	h, err := p.Start(q)
	if err != nil || h.Response {
		return nil, errors.New("not a query")
	}
	question, err := p.Question()
	if err != nil {
		return nil, err
	}
	rh := dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionDesired: h.RecursionDesired}
	known := strings.EqualFold(question.Name.String(), WebName+".")
	if !known {
		rh.RCode = dnsmessage.RCodeNameError
	}
	b := dnsmessage.NewBuilder(make([]byte, 0, 512), rh)
	b.EnableCompression()
	if err := b.StartQuestions(); err != nil {
		return nil, err
	}
	if err := b.Question(question); err != nil {
		return nil, err
	}
	if err := b.StartAnswers(); err != nil {
		return nil, err
	}
	rr := dnsmessage.ResourceHeader{Name: question.Name, Class: dnsmessage.ClassINET, TTL: 300}
	if known {
		switch question.Type {
		case dnsmessage.TypeA:
			err = b.AResource(rr, dnsmessage.AResource{A: netip.MustParseAddr(B4).As4()})
		case dnsmessage.TypeAAAA:
			err = b.AAAAResource(rr, dnsmessage.AAAAResource{AAAA: netip.MustParseAddr(B6).As16()})
		}
		if err != nil {
			return nil, err
		}
	}
	return b.Finish()
}

// dnsQuery asks server (host only) for name and type, from a port of its
// own, and returns the response code and the addresses in the answer.
func dnsQuery(ctx context.Context, server, name string, qtype dnsmessage.Type) (dnsmessage.RCode, []netip.Addr, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "udp", net.JoinHostPort(server, "53"))
	if err != nil {
		return 0, nil, err
	}
	defer c.Close()
	var idb [2]byte
	rand.Read(idb[:])
	id := uint16(idb[0])<<8 | uint16(idb[1])
	b := dnsmessage.NewBuilder(make([]byte, 0, 512), dnsmessage.Header{ID: id, RecursionDesired: true})
	b.StartQuestions()
	b.Question(dnsmessage.Question{Name: dnsmessage.MustNewName(name + "."), Type: qtype, Class: dnsmessage.ClassINET})
	msg, err := b.Finish()
	if err != nil {
		return 0, nil, err
	}
	if _, err := c.Write(msg); err != nil {
		return 0, nil, err
	}
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	buf := make([]byte, 1500)
	n, err := c.Read(buf)
	if err != nil {
		return 0, nil, fmt.Errorf("dns %s %s: %w", qtype, name, err)
	}
	var p dnsmessage.Parser
	h, err := p.Start(buf[:n])
	if err != nil {
		return 0, nil, err
	}
	if h.ID != id || !h.Response {
		return 0, nil, fmt.Errorf("dns %s %s: a reply that is not to the query", qtype, name)
	}
	if err := p.SkipAllQuestions(); err != nil {
		return 0, nil, err
	}
	rrs, err := p.AllAnswers()
	if err != nil {
		return 0, nil, err
	}
	var addrs []netip.Addr
	for _, rr := range rrs {
		switch body := rr.Body.(type) {
		case *dnsmessage.AResource:
			addrs = append(addrs, netip.AddrFrom4(body.A))
		case *dnsmessage.AAAAResource:
			addrs = append(addrs, netip.AddrFrom16(body.AAAA))
		}
	}
	return h.RCode, addrs, nil
}

// webClient returns an HTTP client that connects to addr for WebName,
// whatever the URL's port, and verifies the server with the roots in
// caFile (if any) for TLS version ver (0: the default). It uses no proxy
// and asks for no compression, so that the bodies on the wire are the
// servers' own.
func webClient(addr netip.Addr, roots *x509.CertPool, ver uint16, keepAlive bool) *http.Client {
	var d net.Dialer
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, hostport string) (net.Conn, error) {
			_, port, err := net.SplitHostPort(hostport)
			if err != nil {
				return nil, err
			}
			return d.DialContext(ctx, network, net.JoinHostPort(addr.String(), port))
		},
		TLSClientConfig:    &tls.Config{RootCAs: roots, MinVersion: ver, MaxVersion: ver, NextProtos: []string{"http/1.1"}},
		DisableCompression: true,
		DisableKeepAlives:  !keepAlive,
		MaxConnsPerHost:    1,
	}
	return &http.Client{Transport: tr, Timeout: 5 * time.Second}
}

// get fetches url and returns a report line: method, URL, status, body
// length, and whether the connection was reused.
func get(ctx context.Context, c *http.Client, url string) (string, int, error) {
	reused := false
	trace := &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) { reused = i.Reused }}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), "GET", url, nil)
	if err != nil {
		return "", 0, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", 0, err
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return "", 0, fmt.Errorf("GET %s: %w", url, err)
	}
	tlsv := ""
	if resp.TLS != nil {
		tlsv = " " + tls.VersionName(resp.TLS.Version)
	}
	return fmt.Sprintf("http GET %s %d %d reused=%v%s", url, resp.StatusCode, n, reused, tlsv), resp.StatusCode, nil
}

// clientMain: weir-client SERVER CAFILE. See RunClient.
func clientMain(args []string) int {
	if len(args) != 2 {
		return fail(errors.New("usage: weir-client SERVER CAFILE"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := client(ctx, args[0], args[1]); err != nil {
		return fail(err)
	}
	return 0
}

func client(ctx context.Context, server, caFile string) error {
	pemCA, err := os.ReadFile(caFile)
	if err != nil {
		return err
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pemCA) {
		return fmt.Errorf("%s: no certificate", caFile)
	}
	var v4, v6 netip.Addr
	for _, q := range []struct {
		name  string
		qtype dnsmessage.Type
		rcode dnsmessage.RCode
		addr  *netip.Addr
	}{
		{WebName, dnsmessage.TypeA, dnsmessage.RCodeSuccess, &v4},
		{WebName, dnsmessage.TypeAAAA, dnsmessage.RCodeSuccess, &v6},
		{"nx.weir.test", dnsmessage.TypeA, dnsmessage.RCodeNameError, nil},
	} {
		rcode, addrs, err := dnsQuery(ctx, server, q.name, q.qtype)
		if err != nil {
			return err
		}
		if rcode != q.rcode || (q.addr != nil) != (len(addrs) == 1) {
			return fmt.Errorf("dns %s %s: %v %v, want %v and one address if it exists", q.qtype, q.name, rcode, addrs, q.rcode)
		}
		if q.addr != nil {
			*q.addr = addrs[0]
		}
		fmt.Printf("dns %s %s %s %v\n", q.qtype, q.name, rcode, addrs)
	}
	type fetch struct {
		url    string
		status int
	}
	for _, conn := range []struct {
		addr      netip.Addr
		tlsVer    uint16
		keepAlive bool
		fetches   []fetch
	}{
		{v4, 0, true, []fetch{{"http://" + WebName + "/", 200}, {"http://" + WebName + "/weir.txt", 200}}},
		{v4, 0, false, []fetch{{"http://" + WebName + "/missing", 404}}},
		{v6, 0, true, []fetch{{"http://" + WebName + "/weir.txt", 200}}},
		{v4, tls.VersionTLS13, true, []fetch{{"https://" + WebName + "/", 200}, {"https://" + WebName + "/weir.txt", 200}}},
		{v4, tls.VersionTLS12, true, []fetch{{"https://" + WebName + "/weir.txt", 200}}},
	} {
		c := webClient(conn.addr, roots, conn.tlsVer, conn.keepAlive)
		for i, f := range conn.fetches {
			line, status, err := get(ctx, c, f.url)
			if err != nil {
				return err
			}
			if status != f.status || (i > 0) != strings.Contains(line, "reused=true") {
				return fmt.Errorf("%s: want status %d, reused=%v", line, f.status, i > 0)
			}
			fmt.Println(line)
		}
		// Close the connection now, from this side: every connection
		// has ended (FIN both ways) when the client returns.
		c.CloseIdleConnections()
	}
	// The servers see our FINs and close their side; give their FINs and
	// our last ACKs the moment they need to cross.
	time.Sleep(50 * time.Millisecond)
	return nil
}

// loopMain: weir-loop SERVER LIFETIME. See StartLoop.
func loopMain(args []string) int {
	if len(args) != 2 {
		return fail(errors.New("usage: weir-loop SERVER LIFETIME"))
	}
	ctx, cancel, err := untilStopped(args[1])
	if err != nil {
		return fail(err)
	}
	defer cancel()
	server, err := netip.ParseAddr(args[0])
	if err != nil {
		return fail(err)
	}
	c := webClient(server, nil, 0, true)
	rounds := 0
	for ctx.Err() == nil {
		if _, _, err := dnsQuery(ctx, args[0], WebName, dnsmessage.TypeA); err != nil {
			if ctx.Err() != nil {
				break
			}
			return fail(err)
		}
		if _, status, err := get(ctx, c, "http://"+WebName+"/weir.txt"); err != nil || status != 200 {
			if ctx.Err() != nil {
				break
			}
			return fail(fmt.Errorf("GET: %d %v", status, err))
		}
		if rounds++; rounds == 1 {
			fmt.Println("ready")
		}
		if rounds%5 == 0 {
			c.CloseIdleConnections()
		}
		select {
		case <-ctx.Done():
		case <-time.After(5 * time.Millisecond):
		}
	}
	c.CloseIdleConnections()
	fmt.Println("rounds", rounds)
	return 0
}
