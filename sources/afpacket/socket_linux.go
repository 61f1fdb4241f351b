package afpacket

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"runtime"
	"strconv"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// openSocket creates an AF_PACKET socket (protocol 0: it receives nothing
// before bind), in the network namespace at netns if not empty. After
// DropPrivileges(…, true) the socket is created on the thread that kept
// CAP_NET_RAW.
func openSocket(netns string) (int, error) {
	if o := opener.Load(); o != nil {
		if netns != "" {
			return -1, errors.New("cannot enter a network namespace after privileges were dropped")
		}
		return o.open()
	}
	if netns == "" {
		return rawSocket()
	}
	return inNetns(netns, rawSocket)
}

func rawSocket() (int, error) {
	return unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
}

// inNetns runs fn on a thread of its own moved into the network namespace
// at path. A socket keeps the namespace it was created in, wherever it is
// used afterwards. The thread is never unlocked, so the runtime ends it
// with its goroutine rather than run other goroutines in that namespace.
func inNetns(path string, fn func() (int, error)) (int, error) {
	type result struct {
		fd  int
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		ns, err := os.Open(path)
		if err != nil {
			ch <- result{-1, err}
			return
		}
		defer ns.Close()
		if err := unix.Setns(int(ns.Fd()), unix.CLONE_NEWNET); err != nil {
			ch <- result{-1, fmt.Errorf("enter network namespace %s: %w", path, err)}
			return
		}
		fd, err := fn()
		ch <- result{fd, err}
	}()
	r := <-ch
	return r.fd, r.err
}

// opener is set once privileges were dropped with CAP_NET_RAW kept.
var opener atomic.Pointer[privOpener]

// privOpener is a goroutine locked to the one OS thread that kept
// CAP_NET_RAW: capabilities belong to threads, and the runtime never
// clones a new thread from a locked one (it asks its template thread), so
// no other thread inherits it.
type privOpener struct {
	req chan chan openResult
}

type openResult struct {
	fd  int
	err error
}

func (o *privOpener) open() (int, error) {
	ch := make(chan openResult, 1)
	o.req <- ch
	r := <-ch
	return r.fd, r.err
}

// DropPrivileges switches the whole process to the user named (a name or a
// numeric uid), with that user's primary group and no supplementary groups:
// call it once every Source is open, before any traffic is analyzed.
//
// Without keepNetRaw no capability is left; open sockets keep working, and
// an interface that goes down and up again resumes, but one that is deleted
// and recreated cannot be reopened (EventReopenFailed, EPERM).
//
// With keepNetRaw one locked OS thread keeps CAP_NET_RAW (and nothing
// else), and every later Open or reopening creates its socket there: the
// rest of the process runs without capabilities. Opening in another
// network namespace (Config.Netns) is then refused, as it would need
// CAP_SYS_ADMIN.
//
// It needs to run as root (or with CAP_SETUID, CAP_SETGID and, for
// keepNetRaw, CAP_NET_RAW) and works with or without cgo. It is not
// reversible. Running the binary as the unprivileged user from the start,
// with `setcap cap_net_raw=ep` on it, is the alternative that needs no
// root at all.
func DropPrivileges(username string, keepNetRaw bool) error {
	uid, gid, err := lookupUser(username)
	if err != nil {
		return fmt.Errorf("afpacket: drop privileges: %w", err)
	}
	if uid == 0 {
		return errors.New("afpacket: drop privileges: refusing to switch to uid 0")
	}
	var o *privOpener
	ready := make(chan error)
	setuidDone := make(chan struct{})
	if keepNetRaw {
		if opener.Load() != nil {
			return errors.New("afpacket: privileges were already dropped")
		}
		o = &privOpener{req: make(chan chan openResult)}
		go o.run(ready, setuidDone)
		if err := <-ready; err != nil {
			return fmt.Errorf("afpacket: drop privileges: %w", err)
		}
	}
	// These apply to every thread of the process (all-threads system calls,
	// or libc's broadcast under cgo).
	if err = syscall.Setgroups(nil); err == nil {
		if err = syscall.Setgid(gid); err == nil {
			err = syscall.Setuid(uid)
		}
	}
	if keepNetRaw {
		close(setuidDone)
		if cerr := <-ready; err == nil && cerr != nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("afpacket: drop privileges to %s (uid %d, gid %d): %w", username, uid, gid, err)
	}
	if keepNetRaw {
		opener.Store(o)
	}
	return nil
}

// run is the privileged opener's goroutine. It asks the kernel to keep its
// thread's permitted capabilities across setuid, waits for setuid, then
// reduces them to CAP_NET_RAW and serves socket requests forever.
func (o *privOpener) run(ready chan<- error, setuidDone <-chan struct{}) {
	runtime.LockOSThread() // never unlocked: the capability stays on this thread
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 1, 0, 0, 0); err != nil {
		ready <- fmt.Errorf("prctl PR_SET_KEEPCAPS: %w", err)
		return
	}
	ready <- nil
	<-setuidDone
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	data[0].Permitted = 1 << unix.CAP_NET_RAW
	data[0].Effective = 1 << unix.CAP_NET_RAW
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		ready <- fmt.Errorf("capset CAP_NET_RAW: %w", err)
		return
	}
	ready <- nil
	for ch := range o.req {
		fd, err := rawSocket()
		ch <- openResult{fd, err}
	}
}

func lookupUser(name string) (uid, gid int, err error) {
	u, err := user.Lookup(name)
	if err != nil {
		if _, nerr := strconv.Atoi(name); nerr == nil {
			u, err = user.LookupId(name)
		}
	}
	if err != nil {
		return 0, 0, err
	}
	if uid, err = strconv.Atoi(u.Uid); err != nil {
		return 0, 0, fmt.Errorf("uid %q: %w", u.Uid, err)
	}
	if gid, err = strconv.Atoi(u.Gid); err != nil {
		return 0, 0, fmt.Errorf("gid %q: %w", u.Gid, err)
	}
	return uid, gid, nil
}
