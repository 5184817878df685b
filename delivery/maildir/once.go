package maildir

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Idempotent delivery: see the package documentation for the protocol.
const (
	// MarkerDir is the directory, inside the maildir written to, that holds
	// one empty marker file per committed delivery, named by its key. (No
	// leading dot: IMAP servers take dot-directories of a maildir for
	// folders.)
	MarkerDir = "hostdir-delivered"
	// MarkerMaxAge is the age after which markers are removed. It must
	// exceed the time a message can stay in Postfix's queue
	// (maximal_queue_lifetime, default 5 days): a retry after its marker
	// was removed delivers a second copy.
	MarkerMaxAge = 10 * 24 * time.Hour
	// MarkerScanInterval is how often at most the markers of one maildir
	// are scanned for expired ones; the modification time of the file
	// MarkerStamp in MarkerDir records the last scan.
	MarkerScanInterval = 24 * time.Hour
	// MarkerStamp is the file in MarkerDir whose modification time is the
	// time of the last scan for expired markers. It is not a valid key.
	MarkerStamp = "last-expiry"
	// KeyLen is the length of a delivery key in hexadecimal digits.
	KeyLen = 32
)

// Outcome says what DeliverOnce did.
type Outcome int

// Outcomes of DeliverOnce.
const (
	// Written: this call wrote the message and moved it into new/.
	Written Outcome = iota + 1
	// Completed: an earlier attempt committed the message (marker and
	// tmp/ file) but died before moving it into new/; this call moved it.
	// Like Written, the message reached new/ through this call, so quota
	// usage must be accounted now.
	Completed
	// AlreadyDelivered: an earlier attempt delivered the message; this call
	// wrote nothing (it only fsynced new/ again). Quota usage was accounted
	// by that attempt (or lost if it died just after its rename: Maildir++
	// accounting is advisory and heals at the next recalculation).
	AlreadyDelivered
)

// String returns the outcome's name.
func (o Outcome) String() string {
	switch o {
	case Written:
		return "written"
	case Completed:
		return "completed"
	case AlreadyDelivered:
		return "already delivered"
	}
	return "Outcome(" + strconv.Itoa(int(o)) + ")"
}

// ErrBadKey is returned by DeliverOnce for a key that OnceKey did not make.
var ErrBadKey = errors.New("invalid delivery key")

// OnceKey returns the key of one idempotent delivery: the first 128 bits,
// in lower-case hex, of a SHA-256 over the Postfix queue id, the final
// recipient address, the maildir folder written to and the message itself
// (every field length-prefixed, so no two inputs share an encoding).
//
// The message is part of the key because Postfix's default short queue ids
// are reused over time (they are made of the queue file's inode number and
// the microseconds of the arrival time): a later message that gets an old
// queue id must not be taken for a retry of the earlier one. A retry hands
// the agent the same bytes again, so its key is unchanged.
func OnceKey(queueID, recipient, folder string, parts ...[]byte) string {
	h := sha256.New()
	var n [8]byte
	field := func(b []byte) {
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	h.Write([]byte("hostdir-deliver once v1\x00"))
	field([]byte(queueID))
	field([]byte(recipient))
	field([]byte(folder))
	var size uint64
	for _, p := range parts {
		size += uint64(len(p))
	}
	binary.BigEndian.PutUint64(n[:], size)
	h.Write(n[:])
	for _, p := range parts {
		h.Write(p)
	}
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0])[:KeyLen/2])
}

