package sdk_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/weirnet/weir/logs"
	"github.com/weirnet/weir/logs/schema"
	"github.com/weirnet/weir/sdk"
	"github.com/weirnet/weir/sdk/event"
)

const longSchema = `{"path": "long", "description": "Connections that lasted over an hour.", "fields": [
	{"name": "uid", "type": "string", "description": "The connection."},
	{"name": "duration", "type": "interval", "description": "How long it lasted."}]}`

// long logs the connections that lasted more than an hour: the plugin of
// the README.
type long struct{ w *logs.Writer }

func (l *long) Handle(ctx *sdk.Context, batch []event.Event) error {
	for _, ev := range batch {
		if ev.Conn.Duration < 3600e9 {
			continue
		}
		if l.w == nil {
			s, err := schema.Parse([]byte(longSchema))
			if err != nil {
				return err
			}
			if l.w, err = ctx.CreateLog(s, ev.Time); err != nil {
				return err
			}
		}
		l.w.Begin()
		l.w.String(ev.Conn.UID)
		l.w.Interval(ev.Conn.Duration)
		if err := l.w.End(); err != nil {
			return err
		}
	}
	return nil
}

// Run drives a handler in process, as a plugin's tests do. In the plugin's
// main the same handler is served with
//
//	sdk.Serve("long", &long{}, sdk.Subscribe(event.KindConnEnd))
func ExampleRun() {
	dir, _ := os.MkdirTemp("", "sdk-example-")
	defer os.RemoveAll(dir)
	batch := []event.Event{
		{Kind: event.KindConnEnd, Time: 1e18, Conn: &event.Conn{UID: "Cshort", Duration: 5e9}},
		{Kind: event.KindConnEnd, Time: 1e18 + 1, Conn: &event.Conn{UID: "Clong", Duration: 7200e9}},
	}
	err := sdk.Run("long", &long{}, sdk.RunConfig{Logs: logs.Options{Dir: dir, Format: logs.JSON}, OpenTS: 1e18, CloseTS: 2e18},
		[][]event.Event{batch}, sdk.Subscribe(event.KindConnEnd))
	if err != nil {
		fmt.Println(err)
		return
	}
	out, _ := os.ReadFile(filepath.Join(dir, "long.log"))
	fmt.Print(strings.TrimSpace(string(out)))
	// Output: {"uid":"Clong","duration":7200.0}
}
