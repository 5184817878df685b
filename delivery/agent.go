package delivery

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"hostdir/delivery/maildir"
)

// QuotaWarningMarker is the file in a maildir that records that a quota
// warning was sent; it is removed when usage falls below the threshold again,
// so the next crossing warns again. (No leading dot: IMAP servers would take
// it for a folder.)
const QuotaWarningMarker = "hostdir-quotawarn"

// TmpMaxAge is the age after which leftover files in tmp/ are removed.
const TmpMaxAge = 36 * time.Hour

// Agent delivers messages: it resolves the recipient, writes maildirs,
// enforces quotas and re-submits forwards. An Agent serves many deliveries
// (the command runs one; an LMTP mode would share one Agent) and is safe for
// concurrent use.
type Agent struct {
	// Config holds the settings.
	Config Config
	// Resolver resolves recipients.
	Resolver *Resolver
	// Maildir writes messages.
	Maildir *maildir.Writer
	// Submitter re-submits mail (sendmail).
	Submitter Submitter
	// Log receives diagnostics (never nil after New).
	Log *slog.Logger

	closer io.Closer // the directory connection
}

// New returns an Agent for c talking to the LDAP directory c names. log may
// be nil (no logging).
func New(c Config, log *slog.Logger) (*Agent, error) {
	dir, err := NewLDAP(&c)
	if err != nil {
		return nil, err
	}
	a := NewWithDirectory(c, dir, log)
	a.closer = dir
	return a, nil
}

// NewWithDirectory returns an Agent over any Directory (tests use fakes).
func NewWithDirectory(c Config, dir Directory, log *slog.Logger) *Agent {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	w := maildir.New()
	if c.Hostname != "" {
		w.Hostname = c.Hostname
	}
	return &Agent{
		Config:    c,
		Resolver:  NewResolver(dir, &c),
		Maildir:   w,
		Submitter: Sendmail{Command: c.Sendmail},
		Log:       log,
	}
}

// Close releases the directory connection.
func (a *Agent) Close() error {
	if a.closer != nil {
		return a.closer.Close()
	}
	return nil
}

// Envelope is what Postfix says about one delivery besides the message.
type Envelope struct {
	// Sender is the envelope sender ("" for the null sender).
	Sender string
	// Recipient is the address to deliver to.
	Recipient string
	// QueueID is Postfix's queue id of the message (pipe(8)'s ${queue_id});
	// "" when unknown. With one, each maildir gets the message exactly once
	// however often the delivery is retried (maildir.Writer.DeliverOnce).
	QueueID string
	// Resolved, when not nil, is the resolution of Recipient that Verify
	// returned a moment ago (the LMTP server resolves at RCPT time):
	// DeliverEnvelope uses it instead of asking the directory again. It is
	// ignored unless its Recipient is Recipient normalized.
	Resolved *Resolution
}

// Verify resolves recipient as DeliverEnvelope would and returns the
// resolution, or an *Error with the answer DeliverEnvelope would give
// (e.g. 67 "5.1.1 unknown user", 75 "4.4.3 directory unavailable"). The
// LMTP server calls it at RCPT time and passes the resolution on in
// Envelope.Resolved.
func (a *Agent) Verify(ctx context.Context, recipient string) (*Resolution, error) {
	res, err := a.Resolver.Resolve(ctx, recipient)
	if err != nil {
		return nil, a.resolveError(ctx, recipient, err)
	}
	return res, nil
}

// Deliver delivers msg from sender ("" for the null sender) to recipient,
// with Config.QueueID as the queue id: DeliverEnvelope for the command.
func (a *Agent) Deliver(ctx context.Context, sender, recipient string, msg []byte) error {
	return a.DeliverEnvelope(ctx, Envelope{Sender: sender, Recipient: recipient, QueueID: a.Config.QueueID}, msg)
}

