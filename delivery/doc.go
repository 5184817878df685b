// Package delivery is the core of hostdir-deliver, the delivery agent
// Postfix runs through a pipe(8) transport for the virtual domains of the
// HOWTO's system:
//
//	hostdir unix - n n - - pipe
//	  flags=DORhu user=vmail null_sender= argv=/usr/local/bin/hostdir-deliver -f ${sender} -a ${recipient} -q ${queue_id}
//
// (with hostdir_destination_recipient_limit = 1: one exit status per call).
// Flags D, O and R make pipe(8) prepend Delivered-To, X-Original-To and
// Return-Path, the trace fields virtual(8) writes; when the agent expands
// an alias or the catch-all itself it adds a Delivered-To naming the final
// mailbox on top of each copy, as virtual(8) does after Postfix's own
// expansion (see PrepareMailbox).
//
// -q ${queue_id} (flag --queue-id, setting queue_id; Postfix 2.11 and
// later) gives each delivery an identity: every maildir then gets the
// message exactly once, however often the agent is killed and Postfix
// retries — the retry completes or confirms the earlier attempt instead of
// storing a second copy (maildir.Writer.DeliverOnce documents the
// protocol). Without it (standalone runs) delivery is at least once, as
// with virtual(8). Forwards and copies the user's filter rules place stay
// at least once either way.
//
// The pieces, usable on their own (package hostdir/delivery/lmtp, the LMTP
// server mode, shares them):
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
//     fsync new/), idempotent writing keyed by the queue id, and Maildir++
//     quota (maildirsize).
//   - Agent: one delivery, with quota policy, detail folders, forwards and
//     the rule for partial failures (see Agent.Deliver).
//   - ParseArgs and Main: the command: parse the flags, read the whole
//     message, answer with a sysexits status and one line starting with an
//     enhanced status code. Command.Prepare lets tests inject faults into
//     the Agent of the real command path.
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
