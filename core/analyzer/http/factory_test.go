package http

import (
	"slices"
	"testing"

	"github.com/weirnet/weir/core/analyzer"
	"github.com/weirnet/weir/core/analyzer/internal/antest"
)

// httpFactory starts an HTTP session where the core would: on a port hint
// or when Detect recognises the first payload.
func httpFactory(t testing.TB, a *Analyzer) antest.SessionFactory {
	return func(c *analyzer.Conn, isOrig bool, first []byte) analyzer.Session {
		if slices.Contains(a.Ports(), c.ID.RespP) || a.Detect(isOrig, first) != analyzer.NoMatch {
			return a.NewSession(c)
		}
		return nil
	}
}

func newRecSink() *recSink { return &recSink{} }