// DeliverEnvelope delivers msg as env says. It returns nil when every
// destination has the message, or an *Error whose Exit and Line are the
// answer for Postfix.
//
// Each mailbox copy names its final mailbox in a Delivered-To on top when
// the agent reached it by expanding an alias or the catch-all itself
// (Postfix's pipe flag D names only the address it handed over), as
// virtual(8) does after Postfix's own expansion; see PrepareMailbox.
//
// With a queue id, each maildir delivery is idempotent (keyed by queue id,
// mailbox address, maildir folder and message): a retry after the agent
// was killed completes or confirms the earlier attempt's copy instead of
// adding one, and a mailbox that has the message is not checked against
// its quota again. Without one (standalone runs) a retry after a kill
// that came after the move into new/ stores a second copy.
//
// Order and failure rules:
//   - forwards (one sendmail call for all) go first: if that fails nothing
//     was delivered and the answer is a plain 75;
//   - then each mailbox. If none got the message, the answer is the first
//     temporary failure, else the first permanent one (one mailbox: exactly
//     its answer, e.g. 5.2.2 Mailbox full);
//   - if some destinations got it and others failed, the failed mailboxes'
//     addresses are re-submitted through sendmail, so Postfix retries or
//     bounces each of them on its own and nobody gets a duplicate; only if
//     that re-submission fails too is the answer 75, and Postfix's retry
//     then sends the forwards again and, without a queue id, duplicates the
//     mailbox copies already delivered (duplicates are better than loss).
func (a *Agent) DeliverEnvelope(ctx context.Context, env Envelope, msg []byte) error {
	sender, recipient := env.Sender, env.Recipient
	res := env.Resolved
	if res == nil || res.Recipient != NormalizeAddress(recipient) {
		var err error
		if res, err = a.Resolver.Resolve(ctx, recipient); err != nil {
			return a.resolveError(ctx, recipient, err)
		}
	}
	rcpt := res.Recipient
	a.Log.Debug("resolved", "recipient", rcpt, "mailboxes", len(res.Mailboxes), "forwards", res.Forwards, "queue_id", env.QueueID)
	delivered := false
	if len(res.Forwards) > 0 {
		if err := a.Submitter.Submit(ctx, sender, res.Forwards, PrepareForward(msg, rcpt)); err != nil {
			return a.contextError(ctx, Tempf("4.3.0", err, "forwarding to %s failed", strings.Join(res.Forwards, ", ")))
		}
		delivered = true
		a.Log.Debug("forwarded", "to", res.Forwards)
	}
	type failure struct {
		m   Mailbox
		err *Error
	}
	var failed []failure
	for _, m := range res.Mailboxes {
		parts := PrepareMailbox(msg, sender, rcpt, m.Address, a.Config.AddHeaders)
		if err := a.deliverMailbox(ctx, sender, env.QueueID, m, parts); err != nil {
			e := a.contextError(ctx, AsError(err))
			a.Log.Debug("mailbox failed", "address", m.Address, "error", e)
			failed = append(failed, failure{m, e})
			continue
		}
		delivered = true
	}
	if len(failed) == 0 {
		return nil
	}
	if !delivered {
		for _, f := range failed {
			if f.err.Temporary() {
				return f.err
			}
		}
		return failed[0].err
	}
	addrs := make([]string, len(failed))
	for i, f := range failed {
		addrs[i] = f.m.Address
	}
	if err := a.Submitter.Submit(ctx, sender, addrs, PrepareForward(msg, rcpt)); err != nil {
		return a.contextError(ctx, Tempf("4.3.0", err, "%s; re-submission to %s failed", failed[0].err, strings.Join(addrs, ", ")))
	}
	a.Log.Info("partial failure re-submitted", "recipient", rcpt, "to", addrs, "first_error", failed[0].err.Error())
	return nil
}

// contextError replaces an error caused by the run's deadline with a clear
// timeout answer.
func (a *Agent) contextError(ctx context.Context, e *Error) *Error {
	if ctx.Err() != nil && e.Temporary() {
		return Tempf("4.3.0", nil, "delivery agent timed out: %s", e.Error())
	}
	return e
}

// resolveError maps resolver errors to answers.
func (a *Agent) resolveError(ctx context.Context, rcpt string, err error) error {
	addr := NormalizeAddress(rcpt)
	switch {
	case errors.Is(err, ErrUnknownUser):
		return &Error{Exit: ExitNoUser, DSN: "5.1.1", Msg: "<" + addr + ">: unknown user", Err: err}
	case errors.Is(err, ErrLoop):
		return &Error{Exit: ExitUnavailable, DSN: "5.4.6", Msg: "mail forwarding loop for <" + addr + ">", Err: err}
	case errors.Is(err, ErrExpansionLimit):
		return Tempf("4.3.5", err, "alias expansion of <%s> failed", addr)
	case errors.Is(err, ErrBadEntry):
		return Tempf("4.3.5", err, "directory data for <%s> unusable", addr)
	case ctx.Err() != nil:
		return Tempf("4.4.3", err, "directory unavailable (timeout)")
	case errors.Is(err, ErrDirectory):
		return Tempf("4.4.3", unwrapDirectory(err), "directory unavailable")
	}
	return Tempf("4.3.0", err, "internal error resolving <%s>", addr)
}

