package host

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	plugin "github.com/hashicorp/go-plugin"
)

// Unix sockets
//
// A go-plugin plugin process listens on a unix socket it creates with
// os.CreateTemp in the directory named by PLUGIN_UNIX_SOCKET_DIR, or in
// $TMPDIR (/tmp) without it, and removes it only when it shuts down
// gracefully. A process that is killed or crashes leaves its socket behind,
// and a sensor restarting a crashing plugin for weeks would fill /tmp with
// them. So every plugin gets a private directory (mode 0700, under
// os.TempDir()) for the sockets of its processes: it is emptied after each
// process has exited, reused by the next one, and removed when the plugin
// is closed or disabled.
//
// go-plugin v1.8.0's ClientConfig.UnixSocketConfig.TempDir does not do
// this for a Cmd: go-plugin creates a socket directory and passes it in
// PLUGIN_UNIX_SOCKET_DIR only for a RunnerFunc (its own command runner is
// internal), and UnixSocketConfig.Group only sets PLUGIN_UNIX_SOCKET_GROUP,
// which a private directory of the host's user does not need. The host
// therefore sets PLUGIN_UNIX_SOCKET_DIR itself (pluginEnv).

// maxSocketPath is the longest unix socket path the host allows: sun_path
// holds 108 bytes on Linux and 104 on the BSDs and macOS, with the NUL.
const maxSocketPath = 103

// socketSuffix stands for the name go-plugin gives a socket in the
// directory: "plugin" and os.CreateTemp's random part of up to 10 digits.
const socketSuffix = "/plugin0123456789"

// newSocketDir creates the private socket directory of the plugin named
// name: os.TempDir()/weir-plugin-NAME-RANDOM, mode 0700.
func newSocketDir(name string) (string, error) {
	dir, err := os.MkdirTemp("", "weir-plugin-"+socketDirName(name)+"-*")
	if err != nil {
		return "", fmt.Errorf("plugin %s: socket directory: %w", name, err)
	}
	if len(dir)+len(socketSuffix) > maxSocketPath {
		_ = os.Remove(dir)
		return "", fmt.Errorf("plugin %s: socket directory %s is too long for a unix socket path (at most %d bytes): set TMPDIR to a shorter directory",
			name, dir, maxSocketPath)
	}
	return dir, nil
}

// socketDirName returns name as the part of a directory name: at most 24
// bytes (see safeName).
func socketDirName(name string) string { return safeName(name, 24) }

// safeName returns name as part of a file name: at most max bytes of
// letters, digits, '.', '_' and '-'; anything else (a path separator, a '*'
// that os.MkdirTemp would take for its pattern) becomes '_'.
func safeName(name string, max int) string {
	var b strings.Builder
	for i := 0; i < len(name) && b.Len() < max; i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '_', c == '-':
			b.WriteByte(c)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// pluginEnv returns the environment of a plugin process whose sockets go
// to dir: the host's, with its own PLUGIN_UNIX_SOCKET_DIR (set if the host
// is itself a plugin process) replaced. go-plugin appends its handshake
// variables; ClientConfig.SkipHostEnv must be set, or go-plugin would
// append the host's environment after this and its value would win.
func pluginEnv(dir string) []string {
	host := os.Environ()
	env := make([]string, 0, len(host)+1)
	for _, kv := range host {
		if !strings.HasPrefix(kv, plugin.EnvUnixSocketDir+"=") {
			env = append(env, kv)
		}
	}
	return append(env, plugin.EnvUnixSocketDir+"="+dir)
}

// clearSockets removes what the plugin's processes left in its socket
// directory: the socket of a process that was killed or crashed. It must
// be called only when no process of the plugin is running (the host runs
// one at a time), after go-plugin's Client.Kill has waited for it.
func (p *Plugin) clearSockets() {
	if p.sockDir == "" {
		return
	}
	ents, err := os.ReadDir(p.sockDir)
	if errors.Is(err, os.ErrNotExist) {
		return // removed already: the plugin was disabled
	}
	if err != nil {
		p.logger.Warn("reading the socket directory", "dir", p.sockDir, "error", err.Error())
		return
	}
	var errs []error
	for _, e := range ents {
		errs = append(errs, os.RemoveAll(filepath.Join(p.sockDir, e.Name())))
	}
	if err := errors.Join(errs...); err != nil {
		p.logger.Warn("removing a stale plugin socket", "error", err.Error())
	}
}

// removeSocketDir removes the plugin's socket directory, when no process
// of the plugin will run again. Removing it twice is harmless.
func (p *Plugin) removeSocketDir() {
	if p.sockDir == "" {
		return
	}
	if err := os.RemoveAll(p.sockDir); err != nil {
		p.logger.Warn("removing the socket directory", "dir", p.sockDir, "error", err.Error())
	}
}
