// Package delivery is the core of hostdir-deliver, the delivery agent
// Postfix runs through a pipe(8) transport for the virtual domains of the
// HOWTO's system:
//
//	hostdir unix - n n - - pipe
//	  flags=DRhu user=vmail null_sender= argv=/usr/local/bin/hostdir-deliver -f ${sender} -a ${recipient}
//
// (with hostdir_destination_recipient_limit = 1: one exit status per call).
//
// The pieces, usable on their own (an LMTP mode can share them):
//
//   - Config: the settings, from a Postfix-style "key = value" file
//     (ParseConfig, Config.Apply) and command-line flags (Config.Set).
//   - Directory / LDAP: the three lookups of the HOWTO's Postfix maps
//     (domain, accounts, aliases) over LDAP, with the HOWTO's filters and
//     RFC 4515 escaping.
//   - Resolver: one address to a Resolution (maildirs and forwards) with
//     Postfix's meaning: accounts first, then aliases, then the catch-all;
//     extensions; recursion; loops and duplicates removed; limits.
//   - package maildir: durable Maildir writing (tmp/, fsync, link to new/,
//     fsync new/) and Maildir++ quota (maildirsize).
//   - Agent: one delivery, with quota policy, detail folders, forwards and
//     the rule for partial failures (see Agent.Deliver).
//   - Main: the command: read the whole message, answer with a sysexits
//     status and one line starting with an enhanced status code.
//
// Exit statuses follow reference/delivery.md: 0 delivered; 67 "5.1.1
// unknown user"; 73 "5.2.2 Mailbox full" (quota_exceeded = bounce); 69
// "5.4.6" for an alias expansion that only loops; 64 for usage errors; and
// 75 with a 4.x.y text for everything that is the agent's own trouble —
// directory unreachable (4.4.3), disk full (4.3.1), I/O errors, unsafe or
// unusable directory data (4.3.5, as Postfix's virtual(8) defers), timeouts
// and panics (4.3.0). Mail is never bounced because of such trouble and
// never lost: a message is acknowledged only after the fsync of new/.
//
// The default run time limit (Config.Timeout, 100s) stays far below
// Postfix's command_time_limit (default 1000s): a command that Postfix kills
// for running too long is bounced, one that answers 75 is retried.
package delivery