// unwrapDirectory drops the ErrDirectory prefix from the cause text.
func unwrapDirectory(err error) error {
	s := strings.TrimPrefix(err.Error(), ErrDirectory.Error()+": ")
	return errors.New(s)
}

// deliverMailbox writes one copy into m (or its extension folder, or where
// the user's filter rules say), checking and accounting the quota; with a
// queue id, at most once (see maildir.Writer.DeliverOnce).
func (a *Agent) deliverMailbox(ctx context.Context, sender, queueID string, m Mailbox, parts [][]byte) error {
	w := a.Maildir
	if err := w.Ensure(m.Base, m.Path); err != nil {
		return fsError(m, err)
	}
	target := m.Path
	if m.Extension != "" && a.Config.DetailFolders != DetailOff {
		if name := maildir.SanitizeFolder(m.Extension); name != "" {
			p, ok, err := w.Folder(m.Base, m.Path, name, a.Config.DetailFolders == DetailCreate)
			if err != nil {
				return fsError(m, err)
			}
			if ok {
				target = p
			}
		}
	}
	size := partsLen(parts)
	q, err := maildir.ParseQuota(m.Account.Quota)
	if err != nil {
		a.Log.Warn("ignoring unusable quota", "dn", m.Account.DN, "error", err)
		q = maildir.Quota{}
	}
	var used maildir.Usage
	checked := false
	admit := func() error {
		if q.Unlimited() {
			return nil
		}
		u, fits, err := w.CheckQuota(m.Path, q, size)
		if err != nil {
			return fsError(m, fmt.Errorf("quota: %w", err))
		}
		if !fits {
			if a.Config.QuotaExceeded == QuotaDefer {
				return &Error{Exit: ExitTempFail, DSN: "4.2.2", Msg: "Mailbox full: <" + m.Address + ">"}
			}
			return &Error{Exit: ExitCantCreat, DSN: "5.2.2", Msg: "Mailbox full: <" + m.Address + ">"}
		}
		used, checked = u, true
		return nil
	}
	// With a queue id: an earlier attempt may have committed this copy.
	// It is then completed or confirmed, never checked against the quota
	// (it is in the usage already) nor filtered again.
	var key string
	committed := false
	if queueID != "" {
		key = maildir.OnceKey(queueID, m.Address, target, parts...)
		if committed, err = w.Committed(target, key); err != nil {
			return fsError(m, err)
		}
	}
	if !committed {
		if err := admit(); err != nil {
			return err
		}
		// The user's rules, when the maildir has any, decide where the
		// message goes (at least once: their deliveries are not keyed).
		if handled, err := a.filterMailbox(ctx, sender, m, target, parts, q, used); handled {
			return err
		}
	}
	var name string
	if queueID == "" {
		if name, err = w.Deliver(ctx, target, parts...); err != nil {
			return fsError(m, err)
		}
	} else {
		var out maildir.Outcome
		name, out, err = w.DeliverOnce(ctx, target, key, nil, parts...)
		if err != nil {
			return fsError(m, err)
		}
		switch out {
		case maildir.AlreadyDelivered:
			// Stored, and accounted, by an earlier attempt.
			a.Log.Info("already delivered by an earlier attempt", "address", m.Address, "maildir", target, "queue_id", queueID)
			return nil
		case maildir.Completed:
			a.Log.Info("completed the delivery of an earlier attempt", "address", m.Address, "maildir", target, "file", name, "queue_id", queueID)
		}
	}
	a.Log.Debug("delivered", "address", m.Address, "maildir", target, "file", name)
	if n, err := cleanTmp(w, target); err == nil && n > 0 {
		a.Log.Info("removed stale tmp files", "maildir", target, "count", n)
	}
	if !q.Unlimited() {
		// This call moved the message into new/ (Written or Completed):
		// account it now, once.
		if err := w.AddUsage(m.Path, size, 1); err != nil {
			a.Log.Warn("maildirsize update failed", "maildir", m.Path, "error", err)
		}
		if checked {
			used.Bytes += size
			used.Count++
		} else if u, _, err := w.CheckQuota(m.Path, q, 0); err == nil {
			// Completed: no check before; this reading includes the message.
			used, checked = u, true
		}
		if checked {
			a.quotaWarning(ctx, m, q, used)
		}
	}
	return nil
}

