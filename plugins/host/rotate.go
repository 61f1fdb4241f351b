package host

import (
	"path/filepath"

	"github.com/weirnet/weir/sdk/protocol"
)

// Rotation of a plugin's logs.
//
// The request travels in the event stream, so that it falls between
// exactly the events the bus delivered before and after it: Rotate seals
// the batch being filled with "rotate at network time ts after these
// events" (a sync batch). The plugin rotates once it has applied the
// events, checkpoints, and names the closed files in its Ack. A crash
// neither loses nor repeats the rotation: the batch is resent unless the
// plugin's checkpoint covers it, and a resumed plugin names the files of
// the rotations its checkpoint holds again (ConfigureResponse.rotations).
//
// In replay mode Rotate waits for that Ack, as Handle waits for room, and
// returns the closed file. In live mode it returns at once, and the files
// reach the callback set with OnRotate when the Ack arrives.

// OnRotate sets the function told the files a rotation closed when Rotate
// cannot return them: in live mode (all of them, from the goroutine that
// reads the plugin's acknowledgements) and, in replay mode, every file
// after the first of a plugin with several logs. Set it before the first
// batch, typically to the bus's OnRotate (the post_rotate hook).
func (p *Plugin) OnRotate(f func(paths []string)) {
	p.mu.Lock()
	p.onRotate = f
	p.mu.Unlock()
}

// Rotate implements bus.Rotator: the plugin's logs are rotated at network
// time ts after the events handed over so far. In replay mode it waits for
// the plugin to acknowledge the rotation (through restarts, as Handle
// does) and returns the first file it closed, the others going to the
// OnRotate callback; in live mode it returns "" at once. It never fails: a
// failing plugin is restarted or disabled instead. A plugin that cannot
// rotate (built with an older SDK, or sdk.WithoutRotation) keeps its
// files; the host says so once.
func (p *Plugin) Rotate(ts int64) (string, error) {
	paths, err := p.RotateAll(ts)
	if len(paths) == 0 {
		return "", err
	}
	p.notifyRotated(paths[1:])
	return paths[0], err
}

// RotateAll is Rotate returning every file closed (replay mode), for a bus
// that takes several files per plugin.
func (p *Plugin) RotateAll(ts int64) ([]string, error) {
	if !p.desc.Rotates {
		p.noRotate.Do(func() {
			p.logger.Warn("the plugin does not rotate its logs (built with a weir SDK from before rotation, or sdk.WithoutRotation): they stay one file each")
		})
		return nil, nil
	}
	p.fillMu.Lock()
	if p.disabled.Load() {
		p.fillMu.Unlock()
		return nil, nil
	}
	if p.cur == nil {
		p.cur = p.newMessage()
	}
	p.cur.rotate, p.cur.rotateTS = true, ts
	seq := p.seal(true)
	p.fillMu.Unlock()
	if seq == 0 || p.cfg.Live {
		return nil, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.acked < seq && (p.state == stateRunning || p.state == stateRestarting) {
		p.cond.Wait()
	}
	paths := p.rotated[seq]
	delete(p.rotated, seq)
	return paths, nil
}

// rotationDone records the files the rotation of batch seq closed, as
// rots name them, once the batch is acknowledged; p.mu is held. In live
// mode they are appended to notify, for the OnRotate callback; in replay
// mode they wait for Rotate. A path outside the log directory is not
// believed: the hook runs commands on these paths.
func (p *Plugin) rotationDone(seq uint64, rots []protocol.Rotation, notify []string) []string {
	var paths []string
	for _, r := range rots {
		if r.Seq != seq {
			continue
		}
		for _, path := range r.Paths {
			if !p.inLogDir(path) {
				p.logger.Error("the plugin reports a rotated file outside the log directory; ignored", "path", path)
				continue
			}
			paths = append(paths, path)
		}
	}
	if p.cfg.Live {
		return append(notify, paths...)
	}
	if p.rotated == nil {
		p.rotated = make(map[uint64][]string)
	}
	p.rotated[seq] = paths
	return notify
}

// inLogDir reports whether path names a file right in the log directory.
func (p *Plugin) inLogDir(path string) bool {
	dir := p.cfg.Logs.Dir
	if dir == "" {
		dir = "."
	}
	path = filepath.Clean(path)
	base := filepath.Base(path)
	return base != "." && base != ".." && base != string(filepath.Separator) &&
		filepath.Dir(path) == filepath.Clean(dir)
}

// notifyRotated hands paths to the OnRotate callback; p.mu must not be held.
func (p *Plugin) notifyRotated(paths []string) {
	if len(paths) == 0 {
		return
	}
	p.mu.Lock()
	f := p.onRotate
	p.mu.Unlock()
	if f == nil {
		p.logger.Warn("rotated files not handed to post_rotate: no OnRotate callback", "files", paths)
		return
	}
	f(paths)
}

// LogBytes implements bus.Sizer from the plugin's acknowledgements: the
// record bytes in its largest current log file, and those it wrote in all
// (the current process). They lag by up to a window of batches: the plugin
// reports them at checkpoints. 0 for a plugin that does not report them.
func (p *Plugin) LogBytes() (file, total int64) {
	return p.fileBytes.Load(), p.logBytes.Load()
}
