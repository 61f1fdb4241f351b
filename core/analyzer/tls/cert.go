package tls

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"strings"
)

// certEntry is what the log needs of one certificate of a chain.
type certEntry struct {
	// ok is true when the certificate parses (Zeek then has an X509
	// record for it and logs its fingerprint).
	ok      bool
	fp      string // SHA-256 of the DER, hex
	subject string
	issuer  string
	// hosts are the names the SNI is matched against: the DNS SANs, or the
	// last CN without them. Kept only for the server's first certificate.
	hosts []string
}

// maxNameLen is how much of a subject or issuer Zeek keeps: it reads the
// OpenSSL output into a 2048-byte buffer.
const maxNameLen = 2048

// parseCertificate parses one DER certificate with crypto/x509, falling
// back to a tolerant structural parse for what Go rejects but OpenSSL (and
// so Zeek) accepts: negative serial numbers, unusual name encodings,
// malformed extensions. wantHosts keeps the names to match the SNI with.
func parseCertificate(der []byte, wantHosts bool) certEntry {
	var rawSubject, rawIssuer []byte
	var dnsNames []string
	if c, err := x509.ParseCertificate(der); err == nil {
		rawSubject, rawIssuer, dnsNames = c.RawSubject, c.RawIssuer, c.DNSNames
	} else {
		var ok bool
		var sanExt []byte
		rawSubject, rawIssuer, sanExt, ok = parseCertificateTolerant(der)
		if !ok {
			return certEntry{}
		}
		if wantHosts {
			dnsNames = sanDNSNames(sanExt)
		}
	}
	subject, ok1 := formatName(rawSubject)
	issuer, ok2 := formatName(rawIssuer)
	if !ok1 || !ok2 {
		return certEntry{}
	}
	sum := sha256.Sum256(der)
	e := certEntry{ok: true, fp: hex.EncodeToString(sum[:]), subject: subject, issuer: issuer}
	if wantHosts {
		if len(dnsNames) > 0 {
			e.hosts = dnsNames
		} else if cn, ok := lastCommonName(rawSubject); ok {
			e.hosts = []string{cn}
		}
	}
	return e
}

// matchesHost is Zeek's x509_check_cert_hostname: does any of the
// certificate's names match host?
func (e *certEntry) matchesHost(host string) bool {
	for _, name := range e.hosts {
		if hostnameMatches(host, name) {
			return true
		}
	}
	return false
}

// hostnameMatches is Zeek's x509_check_hostname: an exact (case
// insensitive) match, or a wildcard that stands alone or ends the leftmost
// label, spans one label, and sits at least at the third level (*.a.b).
func hostnameMatches(host, name string) bool {
	if strings.IndexByte(host, 0) >= 0 {
		return false
	}
	star := strings.IndexByte(name, '*')
	if star < 0 {
		return strings.EqualFold(host, name)
	}
	dot := strings.IndexByte(name, '.')
	if dot < 0 || star != dot-1 || strings.IndexByte(name[dot:], '*') >= 0 || strings.Count(name, ".") < 2 {
		return false
	}
	hdot := strings.IndexByte(host, '.')
	if hdot < 0 || !strings.EqualFold(host[hdot:], name[dot:]) {
		return false
	}
	prefix := name[:star]
	return len(host[:hdot]) >= len(prefix) && strings.EqualFold(host[:len(prefix)], prefix)
}