// ValidKey reports whether s has the form of a key OnceKey returns.
func ValidKey(s string) bool {
	if len(s) != KeyLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// OnceTmpName returns the name in tmp/ of the delivery with key: the key,
// the host and the size, `<key>.<host>,S=<size>`. It depends on nothing
// else, so a retry finds the file an earlier attempt left.
func (w *Writer) OnceTmpName(key string, size int64) string {
	b := make([]byte, 0, len(key)+len(w.Hostname)+24)
	b = append(b, key...)
	b = append(b, '.')
	b = append(b, w.host()...)
	b = append(b, ",S="...)
	b = strconv.AppendInt(b, size, 10)
	return string(b)
}

// OnceNewName returns the name a delivery with key gets in new/:
// `<sec>.M<usec>K<key>.<host>,S=<size>`, the time of the move into new/
// first (readers order new mail by it) and the key as the unique part.
func (w *Writer) OnceNewName(key string, size int64) string {
	t := w.now()
	host := w.host()
	b := make([]byte, 0, 40+len(key)+len(host))
	b = strconv.AppendInt(b, t.Unix(), 10)
	b = append(b, ".M"...)
	b = strconv.AppendInt(b, int64(t.Nanosecond()/1000), 10)
	b = append(b, 'K')
	b = append(b, key...)
	b = append(b, '.')
	b = append(b, host...)
	b = append(b, ",S="...)
	b = strconv.AppendInt(b, size, 10)
	return string(b)
}

// host returns the escaped host name for file names.
func (w *Writer) host() string {
	if h := EscapeHost(w.Hostname); h != "" {
		return h
	}
	return "localhost"
}

// Committed reports whether the delivery with key was committed in the
// maildir dir by an earlier attempt (its marker exists): the message is in
// new/ already, or waits in tmp/ for DeliverOnce to move it. Quota checks
// must not refuse such a message.
func (w *Writer) Committed(dir, key string) (bool, error) {
	if !ValidKey(key) {
		return false, fmt.Errorf("%w: %q", ErrBadKey, key)
	}
	marker := filepath.Join(dir, MarkerDir, key)
	_, err := w.fs().Stat(marker)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return false, fmt.Errorf("stat delivery marker %s: %w", marker, err)
}

// errCommitted marks an error that happened after the commit point: the
// tmp/ file must stay, the next attempt completes the delivery.
type errCommitted struct{ err error }

func (e errCommitted) Error() string { return e.err.Error() }
func (e errCommitted) Unwrap() error { return e.err }

// DeliverOnce writes the concatenation of parts into the existing maildir
// dir at most once per key (see OnceKey), following the protocol of the
// package documentation, and returns the file name in new/ ("" when the
// message was already delivered) and what this call did. It is what a
// delivery agent uses when Postfix may retry a delivery that was killed
// after the message reached new/.
//
// admit, when not nil, is called before a fresh write (not when an earlier
// attempt committed the message); its error is returned as is and nothing
// is written. The agent checks the quota there, so that a retry of a
// delivered message is never refused as over quota.
//
// The message is durable when DeliverOnce returns nil. On an error before
// the commit point nothing is left in tmp/ or new/; after it, the marker and
// the tmp/ file stay and the next call with the same key completes the
// delivery. Two calls with the same key must not run at the same time
// (Postfix never delivers one queue file to one recipient twice at once).
func (w *Writer) DeliverOnce(ctx context.Context, dir, key string, admit func() error, parts ...[]byte) (string, Outcome, error) {
	if !ValidKey(key) {
		return "", 0, fmt.Errorf("%w: %q", ErrBadKey, key)
	}
	if err := ctx.Err(); err != nil {
		return "", 0, fmt.Errorf("maildir delivery to %s: %w", dir, err)
	}
	fsys := w.fs()
	var size int64
	for _, p := range parts {
		size += int64(len(p))
	}
	tmp := filepath.Join(dir, "tmp", w.OnceTmpName(key, size))

	// (1) Committed by an earlier attempt: complete it, or nothing to do.
	committed, err := w.Committed(dir, key)
	if err != nil {
		return "", 0, err
	}
	if committed {
		name, err := w.moveNew(dir, tmp, key, size)
		if err == errGone {
			// Already in new/. The killed attempt may have died between
			// its rename and its fsync of new/: make the rename durable
			// before answering success.
			if err := w.SyncDir(filepath.Join(dir, "new")); err != nil {
				return "", 0, err
			}
			return "", AlreadyDelivered, nil
		}
		if err != nil {
			return "", 0, err
		}
		_, _ = w.ExpireMarkers(dir)
		return name, Completed, nil
	}
	if admit != nil {
		if err := admit(); err != nil {
			return "", 0, err
		}
	}

	// (2) Write tmp/X, replacing what an earlier attempt left unfinished.
	if err := fsys.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", 0, fmt.Errorf("remove stale %s: %w", tmp, err)
	}
	f, err := fsys.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, FileMode)
	if err != nil {
		return "", 0, fmt.Errorf("create %s: %w", tmp, err)
	}
	if err := writeSyncClose(f, tmp, parts); err != nil {
		_ = fsys.Remove(tmp)
		return "", 0, err
	}
	// The name in tmp/ must be durable before the commit point refers to it.
	if err := w.SyncDir(filepath.Join(dir, "tmp")); err != nil {
		_ = fsys.Remove(tmp)
		return "", 0, err
	}
	if err := ctx.Err(); err != nil {
		_ = fsys.Remove(tmp)
		return "", 0, fmt.Errorf("maildir delivery to %s: %w", dir, err)
	}

	// (3) The commit point: the marker.
	if err := w.commit(dir, key); err != nil {
		var ce errCommitted
		if !errors.As(err, &ce) {
			_ = fsys.Remove(tmp)
		}
		return "", 0, err
	}

	// (4) Into new/.
	name, err := w.moveNew(dir, tmp, key, size)
	if err != nil {
		if err == errGone {
			// Someone else moved it (a concurrent attempt against the
			// rules): it is in new/.
			return "", AlreadyDelivered, w.SyncDir(filepath.Join(dir, "new"))
		}
		return "", 0, err
	}
	_, _ = w.ExpireMarkers(dir)
	return name, Written, nil
}

