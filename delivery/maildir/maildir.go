// Package maildir writes messages into Maildir and Maildir++ mailboxes
// durably, and keeps Maildir++ quota accounting (the maildirsize file).
//
// # Plain delivery (Writer.Deliver)
//
// A delivery creates the message in tmp/ with O_CREATE|O_EXCL and mode 0600,
// writes it, fsyncs it, hard-links it into new/ (link fails instead of
// overwriting, so names never collide), removes the tmp/ name and fsyncs
// new/. Only after the fsync of new/ has returned is the message safe against
// a crash, and only then does Deliver report success. On any failure the tmp/
// file is removed and new/ holds no trace of the message.
//
// A process killed after the link into new/ but before its answer reached
// Postfix leaves a complete message behind, and Postfix's retry delivers a
// second copy: at least once, as with Postfix's own virtual(8).
//
// # Idempotent delivery (Writer.DeliverOnce)
//
// When the delivery has an identity — Postfix's pipe(8) passes ${queue_id}
// — a delivery into one maildir happens exactly once per key, however often
// the agent is killed and Postfix retries. The key (OnceKey) is a hash of
// the queue id, the final recipient address, the maildir folder and the
// message bytes. With X = OnceTmpName(key, size) = `<key>.<host>,S=<size>`
// and the marker M = `<maildir>/hostdir-delivered/<key>`:
//
//  1. If M exists, an earlier attempt committed the message. If tmp/X still
//     exists, that attempt died before moving it: rename tmp/X into new/
//     and fsync new/ (outcome Completed). Otherwise the message is already
//     in new/ (or the user has since read or deleted it): fsync new/ in case
//     the killed attempt had not, write nothing, succeed (AlreadyDelivered).
//  2. Otherwise remove a stale tmp/X an earlier attempt left unfinished,
//     create tmp/X with O_EXCL, write it, fsync it, and fsync tmp/ (the
//     name must be durable before anything refers to it).
//  3. Create M as a hard link to the day's anchor, an empty file made
//     durable before it got its name (see AnchorPrefix; an empty file of
//     its own, O_CREAT|O_EXCL, where links are impossible; hostdir-delivered/
//     is created on first use and its parent fsynced) and fsync
//     hostdir-delivered/. This is the commit point: from here on the
//     message counts as delivered and tmp/X is never removed by the writer.
//  4. Rename tmp/X to new/`<sec>.M<usec>K<key>.<host>,S=<size>` (the time
//     first, so readers order new mail as usual) and fsync new/ (Written).
//
// A crash before 3 leaves at most an unfinished tmp/X, which the retry
// replaces; a crash after 3 leaves the marker, and the retry completes or
// confirms the delivery. Either way new/ never holds a partial message and
// ends up with exactly one copy. Errors after the commit point leave the
// marker and tmp/X in place for the next attempt.
//
// Quota: the caller checks the quota only before a fresh write (DeliverOnce's
// admit function, never for a committed message) and appends to maildirsize
// only for the outcomes Written and Completed, after DeliverOnce returned:
// the usage of a message is counted once, or not at all when the process
// died between the rename and the append (Maildir++ accounting is advisory
// and the next recalculation heals it).
//
// Markers older than MarkerMaxAge (10 days, longer than Postfix keeps a
// message queued; the markers of one day share their anchor's time, so
// they go after 9 to 10 days) are removed after a delivery, at most once a
// day per maildir (ExpireMarkers). Limits: a tmp/X left for more than 36 hours is
// removed by tmp/ cleaning (CleanTmp, IMAP servers), after which a retry
// counts the message as delivered; Postfix retries within its
// maximal_backoff_time (about an hour by default), far sooner. Two attempts
// with the same key must not run at once; Postfix never runs them so.
//
// Directory fsyncs (SyncDir) are shared by concurrent deliveries of one
// Writer into the same directory (group commit): each caller still gets
// the result of an fsync that began after its own change.
//
// All file system access goes through the FS interface so tests can inject
// failures; OS is the real implementation.
package maildir

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Errors reported by the writer. They are wrapped with the path concerned;
// test with errors.Is.
var (
	// ErrUnsafePath: the maildir path contains "..", is not absolute, or
	// leaves its base directory (lexically or through a symbolic link).
	ErrUnsafePath = errors.New("unsafe mailbox path")
	// ErrNoBase: the base directory under which maildirs live does not exist.
	// Usually an unmounted file system: delivering there would hide mail.
	ErrNoBase = errors.New("mailbox base directory does not exist")
)

