// Package all links every built-in protocol analyzer into the binary: the
// feature set is this import list (one blank import per protocol).
package all

import (
	_ "github.com/weirnet/weir/core/analyzer/dns"
	_ "github.com/weirnet/weir/core/analyzer/tls"
)