// commit creates the marker of key (and MarkerDir when missing) and fsyncs
// MarkerDir. Errors after the marker exists are errCommitted.
//
// The marker is a hard link to the anchor of the day (see AnchorPrefix), so
// committing allocates no inode; when linking is impossible (a file system
// without hard links, or the anchor has as many links as the file system
// allows) the marker is an empty file of its own, as it always was before.
func (w *Writer) commit(dir, key string) error {
	mdir := filepath.Join(dir, MarkerDir)
	marker := filepath.Join(mdir, key)
	err := w.linkMarker(mdir, marker)
	if err != nil && !errors.Is(err, fs.ErrExist) {
		err = w.createMarker(mdir, marker)
	}
	switch {
	case errors.Is(err, fs.ErrExist):
		// A concurrent attempt committed the same message (same key, same
		// bytes): go on and move whichever complete copy tmp/ holds.
	case err != nil:
		var ce errCommitted
		if errors.As(err, &ce) {
			return err
		}
		return fmt.Errorf("create delivery marker %s: %w", marker, err)
	}
	if err := w.SyncDir(mdir); err != nil {
		return errCommitted{err}
	}
	return nil
}

// createMarker creates marker as an empty file of its own (and MarkerDir
// when missing). A close error after the creation is errCommitted.
func (w *Writer) createMarker(mdir, marker string) error {
	fsys := w.fs()
	f, err := fsys.OpenFile(marker, os.O_WRONLY|os.O_CREATE|os.O_EXCL, FileMode)
	if errors.Is(err, fs.ErrNotExist) {
		if err := w.mkdir(mdir); err != nil {
			return err
		}
		f, err = fsys.OpenFile(marker, os.O_WRONLY|os.O_CREATE|os.O_EXCL, FileMode)
	}
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return errCommitted{fmt.Errorf("close delivery marker %s: %w", marker, err)}
	}
	return nil
}

// AnchorPrefix starts the names of the anchor files in MarkerDir:
// "anchor-<day>", day being the Unix time divided by 86400. A marker is a
// hard link to the anchor of the day it was made, so that committing a
// delivery allocates no inode (creating an inode costs more than a link,
// much more on ext4 without a journal, where the allocator skips every
// recently freed inode one by one). All markers of a day thus share the
// anchor's modification time, its creation time: ExpireMarkers removes
// them when it is older than MarkerMaxAge, so a marker lives between
// MarkerMaxAge minus one day and MarkerMaxAge (9 to 10 days, still far
// longer than Postfix keeps a message). Past anchors are removed by the
// expiry scan (the markers keep their inode).
//
// An anchor is written under a temporary name "anchor-<day>.<pid>.<n>",
// fsynced, then linked to its final name, so a marker never refers to an
// inode that is not durable.
const AnchorPrefix = "anchor-"

// anchorDay returns the day number of t as anchors name it.
func anchorDay(t time.Time) int64 { return t.Unix() / 86400 }

// parseAnchor returns the day of an anchor's name ("anchor-<day>" or a
// temporary "anchor-<day>.<pid>.<n>").
func parseAnchor(name string) (int64, bool) {
	rest, ok := strings.CutPrefix(name, AnchorPrefix)
	if !ok {
		return 0, false
	}
	if i := strings.IndexByte(rest, '.'); i >= 0 {
		rest = rest[:i]
	}
	day, err := strconv.ParseInt(rest, 10, 64)
	return day, err == nil
}

// linkMarker links marker to the anchor of the day, creating the anchor
// (and MarkerDir) when missing. fs.ErrExist means the marker exists.
func (w *Writer) linkMarker(mdir, marker string) error {
	fsys := w.fs()
	day := anchorDay(w.now())
	anchor := filepath.Join(mdir, AnchorPrefix+strconv.FormatInt(day, 10))
	err := fsys.Link(anchor, marker)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	// No anchor yet today (or no MarkerDir).
	if err := w.makeAnchor(mdir, anchor); err != nil {
		return err
	}
	return fsys.Link(anchor, marker)
}

