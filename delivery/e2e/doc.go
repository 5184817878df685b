// Package e2e holds end-to-end tests of hostdir-deliver behind a real,
// private Postfix (Debian's postfix and postfix-ldap) asking a real slapd
// loaded with testdata/delivery-tree.ldif through the HOWTO's LDAP maps.
//
// The tests (all in _test.go files; this package has no API):
//
//   - TestPostfixCases sends one message per case with swaks (accounts,
//     upper case, +detail, aliases, external forwards, catch-all, inactive
//     and delete-marked accounts and domains, unknown users and domains,
//     alias loops, duplicates) through three Postfix set-ups — Postfix's
//     own virtual(8), the pipe transport to hostdir-deliver after Postfix
//     expanded the aliases, and the pipe transport with the agent expanding
//     aliases itself — checks maildirs, SMTP refusals, forwards and bounces
//     caught by smtp-sink, and requires the three to give the same results,
//     down to the first Delivered-To and X-Original-To of each copy.
//   - TestCrashRetry kills the agent at every step of a delivery (in-process
//     fault injection through maildir.FS in a test build of the agent,
//     testdata/crashagent, which runs the real command path through
//     delivery.Command.Prepare, and SIGKILL injected with strace into the
//     real binary at its system calls), then checks that new/ holds a
//     complete message or none and that Postfix's retry, which passes
//     -q ${queue_id}, leaves exactly one copy in new/ and nothing in tmp/.
//   - TestLMTPCases sends the same cases through Postfix's lmtp(8) client
//     to a running `hostdir-deliver lmtp` server (unix socket owned by
//     postfix, server running as vmail); TestLMTPDirectory lets the server
//     decide alone (no virtual maps in Postfix): unknown users bounce with
//     550 5.1.1, a directory outage defers with 451 4.4.3 and the retry
//     after it delivers exactly one copy.
//   - BenchmarkPostfixDelivery measures deliveries per second through the
//     same Postfix with smtp-source: the pipe agent and the LMTP server
//     against virtual(8), as ratios from the same run.
//
// Everything is skipped when the Debian programs are missing or the tests
// do not run as root, unless CI=true (then it fails).
package e2e
