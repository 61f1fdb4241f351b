package livetest

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// Proc is a helper process running in the background, started with
// StartHelper. Its stdout is read line by line (Line); closing its stdin
// (Stop) asks it to finish.
type Proc struct {
	name   string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string   // stdout, line by line; closed at EOF
	stderr *Output       // what it said on stderr
	done   chan struct{} // closed once it exited and exit is set
	exit   error
}

// StartHelper starts a helper (a registered one, or udpsend/udpsink) in
// namespace ns ("" for the test's own) with the given arguments, in the
// background. It is killed when the test ends if it is still running.
// Up to 1024 lines of its output wait unread; a helper that writes more
// blocks until they are read.
func StartHelper(t testing.TB, ns, name string, args ...string) *Proc {
	t.Helper()
	argv := []string{os.Args[0], "-test.run=^$", strings.Join(append([]string{name}, args...), " ")}
	if ns != "" {
		argv = append([]string{"ip", "netns", "exec", ns}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	// Without the race detector's one-second pause at exit.
	cmd.Env = append(os.Environ(), helperEnv+"="+name, "GORACE=atexit_sleep_ms=0")
	p := &Proc{name: name, cmd: cmd, lines: make(chan string, 1024), stderr: &Output{}, done: make(chan struct{})}
	cmd.Stderr = p.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("livetest: start helper %s: %v", name, err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
		p.exit = cmd.Wait() // after stdout is drained, as exec requires
		close(p.done)
	}()
	t.Cleanup(p.kill)
	return p
}

// kill kills the helper (if it still runs) and waits for it, dropping
// what it wrote that nobody read.
func (p *Proc) kill() {
	p.cmd.Process.Kill()
	go func() {
		for range p.lines { // unblock the reader if the buffer is full
		}
	}()
	<-p.done
}

// Line returns the next line the helper writes on stdout, failing the
// test if none comes within d.
func (p *Proc) Line(t testing.TB, d time.Duration) string {
	t.Helper()
	select {
	case l, ok := <-p.lines:
		if !ok {
			<-p.done
			t.Fatalf("livetest: helper %s ended (%v) without a line: %s", p.name, p.exit, p.stderr)
		}
		return l
	case <-time.After(d):
		t.Fatalf("livetest: helper %s said nothing within %v: %s", p.name, d, p.stderr)
	}
	return ""
}

// Ready waits (up to 10 s) for the helper to say "ready", failing the
// test if it says something else or ends first.
func (p *Proc) Ready(t testing.TB) {
	t.Helper()
	if l := p.Line(t, 10*time.Second); l != "ready" {
		t.Fatalf("livetest: helper %s said %q instead of ready: %s", p.name, l, p.stderr)
	}
}

// Stop closes the helper's stdin, which a long-running helper takes as
// the order to finish, and waits (up to d) for it to exit. It returns the
// lines it wrote that no Line call took, and fails the test if the helper
// exits with an error or does not exit in time (it is then killed).
func (p *Proc) Stop(t testing.TB, d time.Duration) []string {
	t.Helper()
	p.stdin.Close()
	return p.Wait(t, d)
}

// Wait waits (up to d) for the helper to exit on its own, as Stop does.
func (p *Proc) Wait(t testing.TB, d time.Duration) []string {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(d):
		p.kill()
		t.Fatalf("livetest: helper %s did not exit within %v: %s", p.name, d, p.stderr)
	}
	var rest []string
	for l := range p.lines {
		rest = append(rest, l)
	}
	if p.exit != nil {
		t.Fatalf("livetest: helper %s: %v: %s", p.name, p.exit, p.stderr)
	}
	return rest
}

// Output collects what a process writes (its stderr) while a test reads
// it, from any goroutine; it keeps the first 64 KiB, enough to say what
// went wrong.
type Output struct {
	mu sync.Mutex
	b  strings.Builder
}

// Write implements io.Writer.
func (b *Output) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.b.Len() < 1<<16 { // enough to say what went wrong; bounded
		b.b.Write(p)
	}
	return len(p), nil
}

// String returns what was written.
func (b *Output) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
