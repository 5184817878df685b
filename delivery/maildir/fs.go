package maildir

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// FS is the set of file system operations the writer uses. OS is the real
// one; tests substitute a wrapper that injects failures (disk full, I/O
// errors) at any step.
type FS interface {
	// OpenFile is os.OpenFile.
	OpenFile(name string, flag int, perm fs.FileMode) (File, error)
	// Mkdir is os.Mkdir.
	Mkdir(name string, perm fs.FileMode) error
	// Link is os.Link (a hard link: fails with fs.ErrExist when newname exists).
	Link(oldname, newname string) error
	// Rename is os.Rename.
	Rename(oldname, newname string) error
	// Remove is os.Remove.
	Remove(name string) error
	// Stat is os.Stat.
	Stat(name string) (fs.FileInfo, error)
	// ReadDir is os.ReadDir.
	ReadDir(name string) ([]fs.DirEntry, error)
	// EvalSymlinks is filepath.EvalSymlinks.
	EvalSymlinks(path string) (string, error)
}

// File is an open file as FS.OpenFile returns it.
type File interface {
	io.Reader
	io.Writer
	// Sync flushes the file (or directory) to stable storage (fsync).
	Sync() error
	Close() error
	Stat() (fs.FileInfo, error)
}

// OS is the real file system.
type OS struct{}

// OpenFile implements FS.
func (OS) OpenFile(name string, flag int, perm fs.FileMode) (File, error) {
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// Mkdir implements FS.
func (OS) Mkdir(name string, perm fs.FileMode) error { return os.Mkdir(name, perm) }

// Link implements FS.
func (OS) Link(oldname, newname string) error { return os.Link(oldname, newname) }

// Rename implements FS.
func (OS) Rename(oldname, newname string) error { return os.Rename(oldname, newname) }

// Remove implements FS.
func (OS) Remove(name string) error { return os.Remove(name) }

// Stat implements FS.
func (OS) Stat(name string) (fs.FileInfo, error) { return os.Stat(name) }

// ReadDir implements FS.
func (OS) ReadDir(name string) ([]fs.DirEntry, error) { return os.ReadDir(name) }

// EvalSymlinks implements FS.
func (OS) EvalSymlinks(path string) (string, error) { return filepath.EvalSymlinks(path) }
