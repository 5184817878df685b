// Command crashagent is hostdir-deliver with fault injection, built by the
// e2e crash test (package hostdir/delivery/e2e). It runs the real command
// path — delivery.ParseArgs and delivery.Main with the same flags — and
// only uses the Command.Prepare hook to give the agent's maildir writer a
// file system that counts every operation (OpenFile, Mkdir, Link, Rename,
// Remove, Stat, ReadDir, EvalSymlinks, and Write, Sync and Close on opened
// files) and kills the process with SIGKILL just before the operation the
// environment variable HOSTDIR_E2E_CRASH names:
//
//	HOSTDIR_E2E_CRASH=N          SIGKILL before operation N (1-based)
//	HOSTDIR_E2E_CRASH=N:partial  operation N is a Write: write half, then SIGKILL
//	HOSTDIR_E2E_CRASH=exit       SIGKILL after a successful delivery, before exiting
//
// HOSTDIR_E2E_OPS names a file that receives one line per operation
// ("N op path"), so the test learns how many steps a delivery has.
//
// Usage: as hostdir-deliver, e.g. crashagent -c CONFIG -f SENDER -a RECIPIENT -q QUEUEID < message
package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"hostdir/delivery"
	"hostdir/delivery/maildir"
)

func main() {
	os.Exit(run())
}

func run() int {
	cmd, err := delivery.ParseArgs(os.Args[1:])
	if err != nil {
		return delivery.UsageError(os.Stdin, os.Stdout, err.Error())
	}
	cfs := &crashFS{}
	spec := os.Getenv("HOSTDIR_E2E_CRASH")
	switch {
	case spec == "exit":
		cfs.atExit = true
	case spec != "":
		n, mode, _ := strings.Cut(spec, ":")
		cfs.at, err = strconv.Atoi(n)
		if err != nil {
			delivery.Drain(os.Stdin, 10*time.Second)
			return answer(delivery.Tempf("4.3.5", err, "bad HOSTDIR_E2E_CRASH"))
		}
		cfs.partial = mode == "partial"
	}
	if p := os.Getenv("HOSTDIR_E2E_OPS"); p != "" {
		cfs.log, err = os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			return answer(delivery.Tempf("4.3.0", err, "ops log"))
		}
	}
	cmd.Prepare = func(a *delivery.Agent) {
		cfs.FS = a.Maildir.FS
		a.Maildir.FS = cfs
	}
	exit := delivery.Main(context.Background(), cmd, os.Stdin, os.Stdout, os.Stderr)
	if exit == delivery.ExitOK && cfs.atExit {
		kill()
	}
	return exit
}

func answer(e *delivery.Error) int {
	if e == nil {
		return delivery.ExitOK
	}
	fmt.Println(e.Line())
	return e.Exit
}

// kill ends the process the way a crash or the OOM killer would.
func kill() {
	_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {} // the signal is on its way
}

// crashFS counts operations and crashes at one of them.
type crashFS struct {
	maildir.FS
	n       int
	at      int
	partial bool
	atExit  bool
	log     *os.File
}

// step counts one operation; it does not return when the crash is due
// (except for a partial write, which the caller finishes).
func (c *crashFS) step(op, path string) (partial bool) {
	c.n++
	if c.log != nil {
		fmt.Fprintf(c.log, "%d %s %s\n", c.n, op, path)
	}
	if c.n == c.at {
		if c.partial && op == "write" {
			return true
		}
		kill()
	}
	return false
}

func (c *crashFS) OpenFile(name string, flag int, perm fs.FileMode) (maildir.File, error) {
	c.step("open", name)
	f, err := c.FS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &crashFile{File: f, c: c, name: name}, nil
}

func (c *crashFS) Mkdir(name string, perm fs.FileMode) error {
	c.step("mkdir", name)
	return c.FS.Mkdir(name, perm)
}

func (c *crashFS) Link(oldname, newname string) error {
	c.step("link", newname)
	return c.FS.Link(oldname, newname)
}

func (c *crashFS) Rename(oldname, newname string) error {
	c.step("rename", newname)
	return c.FS.Rename(oldname, newname)
}

func (c *crashFS) Remove(name string) error {
	c.step("remove", name)
	return c.FS.Remove(name)
}

func (c *crashFS) Stat(name string) (fs.FileInfo, error) {
	c.step("stat", name)
	return c.FS.Stat(name)
}

func (c *crashFS) ReadDir(name string) ([]fs.DirEntry, error) {
	c.step("readdir", name)
	return c.FS.ReadDir(name)
}

func (c *crashFS) EvalSymlinks(path string) (string, error) {
	c.step("evalsymlinks", path)
	return c.FS.EvalSymlinks(path)
}

// crashFile counts Write, Sync and Close.
type crashFile struct {
	maildir.File
	c    *crashFS
	name string
}

func (f *crashFile) Write(p []byte) (int, error) {
	if f.c.step("write", f.name) {
		_, _ = f.File.Write(p[:len(p)/2])
		kill()
	}
	return f.File.Write(p)
}

func (f *crashFile) Sync() error {
	f.c.step("sync", f.name)
	return f.File.Sync()
}

func (f *crashFile) Close() error {
	f.c.step("close", f.name)
	return f.File.Close()
}