// makeAnchor creates the anchor file (durable before it has its name;
// another attempt's anchor of the same name is as good).
func (w *Writer) makeAnchor(mdir, anchor string) error {
	fsys := w.fs()
	tmp := anchor + "." + strconv.Itoa(w.PID) + "." + strconv.FormatUint(w.seq.Add(1), 10)
	f, err := fsys.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, FileMode)
	if errors.Is(err, fs.ErrNotExist) {
		if err := w.mkdir(mdir); err != nil {
			return err
		}
		f, err = fsys.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, FileMode)
	}
	if err != nil {
		return fmt.Errorf("create anchor %s: %w", tmp, err)
	}
	serr := f.Sync()
	cerr := f.Close()
	if serr == nil && cerr == nil {
		if err := fsys.Link(tmp, anchor); err != nil && !errors.Is(err, fs.ErrExist) {
			serr = err
		}
	}
	_ = fsys.Remove(tmp)
	if serr != nil {
		return fmt.Errorf("anchor %s: %w", anchor, serr)
	}
	if cerr != nil {
		return fmt.Errorf("anchor %s: %w", anchor, cerr)
	}
	return nil
}

// errGone is moveNew's answer when the tmp/ file is gone: the message was
// moved into new/ before.
var errGone = errors.New("already moved into new/")

// moveNew renames tmp into new/ under its OnceNewName and fsyncs new/. A
// missing tmp file is errGone (exactly: the caller takes it for "already
// delivered"); a missing new/ is another error.
func (w *Writer) moveNew(dir, tmp, key string, size int64) (string, error) {
	fsys := w.fs()
	name := w.OnceNewName(key, size)
	dst := filepath.Join(dir, "new", name)
	if err := fsys.Rename(tmp, dst); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			if _, serr := fsys.Stat(tmp); errors.Is(serr, fs.ErrNotExist) {
				return "", errGone
			}
		}
		return "", errCommitted{fmt.Errorf("rename %s into new/: %w", tmp, err)}
	}
	if err := w.SyncDir(filepath.Join(dir, "new")); err != nil {
		// Committed and in new/: the next attempt fsyncs again.
		return "", errCommitted{err}
	}
	return name, nil
}

// ExpireMarkers removes the delivery markers of the maildir dir that are
// older than MarkerMaxAge, at most once per MarkerScanInterval (the
// modification time of MarkerStamp records the last scan; of concurrent
// callers one scans). It returns how many it removed. DeliverOnce calls it
// after each delivery and ignores its errors.
func (w *Writer) ExpireMarkers(dir string) (int, error) {
	fsys := w.fs()
	mdir := filepath.Join(dir, MarkerDir)
	stamp := filepath.Join(mdir, MarkerStamp)
	now := w.now()
	fi, err := fsys.Stat(stamp)
	switch {
	case err == nil:
		age := now.Sub(fi.ModTime())
		if age >= 0 && age < MarkerScanInterval {
			return 0, nil
		}
		// Due (or stamped in the future by a clock step): claim the scan.
		if err := fsys.Remove(stamp); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return 0, fmt.Errorf("remove %s: %w", stamp, err)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return 0, fmt.Errorf("stat %s: %w", stamp, err)
	}
	f, err := fsys.OpenFile(stamp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, FileMode)
	if errors.Is(err, fs.ErrExist) {
		return 0, nil // another process scans
	}
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return 0, nil // no markers at all
		}
		return 0, fmt.Errorf("create %s: %w", stamp, err)
	}
	if err := f.Close(); err != nil {
		return 0, fmt.Errorf("close %s: %w", stamp, err)
	}
	ents, err := fsys.ReadDir(mdir)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", mdir, err)
	}
	limit := now.Add(-MarkerMaxAge)
	today := anchorDay(now)
	n := 0
	for _, e := range ents {
		if day, ok := parseAnchor(e.Name()); ok && day < today && !e.IsDir() {
			// A past day's anchor (or a temporary one a crash left):
			// its markers keep the inode.
			_ = fsys.Remove(filepath.Join(mdir, e.Name()))
			continue
		}
		if !ValidKey(e.Name()) || e.IsDir() {
			continue
		}
		info, err := e.Info()
		if err != nil || !info.ModTime().Before(limit) {
			continue
		}
		// No fsync: a removal lost in a crash is repeated next time.
		if fsys.Remove(filepath.Join(mdir, e.Name())) == nil {
			n++
		}
	}
	return n, nil
}
