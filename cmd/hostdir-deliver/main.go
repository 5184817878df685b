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
// For local users it replaces procmail as Postfix's mailbox_command:
//
//	mailbox_command = /usr/local/bin/hostdir-deliver --local
//
// delivers to ~/Maildir/ and applies ~/.procmailrc. Virtual users' rules live
// in the file .hostdir-filter at the top of their maildir (the same recipe
// language, without pipes or includes). Run it without arguments for the synopsis; see package
// hostdir/delivery for the behaviour. This file only wires the process to
// delivery.ParseArgs and delivery.Main.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"hostdir/delivery"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
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