// DirMode is the mode of directories the writer creates.
const DirMode fs.FileMode = 0o700

// FileMode is the mode of message files.
const FileMode fs.FileMode = 0o600

// Writer delivers messages into maildirs. Its zero value is not ready: use
// New. A Writer is safe for concurrent use; it must not be copied.
type Writer struct {
	// FS is the file system; OS{} unless a test injects another.
	FS FS
	// Hostname appears in unique names (with '/' and ':' escaped).
	Hostname string
	// PID appears in unique names.
	PID int
	// Now returns the current time; time.Now unless a test sets another.
	Now func() time.Time

	seq atomic.Uint64 // the Q<n> counter

	syncMu sync.Mutex            // guards syncs
	syncs  map[string]*dirSyncer // directory fsyncs in progress (SyncDir)

	cleanMu sync.Mutex           // guards cleaned
	cleaned map[string]time.Time // last CleanTmpDue per maildir
}

// New returns a Writer on the real file system with the host name and
// process id of this process.
func New() *Writer {
	h, err := os.Hostname()
	if err != nil || h == "" {
		h = "localhost"
	}
	return &Writer{FS: OS{}, Hostname: h, PID: os.Getpid(), Now: time.Now}
}

func (w *Writer) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

func (w *Writer) fs() FS {
	if w.FS == nil {
		return OS{}
	}
	return w.FS
}

// EscapeHost makes a host name safe for a maildir file name: '/' becomes
// `\057` and ':' becomes `\072` (the Maildir convention).
func EscapeHost(h string) string {
	if !strings.ContainsAny(h, "/:") {
		return h
	}
	return strings.NewReplacer("/", `\057`, ":", `\072`).Replace(h)
}

// UniqueName returns a new file name `<sec>.M<usec>P<pid>Q<n>.<host>,S=<size>`.
// n counts deliveries of this Writer, so names are unique within the process
// even within one microsecond; the pid separates processes.
func (w *Writer) UniqueName(size int64) string {
	t := w.now()
	n := w.seq.Add(1)
	host := EscapeHost(w.Hostname)
	if host == "" {
		host = "localhost"
	}
	b := make([]byte, 0, 64+len(host))
	b = strconv.AppendInt(b, t.Unix(), 10)
	b = append(b, ".M"...)
	b = strconv.AppendInt(b, int64(t.Nanosecond()/1000), 10)
	b = append(b, 'P')
	b = strconv.AppendInt(b, int64(w.PID), 10)
	b = append(b, 'Q')
	b = strconv.AppendUint(b, n, 10)
	b = append(b, '.')
	b = append(b, host...)
	b = append(b, ",S="...)
	b = strconv.AppendInt(b, size, 10)
	return string(b)
}

// Join returns base/mailbox for a mailbox path taken from the directory (the
// HOWTO's `mailbox` attribute, e.g. "example.com/alice/"), as Postfix's
// virtual_mailbox_base does: an absolute mailbox is still placed under base.
// It refuses (ErrUnsafePath) a relative base, a mailbox with a ".." component
// or a NUL byte, and a result equal to base.
func Join(base, mailbox string) (string, error) {
	if !filepath.IsAbs(base) {
		return "", fmt.Errorf("%w: base %q is not absolute", ErrUnsafePath, base)
	}
	if strings.IndexByte(mailbox, 0) >= 0 || strings.IndexByte(base, 0) >= 0 {
		return "", fmt.Errorf("%w: NUL byte in %q", ErrUnsafePath, mailbox)
	}
	for _, c := range strings.Split(mailbox, "/") {
		if c == ".." {
			return "", fmt.Errorf("%w: %q contains \"..\"", ErrUnsafePath, mailbox)
		}
	}
	base = filepath.Clean(base)
	p := filepath.Join(base, mailbox)
	if !Within(base, p) || p == base {
		return "", fmt.Errorf("%w: %q is not below %q", ErrUnsafePath, mailbox, base)
	}
	return p, nil
}

