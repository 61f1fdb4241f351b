package http

import "bytes"

// sniffMIME returns the MIME type of a body from its first bytes (up to
// Zeek's default_file_bof_buffer_size), or "" when nothing matches.
//
// It is a small subset of Zeek's file-magic signatures
// (scripts/base/frameworks/files/magic/*.sig) with their strengths: the
// strongest matching signature wins, as in Zeek. All signatures are
// anchored at the first byte. Zeek's regular expressions are evaluated
// here by hand-written matchers; '.' does not match a newline, as in Zeek's
// patterns. Signatures Zeek has and this table lacks make weir log no type
// (or a weaker one, usually text/plain) where Zeek names a rarer format.
func sniffMIME(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	best, bestStrength := "", -1<<31
	try := func(sigs []*signature) {
		for _, s := range sigs {
			if s.strength > bestStrength && s.match(b) {
				best, bestStrength = s.mime, s.strength
			}
		}
	}
	try(sigIndex.byFirst[b[0]])
	try(sigIndex.always)
	if t := skipJSONSpace(skipUTF8BOM(b)); len(t) > 0 {
		try(sigIndex.byText[t[0]])
	}
	return best
}

// sigIndex sorts the signatures by what can start a match, so that a
// sniff tries only a few: those of a fixed first byte, the markup and JSON
// ones by their first byte after white space, and the rest always.
var sigIndex = func() (ix struct {
	byFirst [256][]*signature
	byText  [256][]*signature
	always  []*signature
}) {
	for i := range signatures {
		s := &signatures[i]
		switch {
		case s.first != "":
			for _, c := range []byte(s.first) {
				ix.byFirst[c] = append(ix.byFirst[c], s)
			}
		case s.text != "":
			for _, c := range []byte(s.text) {
				ix.byText[c] = append(ix.byText[c], s)
			}
		default:
			ix.always = append(ix.always, s)
		}
	}
	return ix
}()

type signature struct {
	mime     string
	strength int
	match    func(b []byte) bool
	// first lists the bytes a match starts with; text the bytes it
	// starts with after an optional BOM and white space. Neither: any.
	first, text string
}

// prefix is a signature for a fixed leading string.
func prefix(mime string, strength int, p string) signature {
	return signature{mime: mime, strength: strength, first: p[:1],
		match: func(b []byte) bool { return len(b) >= len(p) && string(b[:len(p)]) == p }}
}

