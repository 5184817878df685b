package lmtp

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// DefaultSocketMode is the mode of a unix socket Listen creates: owner and
// group may connect (give it to Postfix with ListenOptions.UID/GID or
// hostdir-deliver lmtp -socket-owner postfix).
const DefaultSocketMode fs.FileMode = 0o660

// ParseAddress parses a listen address in Postfix's notation:
// "unix:/absolute/path" (or just "/absolute/path") and "inet:host:port"
// (host may be empty, a name or an IPv4/IPv6 address in brackets). It
// returns the network ("unix" or "tcp") and address for net.Listen.
func ParseAddress(addr string) (network, address string, err error) {
	switch {
	case strings.HasPrefix(addr, "unix:"), strings.HasPrefix(addr, "/"):
		p := strings.TrimPrefix(addr, "unix:")
		if !filepath.IsAbs(p) || strings.ContainsRune(p, 0) {
			return "", "", fmt.Errorf("lmtp: unix socket path %q is not absolute", p)
		}
		if len(p) > 107 { // sun_path holds 108 bytes with the NUL
			return "", "", fmt.Errorf("lmtp: unix socket path %q is too long", p)
		}
		return "unix", filepath.Clean(p), nil
	case strings.HasPrefix(addr, "inet:"):
		hp := strings.TrimPrefix(addr, "inet:")
		host, port, err := net.SplitHostPort(hp)
		if err != nil {
			return "", "", fmt.Errorf("lmtp: bad inet address %q: %w", hp, err)
		}
		n, err := strconv.Atoi(port)
		if err != nil || n < 0 || n > 65535 {
			return "", "", fmt.Errorf("lmtp: bad port %q in %q", port, addr)
		}
		return "tcp", net.JoinHostPort(host, port), nil
	}
	return "", "", fmt.Errorf("lmtp: address %q is neither unix:/path nor inet:host:port", addr)
}

// ListenOptions tune Listen for unix sockets.
type ListenOptions struct {
	// Mode is the socket's mode (DefaultSocketMode if 0).
	Mode fs.FileMode
	// UID and GID, when >= 0, become the socket's owner and group (needs
	// root, or membership in the group). Use -1 for "unchanged".
	UID, GID int
}

// Listen opens the listener for addr (see ParseAddress). For a unix socket
// it removes a stale socket file nobody listens on, refuses a path where a
// server answers or that is not a socket, and sets mode and owner. A TCP
// address in use is an error.
func Listen(addr string, opt ListenOptions) (net.Listener, error) {
	network, address, err := ParseAddress(addr)
	if err != nil {
		return nil, err
	}
	if network == "tcp" {
		ln, err := net.Listen("tcp", address)
		if err != nil {
			return nil, fmt.Errorf("lmtp: listen on %s: %w", addr, err)
		}
		return ln, nil
	}
	if fi, err := os.Lstat(address); err == nil {
		if fi.Mode().Type() != fs.ModeSocket {
			return nil, fmt.Errorf("lmtp: %s exists and is not a socket", address)
		}
		c, err := net.DialTimeout("unix", address, 2*time.Second)
		if err == nil {
			c.Close()
			return nil, fmt.Errorf("lmtp: listen on %s: address in use (a server answers there)", addr)
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			return nil, fmt.Errorf("lmtp: %s: cannot tell whether it is in use: %w", address, err)
		}
		if err := os.Remove(address); err != nil {
			return nil, fmt.Errorf("lmtp: remove stale socket: %w", err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("lmtp: %w", err)
	}
	ln, err := net.Listen("unix", address)
	if err != nil {
		return nil, fmt.Errorf("lmtp: listen on %s: %w", addr, err)
	}
	mode := opt.Mode
	if mode == 0 {
		mode = DefaultSocketMode
	}
	if opt.UID >= 0 || opt.GID >= 0 {
		if err := os.Chown(address, opt.UID, opt.GID); err != nil {
			ln.Close()
			return nil, fmt.Errorf("lmtp: socket owner: %w", err)
		}
	}
	if err := os.Chmod(address, mode); err != nil {
		ln.Close()
		return nil, fmt.Errorf("lmtp: socket mode: %w", err)
	}
	return ln, nil
}

// LookupOwner resolves "user[:group]" (names or numbers) to ids; a missing
// group is the user's primary group. "" gives -1, -1.
func LookupOwner(s string) (uid, gid int, err error) {
	if s == "" {
		return -1, -1, nil
	}
	un, gn, hasGroup := strings.Cut(s, ":")
	uid, gid = -1, -1
	if un != "" {
		u, err := lookupUser(un)
		if err != nil {
			return 0, 0, err
		}
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
	}
	if hasGroup && gn != "" {
		if n, err := strconv.Atoi(gn); err == nil {
			gid = n
		} else {
			g, err := user.LookupGroup(gn)
			if err != nil {
				return 0, 0, fmt.Errorf("lmtp: group %s: %w", gn, err)
			}
			gid, _ = strconv.Atoi(g.Gid)
		}
	}
	return uid, gid, nil
}

func lookupUser(name string) (*user.User, error) {
	if _, err := strconv.Atoi(name); err == nil {
		u, err := user.LookupId(name)
		if err != nil {
			return nil, fmt.Errorf("lmtp: user %s: %w", name, err)
		}
		return u, nil
	}
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("lmtp: user %s: %w", name, err)
	}
	return u, nil
}

// DropPrivileges makes the process run as the named user (its primary
// group as the only group). It is for a server started as root, after it
// opened its socket: the maildirs must be written as the vmail user.
func DropPrivileges(name string) error {
	u, err := lookupUser(name)
	if err != nil {
		return err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if os.Geteuid() == uid && os.Getegid() == gid {
		return nil
	}
	if err := syscall.Setgroups([]int{gid}); err != nil {
		return fmt.Errorf("lmtp: setgroups: %w", err)
	}
	if err := syscall.Setgid(gid); err != nil {
		return fmt.Errorf("lmtp: setgid %d: %w", gid, err)
	}
	if err := syscall.Setuid(uid); err != nil {
		return fmt.Errorf("lmtp: setuid %d: %w", uid, err)
	}
	return nil
}