// Within reports whether the clean absolute path p is base or lies below it.
func Within(base, p string) bool {
	if base == "/" {
		return strings.HasPrefix(p, "/")
	}
	return p == base || strings.HasPrefix(p, base+"/")
}

// Ensure makes sure dir is a maildir (tmp/, new/ and cur/ exist) below base,
// creating dir, its missing parents and the subdirectories with mode 0700
// and fsyncing each parent whose contents changed, so the new directories
// survive a crash. base itself must exist (ErrNoBase otherwise). dir must be
// clean, absolute and strictly below base, also after resolving symbolic
// links of its existing part (ErrUnsafePath otherwise).
func (w *Writer) Ensure(base, dir string) error {
	fsys := w.fs()
	base = filepath.Clean(base)
	if !filepath.IsAbs(base) || !filepath.IsAbs(dir) || filepath.Clean(dir) != dir || !Within(base, dir) || dir == base {
		return fmt.Errorf("%w: %q is not below %q", ErrUnsafePath, dir, base)
	}
	realBase, err := fsys.EvalSymlinks(base)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%w: %s", ErrNoBase, base)
		}
		return fmt.Errorf("resolve mailbox base %s: %w", base, err)
	}
	// Fast path: an existing maildir.
	complete := true
	for _, sub := range [...]string{"tmp", "new", "cur"} {
		if _, err := fsys.Stat(filepath.Join(dir, sub)); err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("stat maildir %s: %w", dir, err)
			}
			complete = false
			break
		}
	}
	// Find the deepest existing ancestor (dir itself when it exists).
	p := dir
	var missing []string
	if !complete {
		for {
			fi, err := fsys.Stat(p)
			if err == nil {
				if !fi.IsDir() {
					return fmt.Errorf("maildir %s: %s is not a directory", dir, p)
				}
				break
			}
			if !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("stat %s: %w", p, err)
			}
			if p == base {
				return fmt.Errorf("%w: %s", ErrNoBase, base)
			}
			missing = append(missing, p)
			p = filepath.Dir(p)
		}
	}
	real, err := fsys.EvalSymlinks(p)
	if err != nil {
		return fmt.Errorf("resolve %s: %w", p, err)
	}
	if !Within(realBase, real) {
		return fmt.Errorf("%w: %s resolves to %s, outside %s", ErrUnsafePath, p, real, realBase)
	}
	if complete {
		return nil
	}
	for i := len(missing) - 1; i >= 0; i-- {
		if err := w.mkdir(missing[i]); err != nil {
			return err
		}
	}
	for _, sub := range [...]string{"tmp", "new", "cur"} {
		if err := w.mkdir(filepath.Join(dir, sub)); err != nil {
			return err
		}
	}
	return nil
}

// mkdir creates one directory (an existing one is fine) and fsyncs its parent
// when it was created.
func (w *Writer) mkdir(p string) error {
	err := w.fs().Mkdir(p, DirMode)
	if errors.Is(err, fs.ErrExist) {
		fi, serr := w.fs().Stat(p)
		if serr == nil && fi.IsDir() {
			return nil
		}
		return fmt.Errorf("create directory %s: %w", p, err)
	}
	if err != nil {
		return fmt.Errorf("create directory %s: %w", p, err)
	}
	if err := w.SyncDir(filepath.Dir(p)); err != nil {
		return err
	}
	return nil
}