var signatures = []signature{
	// general.sig
	{mime: "text/plain", strength: -20, match: plaintext},
	{mime: "text/json", strength: 1, text: "{", match: jsonObject},
	{mime: "text/json", strength: 1, text: "[", match: jsonArray},
	{mime: "text/json", strength: 0, text: "{[", match: jsonEmpty},
	{mime: "application/xml", strength: 10, text: "<", match: func(b []byte) bool {
		b = skipMarkupPrefix(skipUTF8BOM(b))
		return hasPrefixFold(b, "<?xml ")
	}},
	{mime: "text/html", strength: 100, text: "<", match: func(b []byte) bool {
		return markupTag(b, "!doctype +html", "html", "meta +http-equiv")
	}},
	{mime: "text/html", strength: 20, text: "<", match: func(b []byte) bool { return markupTag(b, "head", "html", "title", "body") }},
	{mime: "text/rss", strength: 90, text: "<", match: func(b []byte) bool { return markupTag(b, "rss") }},
	{mime: "text/atom", strength: 100, text: "<", match: atom},
	{mime: "application/x-shockwave-flash", strength: 60, first: "FCZ", match: func(b []byte) bool {
		return len(b) >= 3 && (b[0] == 'F' || b[0] == 'C' || b[0] == 'Z') && b[1] == 'W' && b[2] == 'S'
	}},
	{mime: "application/x-java-applet", strength: 71, first: "\xca", match: func(b []byte) bool {
		return len(b) >= 8 && string(b[:4]) == "\xca\xfe\xba\xbe" && b[7] >= 0x2d && b[7] <= 0x34
	}},
	{mime: "application/x-mach-o-executable", strength: 100, first: "\xca", match: func(b []byte) bool {
		return len(b) >= 8 && string(b[:4]) == "\xca\xfe\xba\xbe" && b[6] == 0 && b[7] >= 1 && b[7] <= 0x14
	}},
	{mime: "application/x-mach-o-executable", strength: 100, first: "\xce\xcf", match: func(b []byte) bool {
		return len(b) >= 4 && (b[0] == 0xce || b[0] == 0xcf) && string(b[1:4]) == "\xfa\xed\xfe"
	}},
	{mime: "application/ocsp-request", strength: 71, match: func(b []byte) bool { return oidAfter(b, "\x06\x05\x2b\x0e\x03\x02\x1a") }},
	{mime: "application/ocsp-response", strength: 71, match: func(b []byte) bool {
		return oidAfter(b, "\x06\x09\x2b\x06\x01\x05\x05\x07\x30\x01\x01")
	}},
	{mime: "application/vnd.tcpdump.pcap", strength: 70, first: "\xa1\xd4", match: func(b []byte) bool {
		return len(b) >= 4 && (string(b[:4]) == "\xa1\xb2\xc3\xd4" || string(b[:4]) == "\xd4\xc3\xb2\xa1")
	}},
	{mime: "text/x-shellscript", strength: 250, first: "#", match: func(b []byte) bool { return shebang(b, "ba", "tc", "c", "z", "fa", "ae", "k", "") }},
	{mime: "text/x-perl", strength: 60, first: "#", match: func(b []byte) bool { return shebangExact(b, "perl") }},
	{mime: "text/x-python", strength: 60, first: "#", match: func(b []byte) bool { return shebangExact(b, "python") }},
	{mime: "text/x-ruby", strength: 60, first: "#", match: func(b []byte) bool { return shebangExact(b, "ruby") }},
	// executable.sig
	prefix("application/x-dosexec", 51, "MZ"),
	{mime: "application/x-object", strength: 50, first: "\x7f", match: elf(1)},
	{mime: "application/x-executable", strength: 50, first: "\x7f", match: elf(2)},
	{mime: "application/x-sharedlib", strength: 50, first: "\x7f", match: elf(3)},
	{mime: "application/x-coredump", strength: 50, first: "\x7f", match: elf(4)},
	// image.sig
	{mime: "image/tiff", strength: 70, first: "MI", match: func(b []byte) bool {
		return len(b) >= 4 && (string(b[:3]) == "MM\x00" && (b[3] == 0x2a || b[3] == 0x2b) ||
			string(b[:2]) == "II" && (b[2] == 0x2a || b[2] == 0x2b) && b[3] == 0)
	}},
	prefix("image/gif", 70, "GIF8"),
	prefix("image/jpeg", 52, "\xff\xd8"),
	{mime: "image/x-ms-bmp", strength: 50, first: "B", match: func(b []byte) bool {
		if len(b) < 16 || string(b[:2]) != "BM" || b[15] != 0 || bytes.IndexByte(b[2:14], '\n') >= 0 {
			return false
		}
		switch b[14] {
		case 0x0c, 0x28, 0x40, 0x6c, 0x7c, 0x80:
			return true
		}
		return false
	}},
	prefix("image/x-icon", 70, "\x00\x00\x01\x00"),
	prefix("image/png", 110, "\x89PNG"),
	{mime: "image/webp", strength: 70, first: "R", match: func(b []byte) bool {
		return len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP" && bytes.IndexByte(b[4:8], '\n') < 0
	}},
	// archive.sig
	{mime: "application/zip", strength: 10, first: "P", match: func(b []byte) bool {
		return len(b) >= 6 && string(b[:4]) == "PK\x03\x04" && b[4] != '\n' && b[5] != '\n'
	}},
	prefix("application/x-rar", 70, "Rar!"),
	prefix("application/x-gzip", 100, "\x1f\x8b"),
	prefix("application/vnd.ms-cab-compressed", 110, "MSCF\x00\x00\x00\x00"),
	prefix("application/x-7z-compressed", 50, "7z\xbc\xaf\x27\x1c"),
	prefix("application/x-xz", 90, "\xfd7zXZ\x00"),
	prefix("application/x-bzip2", 60, "BZh"),
	// libmagic.sig
	prefix("application/pdf", 80, "%PDF-"),
}

// isSpaceOrPrint is Zeek's [[:space:]\x20-\x7E].
func isSpaceOrPrint(c byte) bool { return c >= 0x20 && c <= 0x7e || c >= '\t' && c <= '\r' }

