// Package procmail applies procmail-compatible rule files (procmailrc(5))
// to a message: the filtering of hostdir-deliver.
//
// Two kinds of users have rules:
//
//   - Local users: hostdir-deliver --local runs as Postfix's
//     mailbox_command, as the user, and applies ~/.procmailrc (Mode
//     Local). The default mailbox ($DEFAULT, $ORGMAIL) is ~/Maildir/
//     (Config.Root) instead of /var/mail/$LOGNAME; everything else reads
//     rc files as procmail does (MAILDIR starts as $HOME, so rc files
//     written for Maildir set MAILDIR=$HOME/Maildir as they do with
//     procmail), and a site can replace procmail without touching its
//     users' files.
//   - Virtual users: the same language, read from FilterFile
//     (".hostdir-filter") in the root of the user's maildir, applied after
//     the recipient is resolved (Mode Virtual). The rules act inside that
//     maildir only: MAILDIR and HOME are the maildir, DEFAULT is the
//     maildir itself.
//
// # The language
//
// Parse turns a file into an AST (File, Assign, Recipe, Cond, Action); Run
// and RunFile evaluate it, doing every effect through the Actions
// interface (OSActions is the real one). Supported:
//
//   - recipes `:0 [flags] [:lockfile]` with flags H B D A a E e h b f c w
//     W i r (lockfiles are accepted and ignored: maildir delivery needs no
//     lock);
//   - conditions: regular expressions on the header (default), body (B)
//     or both, case-insensitive unless D; `!` negation; `< N` and `> N` on
//     the message size (which includes a leading "From " line); `$` (sh
//     expansion inside double quotes, then parsed again, with `$\VAR`
//     quoting a value for a regex); `VAR ?? regex` (H, B, HB, BH select a
//     search area); `\/` storing the text matched by the rest in MATCH;
//     `? program` (local users); weighted conditions `w^x` scored as
//     procmailsc(5) describes (regex: w·Σx^(k-1) over the n matches;
//     size: w·(M/L)^x or w·(L/M)^x; program: w on success else x; a
//     recipe with weights matches when the total is positive; totals stop
//     at ±2147483647; $= is the last total, truncated, a positive total
//     below 1 showing as 1 as in procmail; an empty match before the end
//     of the text counts as infinitely many, as procmail's search does
//     not advance, while procmail's extra empty line after a final newline
//     is counted);
//   - actions: a folder, several folders (one copy each), /dev/null, `!
//     addresses` (forward through sendmail), `| command`, `VAR=| command`
//     (capture), `{ ... }` nested blocks; `c` on a block clones the
//     evaluation as procmail forks (the clone runs the block and the rest
//     of the file, and delivers to DEFAULT if nothing delivered);
//   - assignments with sh quoting and expansions ($VAR, ${VAR}, ${VAR:-x},
//     ${VAR-x}, ${VAR:+x}, ${VAR+x}, $\VAR, $1.., $#, $@, $$, $?, $_, $-,
//     $=, backquotes for local users); special variables MAILDIR, DEFAULT,
//     LOGFILE, LOG, VERBOSE, LOGABSTRACT, EXITCODE, SHIFT, INCLUDERC and
//     SWITCHRC (local users), MATCH and LASTFOLDER; the macros ^TO_, ^TO,
//     ^FROM_DAEMON and ^FROM_MAILER.
//
// The header is searched with continuation lines joined (each newline of a
// folded line becomes a space), as procmail does; it includes the empty
// line that ends it, and a leading "From " line when the message has one
// (Postfix local(8) adds it for a mailbox_command).
//
// # Folders
//
// A name ending in "/" is a maildir, as in procmail; a Maildir++ folder is
// written ".Name/" relative to MAILDIR (the maildir) and gets its
// maildirfolder file. hostdir writes no mbox files: a plain name (no
// trailing "/") is delivered as a maildir of that name too, and if a plain
// file (an mbox) already exists there the delivery fails with a logged
// error and processing continues (so the message ends in a later recipe or
// the default mailbox). MH folders ("dir/.") are not supported (the
// recipe fails). The "From " line is not written into maildirs, as
// procmail does.
//
// # Regular expressions
//
// procmail's egrep dialect is translated to RE2 (Translate), so matching is
// linear in the text whatever the expression. The translation follows
// procmail, not POSIX:
//
//   - case-insensitive unless the D flag;
//   - "^" at the start of an alternative is a start-of-line assertion;
//     elsewhere "^" and "$" match a newline character (procmail's "match a
//     newline" extension), and a final "$" matches a newline or the end of
//     the text; so "$" at the end is part of MATCH, as in procmail;
//   - "^^" anchors at the very start of the search area when it begins the
//     expression, at the very end otherwise;
//   - "." and negated classes never match a newline; "\<" and "\>" match a
//     non-word character (or the start / end of the text);
//   - "{" and "}" are literal (procmail has no interval operator); "\x"
//     is a literal x for any x; a backslash in brackets quotes the next
//     character; there are no named classes and no back-references;
//   - procmail searches for the leftmost shortest match. RE2 has no such
//     mode, so quantifiers are made non-greedy, which gives the same
//     answer for a condition and the same counts for weighted conditions
//     in practice; for "\/" the left part is non-greedy and the right
//     part greedy, which reproduces procmail's MATCH (leftmost shortest
//     left part, longest right part). A "\/" inside parentheses is refused.
//   - procmail's own quirk that an expression starting with "\<" never
//     matches is not reproduced.
//
// # Safety
//
// A rule file that does not parse, or uses something unsupported, is never
// partly applied: Run logs every problem with file and line (to the
// Actions' log and to LOGFILE when set) and delivers the message to
// Config.Root. At run time, a construct that cannot be carried out (an
// INCLUDERC file that does not parse, a forbidden action reached through
// an expansion, a virtual user's path leaving the maildir) abandons the
// rules the same way; copies already made by `c` recipes stay. A failed
// delivery or forward only fails its recipe, as in procmail (the `e` flag
// sees it), and the default delivery falls back to Config.Root when
// $DEFAULT fails. The message is lost only if even Config.Root cannot be
// written, and then Run returns an error for the caller to defer the mail.
//
// A virtual user's rules (Mode Virtual) can never run a program (`|`,
// `VAR=|`, backquotes, `?` conditions, TRAP), read another file
// (INCLUDERC, SWITCHRC), pass options to sendmail (SHELL, SENDMAIL and
// SENDMAILFLAGS are plain variables there: nothing runs them),
// or name a folder, MAILDIR or LOGFILE outside the maildir: a ".."
// component anywhere, an absolute path elsewhere, or the maildir's own
// tmp/, new/ and cur/ are refused (OSActions also checks symbolic links).
//
// One Run is bounded: 100000 rule evaluations, 64 clones (`c` blocks;
// procmail forks, so n such blocks in a row would run 2^n times) and 256
// deliveries; beyond them the rules are abandoned as above.
//
// When a file does not parse, its problems still reach the LOGFILE set by
// the last plain top-level `LOGFILE=` line before the first error.
//
// A forward to the recipient itself (case-insensitive, ignoring a
// +extension; for local users also to the bare login name) is dropped as a
// loop and logged; when no address is left the recipe fails.
//
// Not implemented: HOST, DELIVERED, TRAP, LOCKFILE, UMASK, COMSAT
// and the other tuning variables are plain variables; a `| ` action
// always runs through $SHELL -c (procmail does so only when SHELLMETAS
// appear, with the same result for ordinary commands); as procmail, a
// message given to a program or a forward is made to end with an empty
// line unless the `r` flag is set (maildir copies are written as they
// are).
package procmail
