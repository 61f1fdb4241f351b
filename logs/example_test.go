package logs_test

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"

	"github.com/weirnet/weir/logs"
	"github.com/weirnet/weir/logs/schema"
)

func ExampleWriter() {
	dir, _ := os.MkdirTemp("", "weir-logs")
	defer os.RemoveAll(dir)

	l, err := schema.Get("weird")
	if err != nil {
		panic(err)
	}
	const start = 1300475167096535000 // network time, ns
	w, err := logs.Create(l, logs.Options{Dir: dir, Format: logs.JSON}, start)
	if err != nil {
		panic(err)
	}
	w.Begin()
	w.Time(start + 1500)
	w.String("CHhAvVGS1DHFjwGM9")
	w.Addr(netip.MustParseAddr("141.142.220.118"))
	w.Port(48649)
	w.Addr(netip.MustParseAddr("2001:db8::1"))
	w.Port(80)
	w.String("unknown_HTTP_method")
	w.Bytes([]byte("GE\x00T"))
	w.Bool(false)
	w.Unset() // peer
	w.String("HTTP")
	if err := w.End(); err != nil {
		panic(err)
	}
	if err := w.Close(start + 2e9); err != nil {
		panic(err)
	}
	out, _ := os.ReadFile(filepath.Join(dir, "weird.log"))
	fmt.Print(string(out))
	// Output:
	// {"ts":1300475167.0965365,"uid":"CHhAvVGS1DHFjwGM9","id.orig_h":"141.142.220.118","id.orig_p":48649,"id.resp_h":"2001:db8::1","id.resp_p":80,"name":"unknown_HTTP_method","addl":"GE\\x00T","notice":false,"source":"HTTP"}
}