// plaintext: an optional UTF-8, UTF-16 or UTF-32 byte order mark, then ten
// printable or white-space characters.
func plaintext(b []byte) bool {
	for _, bom := range [...]string{"", "\xef\xbb\xbf", "\xfe\xff", "\x00\x00\xfe\xff", "\xff\xfe", "\xff\xfe\x00\x00"} {
		if len(b) < len(bom)+10 || string(b[:len(bom)]) != bom {
			continue
		}
		ok := true
		for _, c := range b[len(bom) : len(bom)+10] {
			if !isSpaceOrPrint(c) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func skipUTF8BOM(b []byte) []byte {
	if len(b) >= 3 && string(b[:3]) == "\xef\xbb\xbf" {
		return b[3:]
	}
	return b
}

// isJSONSpace is Zeek's [\x0d\x0a[:blank:]].
func isJSONSpace(c byte) bool { return c == '\r' || c == '\n' || c == ' ' || c == '\t' }

func skipJSONSpace(b []byte) []byte {
	for len(b) > 0 && isJSONSpace(b[0]) {
		b = b[1:]
	}
	return b
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlpha(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// jsonObject: {, a quoted or bare key, :, and the start of a value.
func jsonObject(b []byte) bool {
	b = skipJSONSpace(skipUTF8BOM(b))
	if len(b) == 0 || b[0] != '{' {
		return false
	}
	b = skipJSONSpace(b[1:])
	switch {
	case len(b) > 0 && b[0] == '"':
		end := bytes.IndexByte(b[1:], '"')
		if end < 1 {
			return false
		}
		b = b[end+2:]
	case len(b) > 0 && isAlpha(b[0]):
		i := 1
		for i < len(b) && (isAlpha(b[i]) || isDigit(b[i]) || b[i] == '\\' || b[i] == '_') {
			i++
		}
		b = b[i:]
	default:
		return false
	}
	b = skipJSONSpace(b)
	if len(b) == 0 || b[0] != ':' {
		return false
	}
	b = skipJSONSpace(b[1:])
	if len(b) == 0 {
		return false
	}
	return b[0] == '"' || b[0] == '[' || b[0] == '{' || isDigit(b[0]) ||
		bytes.HasPrefix(b, []byte("true")) || bytes.HasPrefix(b, []byte("false"))
}

// jsonArray: [ followed by a scalar and a comma, or a nested { or [.
func jsonArray(b []byte) bool {
	b = skipJSONSpace(skipUTF8BOM(b))
	if len(b) == 0 || b[0] != '[' {
		return false
	}
	b = skipJSONSpace(b[1:])
	if len(b) == 0 {
		return false
	}
	if b[0] == '{' || b[0] == '[' {
		return true
	}
	switch {
	case b[0] == '"':
		end := bytes.IndexByte(b[1:], '"')
		if end < 1 {
			return false
		}
		b = b[end+2:]
	case isDigit(b[0]):
		i := 0
		for i < len(b) && isDigit(b[i]) {
			i++
		}
		if i+1 < len(b) && b[i] == '.' && isDigit(b[i+1]) {
			i++
			for i < len(b) && isDigit(b[i]) {
				i++
			}
		}
		b = b[i:]
	case bytes.HasPrefix(b, []byte("true")):
		b = b[4:]
	case bytes.HasPrefix(b, []byte("false")):
		b = b[5:]
	default:
		return false
	}
	b = skipJSONSpace(b)
	return len(b) > 0 && b[0] == ','
}

// jsonEmpty: the whole body is [] or {} with white space around.
func jsonEmpty(b []byte) bool {
	b = skipJSONSpace(skipUTF8BOM(b))
	if len(b) < 2 || !(b[0] == '[' && b[1] == ']' || b[0] == '{' && b[1] == '}') {
		return false
	}
	return len(skipJSONSpace(b[2:])) == 0
}

// skipMarkupPrefix skips white space and one-line <!-- --> comments, the
// ([\x0d\x0a[:blank:]]*(<!--.*-->)?[\x0d\x0a[:blank:]]*)* of the markup
// signatures.
func skipMarkupPrefix(b []byte) []byte {
	for {
		b = skipJSONSpace(b)
		if !bytes.HasPrefix(b, []byte("<!--")) {
			return b
		}
		line := b
		if nl := bytes.IndexByte(b, '\n'); nl >= 0 {
			line = b[:nl]
		}
		end := bytes.Index(line[4:], []byte("-->"))
		if end < 0 {
			return b
		}
		b = b[4+end+3:]
	}
}

func hasPrefixFold(b []byte, p string) bool {
	if len(b) < len(p) {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := b[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != p[i] {
			return false
		}
	}
	return true
}

// markupTag matches the HTML-like signatures: optional BOM, comments and an
// XML declaration, then '<' and one of the names (case-insensitive; a
// space followed by '+' in a name stands for " {1,}").
func markupTag(b []byte, names ...string) bool {
	b = skipMarkupPrefix(skipUTF8BOM(b))
	if bytes.HasPrefix(b, []byte("<?xml ")) {
		line := b
		if nl := bytes.IndexByte(b, '\n'); nl >= 0 {
			line = b[:nl]
		}
		if end := bytes.LastIndex(line, []byte("?>")); end >= 6 {
			b = skipMarkupPrefix(b[end+2:])
		}
	}
	if len(b) == 0 || b[0] != '<' {
		return false
	}
	b = b[1:]
	for _, n := range names {
		if matchName(b, n) {
			return true
		}
	}
	return false
}

func matchName(b []byte, n string) bool {
	for n != "" {
		if len(n) >= 2 && n[0] == ' ' && n[1] == '+' {
			if len(b) == 0 || b[0] != ' ' {
				return false
			}
			for len(b) > 0 && b[0] == ' ' {
				b = b[1:]
			}
			n = n[2:]
			continue
		}
		if !hasPrefixFold(b, n[:1]) {
			return false
		}
		b, n = b[1:], n[1:]
	}
	return true
}

func atom(b []byte) bool {
	if markupTag(b, "rss") {
		rest := afterTag(b)
		if gt := bytes.IndexByte(rest, '>'); gt >= 0 {
			rest = rest[:gt]
		}
		return bytes.Contains(rest, []byte("xmlns:atom"))
	}
	if markupTag(b, "feed") {
		rest := afterTag(b)
		if gt := bytes.IndexByte(rest, '>'); gt >= 0 {
			rest = rest[:gt]
		}
		return bytes.Contains(rest, []byte("xmlns=\"http://www.w3.org/2005/Atom")) ||
			bytes.Contains(rest, []byte("xmlns='http://www.w3.org/2005/Atom")) ||
			bytes.Contains(rest, []byte("xmlns=http://www.w3.org/2005/Atom"))
	}
	return false
}

// afterTag returns the bytes after the first '<' of the markup prefix.
func afterTag(b []byte) []byte {
	if i := bytes.IndexByte(b, '<'); i >= 0 {
		for {
			b = b[i+1:]
			if !bytes.HasPrefix(b, []byte("!--")) && !bytes.HasPrefix(b, []byte("?xml")) {
				return b
			}
			if i = bytes.IndexByte(b, '<'); i < 0 {
				return nil
			}
		}
	}
	return nil
}

// oidAfter: 11 to 19 arbitrary bytes (no newline), then the DER bytes.
func oidAfter(b []byte, der string) bool {
	if len(b) < 11+len(der) {
		return false
	}
	w := b[11:min(len(b), 19+len(der))]
	i := bytes.Index(w, []byte(der))
	return i >= 0 && bytes.IndexByte(b[:11+i], '\n') < 0
}

// shebangInterp matches ^#![^\n]{1,15}bin/(env[[:space:]]+)? and returns
// what follows, for every possible split.
func shebangRest(b []byte, f func(rest []byte) bool) bool {
	if !bytes.HasPrefix(b, []byte("#!")) {
		return false
	}
	b = b[2:]
	for n := 1; n <= 15 && n < len(b); n++ {
		if b[n-1] == '\n' {
			return false
		}
		rest := b[n:]
		if !bytes.HasPrefix(rest, []byte("bin/")) {
			continue
		}
		rest = rest[4:]
		if f(rest) {
			return true
		}
		if bytes.HasPrefix(rest, []byte("env")) {
			r := rest[3:]
			i := 0
			for i < len(r) && (r[i] == ' ' || r[i] >= '\t' && r[i] <= '\r') {
				i++
			}
			if i > 0 && f(r[i:]) {
				return true
			}
		}
	}
	return false
}

func shebang(b []byte, shells ...string) bool {
	return shebangRest(b, func(rest []byte) bool {
		for _, s := range shells {
			if bytes.HasPrefix(rest, []byte(s+"sh")) {
				return true
			}
		}
		return false
	})
}

func shebangExact(b []byte, interp string) bool {
	return shebangRest(b, func(rest []byte) bool { return bytes.HasPrefix(rest, []byte(interp)) })
}

// elf matches \x7fELF[\x01\x02](\x01.{10}T\x00|\x02.{10}\x00T) for the
// object type T.
func elf(typ byte) func([]byte) bool {
	return func(b []byte) bool {
		if len(b) < 18 || string(b[:4]) != "\x7fELF" || (b[4] != 1 && b[4] != 2) {
			return false
		}
		if bytes.IndexByte(b[6:16], '\n') >= 0 {
			return false
		}
		switch b[5] {
		case 1:
			return b[16] == typ && b[17] == 0
		case 2:
			return b[16] == 0 && b[17] == typ
		}
		return false
	}
}
