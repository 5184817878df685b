//go:build linux

package directory

import (
	"net"
	"syscall"
)

// peerCred returns the user and group ids of the process at the other end
// of a unix socket (SO_PEERCRED), as slapd reads them for SASL EXTERNAL
// over ldapi://.
func peerCred(nc net.Conn) (uid, gid uint32, ok bool) {
	uc, isUnix := nc.(*net.UnixConn)
	if !isUnix {
		return 0, 0, false
	}
	rc, err := uc.SyscallConn()
	if err != nil {
		return 0, 0, false
	}
	var cred *syscall.Ucred
	var cerr error
	if err := rc.Control(func(fd uintptr) {
		cred, cerr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil || cerr != nil || cred == nil {
		return 0, 0, false
	}
	return cred.Uid, cred.Gid, true
}
