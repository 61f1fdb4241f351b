package logplugin

import (
	"sync"
	"testing"

	"github.com/weirnet/weir/logs"
	"github.com/weirnet/weir/logs/schema"
)

// LogBytes may be read (metrics, size rotation) while the plugin's own
// goroutine creates its writer and writes: go test -race checks it.
func TestLogBytesWhileWriting(t *testing.T) {
	l := &Lazy{Opts: logs.Options{Dir: t.TempDir()}}
	s, err := schema.Get("weird")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
				l.LogBytes()
			}
		}
	}()
	w, err := l.WriterFor(s, 1e18)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(2e18); err != nil {
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()
	if w == nil {
		t.Fatal("no writer")
	}
}