// Deliver writes the concatenation of parts as one message into the existing
// maildir dir (see Ensure) and returns the file name in new/. The message is
// durable when Deliver returns nil. On error nothing is left in new/ or tmp/.
func (w *Writer) Deliver(ctx context.Context, dir string, parts ...[]byte) (string, error) {
	fsys := w.fs()
	var size int64
	for _, p := range parts {
		size += int64(len(p))
	}
	for attempt := 0; attempt < 16; attempt++ {
		if err := ctx.Err(); err != nil {
			return "", fmt.Errorf("maildir delivery to %s: %w", dir, err)
		}
		name := w.UniqueName(size)
		tmp := filepath.Join(dir, "tmp", name)
		dst := filepath.Join(dir, "new", name)
		f, err := fsys.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, FileMode)
		if errors.Is(err, fs.ErrExist) {
			continue // name taken (a clock step back): take the next
		}
		if err != nil {
			return "", fmt.Errorf("create %s: %w", tmp, err)
		}
		if err := writeSyncClose(f, tmp, parts); err != nil {
			_ = fsys.Remove(tmp)
			return "", err
		}
		err = fsys.Link(tmp, dst)
		if errors.Is(err, fs.ErrExist) {
			_ = fsys.Remove(tmp)
			continue
		}
		if err != nil && linkUnsupported(err) {
			// File systems without hard links: rename, after making
			// sure the name is free (racy, but names are unique).
			if _, serr := fsys.Stat(dst); serr == nil {
				_ = fsys.Remove(tmp)
				continue
			}
			err = fsys.Rename(tmp, dst)
		} else if err == nil {
			// The message is in new/; a leftover tmp/ name is harmless
			// (cleaned after 36 hours) but remove it now.
			_ = fsys.Remove(tmp)
		}
		if err != nil {
			_ = fsys.Remove(tmp)
			return "", fmt.Errorf("link %s into new/: %w", tmp, err)
		}
		if err := w.SyncDir(filepath.Join(dir, "new")); err != nil {
			// Not durable: take it back so a redelivery makes no duplicate.
			_ = fsys.Remove(dst)
			return "", err
		}
		return name, nil
	}
	return "", fmt.Errorf("maildir delivery to %s: no unique file name after 16 attempts", dir)
}

func writeSyncClose(f File, name string, parts [][]byte) error {
	for _, p := range parts {
		if _, err := f.Write(p); err != nil {
			f.Close()
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("fsync %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", name, err)
	}
	return nil
}

// linkUnsupported reports whether a link error means the file system has no
// hard links (then rename is used).
func linkUnsupported(err error) bool {
	return errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.ENOTSUP) ||
		errors.Is(err, syscall.EOPNOTSUPP) || errors.Is(err, syscall.EMLINK)
}

// CleanTmp removes files in dir/tmp/ last modified before olderThan ago
// (Maildir says 36 hours) and returns how many it removed. Errors on single
// files are ignored; an unreadable tmp/ is reported.
func (w *Writer) CleanTmp(dir string, olderThan time.Duration) (int, error) {
	fsys := w.fs()
	tmp := filepath.Join(dir, "tmp")
	ents, err := fsys.ReadDir(tmp)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", tmp, err)
	}
	limit := w.now().Add(-olderThan)
	n := 0
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		fi, err := e.Info()
		if err != nil || !fi.ModTime().Before(limit) {
			continue
		}
		if fsys.Remove(filepath.Join(tmp, e.Name())) == nil {
			n++
		}
	}
	return n, nil
}

// TmpCleanInterval is how often at most CleanTmpDue lets one Writer clean
// the tmp/ of one maildir.
const TmpCleanInterval = time.Hour

// maxCleaned bounds the maildirs CleanTmpDue remembers.
const maxCleaned = 10000

// CleanTmpDue reports whether the tmp/ of the maildir dir is due for
// CleanTmp: on the first call for dir, then at most once per
// TmpCleanInterval for one Writer. A long-running process (the LMTP
// server) thus scans each tmp/ once an hour instead of at each delivery,
// while a process per delivery scans at each delivery as before (files
// are only removed after 36 hours, so an hour's delay changes nothing).
// It remembers at most 10000 maildirs; past that it forgets them all.
func (w *Writer) CleanTmpDue(dir string) bool {
	now := w.now()
	w.cleanMu.Lock()
	defer w.cleanMu.Unlock()
	if last, ok := w.cleaned[dir]; ok {
		if age := now.Sub(last); age >= 0 && age < TmpCleanInterval {
			return false
		}
	}
	if w.cleaned == nil || len(w.cleaned) >= maxCleaned {
		w.cleaned = make(map[string]time.Time)
	}
	w.cleaned[dir] = now
	return true
}

// IsStorageFull reports whether err means the disk or the user's file system
// quota is full (ENOSPC, EDQUOT).
func IsStorageFull(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}
