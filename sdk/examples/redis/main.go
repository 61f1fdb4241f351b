// Command weir-redis is an out-of-process weir plugin that analyzes Redis:
// it subscribes to the reassembled TCP stream of connections to port 6379
// (StreamData), parses RESP, pairs each command with its reply and writes
// redis.log with its own schema (redis.json).
//
// It is the worked example of weir's SDK: a Go module of its own that
// imports github.com/weirnet/weir/sdk. See README.md.
package main

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/weirnet/weir/logs"
	"github.com/weirnet/weir/logs/schema"
	"github.com/weirnet/weir/sdk"
	"github.com/weirnet/weir/sdk/event"
)

//go:embed redis.json
var schemaJSON []byte

func main() {
	sdk.Serve("redis", &Analyzer{}, serveOptions()...)
}

// serveOptions are the subscriptions: raw stream data of the Redis port,
// and the end of connections to forget their state.
func serveOptions() []sdk.Option {
	return []sdk.Option{
		sdk.Subscribe(event.KindStreamData, event.KindConnEnd),
		sdk.Logs("redis"),
	}
}

// Options are the plugin's options, from its [plugin.options] table.
type Options struct {
	// Ports whose connections are analyzed; default 6379.
	Ports []uint16 `json:"ports"`
	// MaxPending bounds the commands of one connection waiting for their
	// replies; beyond it the oldest is logged without a reply. Default 1024.
	MaxPending int `json:"max_pending"`
}

// Analyzer is the plugin's handler.
type Analyzer struct {
	opts  Options
	log   *schema.Log
	w     *logs.Writer
	conns map[string]*conn
}

// conn is the state of one connection.
type conn struct {
	UID     string
	ID      event.ConnID
	Cli     parser    // client to server: commands
	Srv     parser    // server to client: replies
	Pending []command // commands waiting for their replies, oldest first
	Broken  bool      // a gap or non-RESP data: analysis stopped
}

type command struct {
	TS     int64
	Name   string
	Key    string
	HasKey bool
	Args   int
}

// Init decodes the options and subscribes to the ports.
func (a *Analyzer) Init(ctx *sdk.Context) error {
	a.opts = Options{Ports: []uint16{6379}, MaxPending: 1024}
	if err := ctx.DecodeOptions(&a.opts); err != nil {
		return err
	}
	if len(a.opts.Ports) == 0 || a.opts.MaxPending <= 0 {
		return fmt.Errorf("redis: options: ports must not be empty and max_pending must be positive")
	}
	ctx.StreamPorts(a.opts.Ports...)
	l, err := schema.Parse(schemaJSON)
	if err != nil {
		return err
	}
	a.log = l
	a.conns = make(map[string]*conn)
	return nil
}

// Handle parses stream data and forgets ended connections.
func (a *Analyzer) Handle(ctx *sdk.Context, batch []event.Event) error {
	for i := range batch {
		ev := &batch[i]
		switch {
		case ev.Kind == event.KindStreamData && ev.Data != nil:
			if !slices.Contains(a.opts.Ports, ev.Data.ID.RespP) {
				continue
			}
			if err := a.data(ctx, ev.Time, ev.Data); err != nil {
				return err
			}
		case ev.Kind == event.KindConnEnd && ev.Conn != nil:
			if c := a.conns[ev.Conn.UID]; c != nil {
				if err := a.flush(ctx, c); err != nil {
					return err
				}
				delete(a.conns, ev.Conn.UID)
			}
		}
	}
	return nil
}

func (a *Analyzer) data(ctx *sdk.Context, ts int64, d *event.Data) error {
	c := a.conns[d.UID]
	if c == nil {
		c = &conn{UID: d.UID, ID: d.ID}
		a.conns[d.UID] = c
	}
	if c.Broken {
		return nil
	}
	if d.Gap > 0 {
		// RESP cannot be picked up in the middle of a value: stop.
		c.Broken = true
		ctx.Logger().Debug("content gap: no further analysis", "uid", c.UID)
		return a.flush(ctx, c)
	}
	var err error
	if d.IsOrig {
		perr := c.Cli.feed(d.Bytes, func(m *msg) {
			if len(c.Pending) >= a.opts.MaxPending {
				err = a.write(ctx, c, &c.Pending[0], nil, ts)
				c.Pending = c.Pending[1:]
			}
			c.Pending = append(c.Pending, newCommand(ts, m))
		})
		if perr != nil {
			c.Broken = true
		}
		return err
	}
	perr := c.Srv.feed(d.Bytes, func(m *msg) {
		if m.Type == '>' || m.Type == '|' { // pushes and attributes answer no command
			return
		}
		var cmd *command
		if len(c.Pending) > 0 {
			cmd = &c.Pending[0]
		}
		if werr := a.write(ctx, c, cmd, m, ts); werr != nil && err == nil {
			err = werr
		}
		if cmd != nil {
			c.Pending = c.Pending[1:]
		}
	})
	if perr != nil {
		c.Broken = true
	}
	return err
}