// cleanTmp removes tmp/ files older than TmpMaxAge from the maildir dir
// when the Writer's rate limit says it is due (at each delivery of a
// process per message; once an hour per maildir in the LMTP server).
func cleanTmp(w *maildir.Writer, dir string) (int, error) {
	if !w.CleanTmpDue(dir) {
		return 0, nil
	}
	return w.CleanTmp(dir, TmpMaxAge)
}

// fsError maps maildir errors to answers; all are temporary.
func fsError(m Mailbox, err error) *Error {
	switch {
	case errors.Is(err, maildir.ErrUnsafePath):
		return Tempf("4.3.5", err, "unsafe mailbox path for <%s>", m.Address)
	case errors.Is(err, maildir.ErrNoBase):
		return Tempf("4.3.5", err, "mailbox base missing for <%s>", m.Address)
	case maildir.IsStorageFull(err):
		return Tempf("4.3.1", err, "mail system full")
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return Tempf("4.3.0", err, "delivery to <%s> interrupted", m.Address)
	}
	return Tempf("4.3.0", err, "maildir delivery to <%s> failed", m.Address)
}

// quotaWarning sends the warning when usage crosses the configured
// percentage (once: the marker file remembers) and re-arms it below.
func (a *Agent) quotaWarning(ctx context.Context, m Mailbox, q maildir.Quota, u maildir.Usage) {
	pct := a.Config.QuotaWarningPercent
	if pct <= 0 {
		return
	}
	marker := filepath.Join(m.Path, QuotaWarningMarker)
	_, statErr := os.Stat(marker)
	has := statErr == nil
	now := q.Percent(u)
	if now < int64(pct) {
		if has {
			_ = os.Remove(marker)
		}
		return
	}
	if has || !errors.Is(statErr, fs.ErrNotExist) {
		return
	}
	to := NormalizeAddress(m.Account.Mail)
	if to == "" {
		to = m.Address
	}
	msg := quotaWarningMessage(to, q, u, now, a.Maildir.Hostname, time.Now())
	if err := a.Submitter.Submit(ctx, "", []string{to}, [][]byte{msg}); err != nil {
		a.Log.Warn("quota warning not sent", "to", to, "error", err)
		return
	}
	if err := os.WriteFile(marker, []byte(time.Now().UTC().Format(time.RFC3339)+"\n"), maildir.FileMode); err != nil {
		a.Log.Warn("quota warning marker not written", "file", marker, "error", err)
	}
}

func quotaWarningMessage(to string, q maildir.Quota, u maildir.Usage, pct int64, host string, now time.Time) []byte {
	_, domain, _ := SplitAddress(to)
	if domain == "" {
		domain = host
	}
	var b strings.Builder
	fmt.Fprintf(&b, "From: Mail Delivery System <MAILER-DAEMON@%s>\n", headerSafe(domain))
	fmt.Fprintf(&b, "To: <%s>\n", headerSafe(to))
	fmt.Fprintf(&b, "Subject: Your mailbox is %d%% full\n", pct)
	fmt.Fprintf(&b, "Date: %s\n", now.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <%d.quota.%s@%s>\n", now.UnixNano(), strings.NewReplacer("@", ".", "<", "", ">", "").Replace(headerSafe(to)), headerSafe(host))
	b.WriteString("Auto-Submitted: auto-generated\nPrecedence: bulk\nMIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n\n")
	fmt.Fprintf(&b, "Your mailbox <%s> uses %d%% of its quota", to, pct)
	if q.Bytes > 0 {
		fmt.Fprintf(&b, " (%d of %d bytes", u.Bytes, q.Bytes)
		if q.Count > 0 {
			fmt.Fprintf(&b, ", %d of %d messages", u.Count, q.Count)
		}
		b.WriteString(")")
	} else if q.Count > 0 {
		fmt.Fprintf(&b, " (%d of %d messages)", u.Count, q.Count)
	}
	b.WriteString(".\nWhen it is full, new mail to you will be returned to its senders.\nPlease delete messages you no longer need.\n")
	return []byte(b.String())
}