// parseCertificateTolerant checks the outer structure of a certificate as
// OpenSSL's decoder does (Certificate ::= SEQUENCE { tbsCertificate,
// signatureAlgorithm, signature BIT STRING }) and returns the raw issuer
// and subject Names and the SubjectAltName extension value, if any.
func parseCertificateTolerant(der []byte) (subject, issuer, san []byte, ok bool) {
	cert, _, ok := derSequence(der) // like OpenSSL, ignore trailing bytes
	if !ok {
		return nil, nil, nil, false
	}
	tbs, cert, ok := derSequence(cert)
	if !ok {
		return nil, nil, nil, false
	}
	if _, cert, ok = derSequence(cert); !ok { // signatureAlgorithm
		return nil, nil, nil, false
	}
	if tag, _, _, _, ok := derNext(cert); !ok || tag != 0x03 {
		return nil, nil, nil, false
	}
	tag, _, _, after, ok := derNext(tbs)
	if !ok {
		return nil, nil, nil, false
	}
	if tag == 0xa0 { // [0] version
		tbs = after
		if tag, _, _, after, ok = derNext(tbs); !ok {
			return nil, nil, nil, false
		}
	}
	if tag != 0x02 { // serialNumber
		return nil, nil, nil, false
	}
	tbs = after
	var fields [5][]byte // signature, issuer, validity, subject, subjectPublicKeyInfo
	for i := range fields {
		tag, _, full, after, ok := derNext(tbs)
		if !ok || tag != 0x30 {
			return nil, nil, nil, false
		}
		fields[i], tbs = full, after
	}
	for len(tbs) > 0 {
		tag, content, _, after, ok := derNext(tbs)
		if !ok {
			return nil, nil, nil, false
		}
		tbs = after
		if tag == 0xa3 { // [3] extensions
			san = findExtension(content, oidSubjectAltName)
		}
	}
	return fields[3], fields[1], san, true
}

// oidSubjectAltName is 2.5.29.17, DER-encoded.
var oidSubjectAltName = []byte{0x55, 0x1d, 0x11}

// findExtension returns the value (the OCTET STRING's content) of the
// extension with the given OID in an [3] Extensions wrapper's content.
func findExtension(exts, oid []byte) []byte {
	seq, _, ok := derSequence(exts)
	if !ok {
		return nil
	}
	for len(seq) > 0 {
		ext, rest, ok := derSequence(seq)
		if !ok {
			return nil
		}
		seq = rest
		tag, id, _, after, ok := derNext(ext)
		if !ok || tag != 0x06 || string(id) != string(oid) {
			continue
		}
		for len(after) > 0 {
			tag, v, _, rest, ok := derNext(after)
			if !ok {
				return nil
			}
			if tag == 0x04 {
				return v
			}
			after = rest
		}
	}
	return nil
}

// sanDNSNames returns the dNSName entries ([2] IA5String) of a
// SubjectAltName extension value.
func sanDNSNames(san []byte) []string {
	seq, _, ok := derSequence(san)
	if !ok {
		return nil
	}
	var names []string
	for len(seq) > 0 {
		tag, v, _, rest, ok := derNext(seq)
		if !ok {
			break
		}
		if tag == 0x82 {
			names = append(names, string(v))
		}
		seq = rest
	}
	return names
}

// derNext splits the first DER element off b: its tag byte, content, the
// whole element, and what follows. Only low tag numbers and definite
// lengths of up to four bytes are accepted.
func derNext(b []byte) (tag byte, content, full, rest []byte, ok bool) {
	if len(b) < 2 || b[0]&0x1f == 0x1f {
		return 0, nil, nil, nil, false
	}
	tag = b[0]
	n, hdr := int(b[1]), 2
	if n&0x80 != 0 {
		k := n & 0x7f
		if k == 0 || k > 4 || len(b) < 2+k {
			return 0, nil, nil, nil, false
		}
		n = 0
		for _, c := range b[2 : 2+k] {
			n = n<<8 | int(c)
		}
		hdr += k
	}
	if n < 0 || n > len(b)-hdr {
		return 0, nil, nil, nil, false
	}
	return tag, b[hdr : hdr+n], b[:hdr+n], b[hdr+n:], true
}

// derSequence returns the content of a SEQUENCE at the start of b.
func derSequence(b []byte) (content, rest []byte, ok bool) {
	tag, content, _, rest, ok := derNext(b)
	if !ok || tag != 0x30 {
		return nil, nil, false
	}
	return content, rest, true
}