func newCommand(ts int64, m *msg) command {
	cmd := command{TS: ts, Args: max(m.Elems-1, 0)}
	if len(m.Parts) > 0 {
		cmd.Name = strings.ToUpper(m.Parts[0])
	}
	if len(m.Parts) > 1 {
		cmd.Key, cmd.HasKey = m.Parts[1], true
	}
	return cmd
}

// flush logs the connection's commands that got no reply.
func (a *Analyzer) flush(ctx *sdk.Context, c *conn) error {
	for i := range c.Pending {
		if err := a.write(ctx, c, &c.Pending[i], nil, 0); err != nil {
			return err
		}
	}
	c.Pending = nil
	return nil
}

var replyNames = map[byte]string{
	'+': "status", '-': "error", ':': "integer", '$': "bulk", '=': "verbatim", '!': "error",
	'*': "array", '~': "set", '%': "map", '>': "push", '_': "null", '#': "bool", ',': "double", '(': "bignum",
}

// write logs one command with its reply (nil: none seen) at replyTS.
func (a *Analyzer) write(ctx *sdk.Context, c *conn, cmd *command, reply *msg, replyTS int64) error {
	ts := replyTS
	if cmd != nil {
		ts = cmd.TS
	}
	if a.w == nil {
		w, err := ctx.CreateLog(a.log, ts)
		if err != nil {
			return err
		}
		a.w = w
	}
	w := a.w
	w.Begin()
	w.Time(ts)
	w.String(c.UID)
	w.Addr(c.ID.OrigH)
	w.Port(c.ID.OrigP)
	w.Addr(c.ID.RespH)
	w.Port(c.ID.RespP)
	if cmd != nil && cmd.Name != "" {
		w.String(cmd.Name)
	} else {
		w.Unset()
	}
	if cmd != nil && cmd.HasKey {
		w.String(cmd.Key)
	} else {
		w.Unset()
	}
	if cmd != nil {
		w.Count(uint64(cmd.Args))
	} else {
		w.Unset()
	}
	if reply == nil {
		w.Unset() // reply
		w.Unset() // reply_len
		w.Unset() // status
		w.Unset() // rtt
		return w.End()
	}
	name := replyNames[reply.Type]
	if reply.Null {
		name = "null"
	}
	w.Enum(name)
	switch {
	case reply.Null:
		w.Unset()
	case reply.Type == '$' || reply.Type == '=' || reply.Type == '*' || reply.Type == '~' || reply.Type == '%' || reply.Type == '>':
		w.Count(uint64(reply.N))
	default:
		w.Unset()
	}
	if reply.Type == '+' || reply.Type == '-' || reply.Type == '!' {
		w.String(reply.Str)
	} else {
		w.Unset()
	}
	if cmd != nil {
		w.Interval(replyTS - cmd.TS)
	} else {
		w.Unset()
	}
	return w.End()
}

// Close logs what is still waiting for a reply, connection by connection
// in uid order, so the log does not depend on map order.
func (a *Analyzer) Close(ctx *sdk.Context, ts int64) error {
	uids := make([]string, 0, len(a.conns))
	for uid := range a.conns {
		uids = append(uids, uid)
	}
	slices.Sort(uids)
	for _, uid := range uids {
		if err := a.flush(ctx, a.conns[uid]); err != nil {
			return err
		}
	}
	return nil
}

// Snapshot saves the connections' parsing state with each checkpoint, so
// that a restarted plugin continues the streams where it left them.
func (a *Analyzer) Snapshot() ([]byte, error) { return json.Marshal(a.conns) }

// Restore loads a snapshot.
func (a *Analyzer) Restore(state []byte) error {
	if len(state) == 0 {
		return nil
	}
	return json.Unmarshal(state, &a.conns)
}

var (
	_ sdk.Initializer = (*Analyzer)(nil)
	_ sdk.Closer      = (*Analyzer)(nil)
	_ sdk.Snapshotter = (*Analyzer)(nil)
)
