package maildir

import (
	"fmt"
	"os"
	"sync"
)

// Group commit of directory fsyncs.
//
// An fsync of a directory makes durable every change to its entries that
// completed before the fsync began. So when several goroutines of one
// process (the LMTP server's sessions) each need a directory made durable
// after their own change, one fsync that begins after all those changes
// completed serves them all. SyncDir therefore never shares an fsync that
// was already running when it was called (it may have begun before the
// caller's change): it waits for that one to end and then shares the next
// one, which begins after the call, with every caller that arrived in the
// meantime. Each caller gets the result of an fsync that began after it
// called; on failure every caller sharing it gets the error.

// dirSyncer serializes and shares the fsyncs of one directory.
type dirSyncer struct {
	cond    *sync.Cond // on Writer.syncMu
	refs    int        // callers using this syncer (it is dropped at 0)
	running bool       // an fsync is in progress
	started uint64     // fsyncs begun
	done    uint64     // fsyncs ended
	err     error      // the result of fsync number done
}

// SyncDir fsyncs a directory, making the names created in it durable
// before it returns nil. Concurrent calls for the same directory share
// fsyncs (see the group commit rules above): a call returns the result of
// an fsync that began after the call did.
func (w *Writer) SyncDir(dir string) error {
	w.syncMu.Lock()
	if w.syncs == nil {
		w.syncs = make(map[string]*dirSyncer)
	}
	s := w.syncs[dir]
	if s == nil {
		s = &dirSyncer{cond: sync.NewCond(&w.syncMu)}
		w.syncs[dir] = s
	}
	s.refs++
	// The fsync that serves this call is the next one to begin.
	want := s.started + 1
	for s.done < want {
		if !s.running {
			// Begin it (it is number want: none began since the call,
			// else done would have reached want or one would run).
			s.running = true
			s.started++
			w.syncMu.Unlock()
			err := w.syncDirNow(dir)
			w.syncMu.Lock()
			s.running = false
			s.done = s.started
			s.err = err
			s.cond.Broadcast()
			break
		}
		s.cond.Wait()
	}
	err := s.err
	s.refs--
	if s.refs == 0 {
		delete(w.syncs, dir)
	}
	w.syncMu.Unlock()
	return err
}

// syncDirNow opens dir and fsyncs it.
func (w *Writer) syncDirNow(dir string) error {
	f, err := w.fs().OpenFile(dir, os.O_RDONLY, 0)
	if err != nil {
		return fmt.Errorf("open directory %s for fsync: %w", dir, err)
	}
	serr := f.Sync()
	cerr := f.Close()
	if serr != nil {
		return fmt.Errorf("fsync directory %s: %w", dir, serr)
	}
	if cerr != nil {
		return fmt.Errorf("close directory %s: %w", dir, cerr)
	}
	return nil
}
