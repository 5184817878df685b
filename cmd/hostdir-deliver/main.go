// Command hostdir-deliver is hostdir's delivery agent for Postfix's pipe(8)
// transport: it reads one message on standard input and delivers it to one
// recipient's maildirs as the LDAP directory says. In master.cf:
//
//	hostdir unix - n n - - pipe
//	  flags=DORhu user=vmail null_sender= argv=/usr/local/bin/hostdir-deliver -f ${sender} -a ${recipient} -q ${queue_id}
//
// with hostdir_destination_recipient_limit = 1 in main.cf. -q ${queue_id}
// (Postfix 2.11 and later) makes each maildir delivery idempotent: when the
// agent is killed after writing a message, Postfix's retry does not store
// a second copy.
//
// As a long-running LMTP server (RFC 2033), one process and one directory
// connection for all deliveries instead of a process per recipient:
//
//	hostdir-deliver lmtp -listen unix:/var/spool/postfix/private/hostdir-lmtp \
//	  -socket-owner postfix -user vmail -c /etc/hostdir/hostdir-deliver.cf
//
// with virtual_transport = lmtp:unix:private/hostdir-lmtp in main.cf (see
// examples/postfix/main.cf.lmtp and package hostdir/delivery/lmtp). It runs
// until SIGTERM or SIGINT, letting transactions in progress finish, and
// logs one line per delivery to standard error.
//
// For local users it replaces procmail as Postfix's mailbox_command:
//
//	mailbox_command = /usr/local/bin/hostdir-deliver --local
//
// delivers to ~/Maildir/ and applies ~/.procmailrc. Virtual users' rules live
// in the file .hostdir-filter at the top of their maildir (the same recipe
// language, without pipes or includes). Run it without arguments for the synopsis; see package
// hostdir/delivery for the behaviour. This file only wires the process to
// delivery.ParseArgs and delivery.Main (lmtp.Main for the server mode).
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"hostdir/delivery"
	"hostdir/delivery/lmtp"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if lmtp.IsCommand(args) {
		// The LMTP server mode: hostdir-deliver lmtp -listen ADDR ...
		return lmtp.Main(ctx, args[1:], stdout, stderr)
	}
	if delivery.IsLocal(args) {
		// Postfix's mailbox_command for local users, in place of procmail.
		return delivery.LocalCommand(ctx, args, stdin, stdout, stderr)
	}
	cmd, err := delivery.ParseArgs(args)
	if err != nil {
		return delivery.UsageError(stdin, stdout, err.Error())
	}
	return delivery.Main(ctx, cmd, stdin, stdout, stderr)
}
