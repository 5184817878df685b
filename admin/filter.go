package admin

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"hostdir/delivery/procmail"
)

// maxFilterBytes bounds a filter rules file.
const maxFilterBytes = 64 << 10

// maildirOf returns an account's maildir (homeDirectory/mailbox) when the
// filter editor is enabled and the maildir lies strictly below
// MailboxBase.
func (s *Server) maildirOf(a *Account) (string, bool) {
	if s.cfg.MailboxBase == "" {
		return "", false
	}
	return MaildirPath(s.cfg.MailboxBase, a.HomeDirectory, a.Mailbox)
}

// MaildirPath joins homeDirectory and mailbox as the delivery agent does
// and reports whether the result lies strictly below base: homeDirectory
// absolute, mailbox relative, no ".." escaping.
func MaildirPath(base, home, mailbox string) (string, bool) {
	if !filepath.IsAbs(home) || mailbox == "" || filepath.IsAbs(mailbox) || strings.ContainsRune(home+mailbox, 0) {
		return "", false
	}
	for _, part := range strings.Split(filepath.ToSlash(mailbox), "/") {
		if part == ".." {
			return "", false
		}
	}
	p := filepath.Clean(filepath.Join(home, mailbox))
	rel, err := filepath.Rel(filepath.Clean(base), p)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, "../") {
		return "", false
	}
	return p, true
}

// readFilter reads the rules file of a maildir ("" and false when there is
// none).
func readFilter(dir string) (string, bool, error) {
	b, err := os.ReadFile(filepath.Join(dir, procmail.FilterFile))
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	if len(b) > maxFilterBytes {
		b = b[:maxFilterBytes]
	}
	return string(b), true, nil
}

// checkMaildir makes sure dir is a real directory (no symbolic link on the
// way) still below base.
func checkMaildir(base, dir string) error {
	fi, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return inputErr("The mailbox does not exist yet: it is created by the first delivery. Send the account a welcome message first.")
	}
	if err != nil {
		return fmt.Errorf("mailbox %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return inputErr("The mailbox is not a directory.")
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return fmt.Errorf("mailbox %s: %w", dir, err)
	}
	realBase, err := filepath.EvalSymlinks(base)
	if err != nil {
		return fmt.Errorf("mailbox base %s: %w", base, err)
	}
	if rel, err := filepath.Rel(realBase, real); err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return inputErr("The mailbox lies outside the mailbox base.")
	}
	return nil
}

// writeFilter replaces (or, with empty text, removes) a maildir's rules
// file atomically: temporary file, fsync, rename, fsync of the directory.
func writeFilter(base, dir, text string) error {
	if err := checkMaildir(base, dir); err != nil {
		return err
	}
	path := filepath.Join(dir, procmail.FilterFile)
	if strings.TrimSpace(text) == "" {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove %s: %w", path, err)
		}
		return syncDir(dir)
	}
	f, err := os.CreateTemp(dir, procmail.FilterFile+".tmp-*")
	if err != nil {
		return fmt.Errorf("write rules: %w", err)
	}
	tmp := f.Name()
	_, werr := f.WriteString(text)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		os.Remove(tmp)
		return fmt.Errorf("write rules %s: %w", path, werr)
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// normalizeFilter turns a text area's CRLF into LF and ends the text with
// a newline.
func normalizeFilter(text string) string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	if text != "" && !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	return text
}

func (s *Server) saveFilter(r *http.Request, sess *session) (string, string, error) {
	c, e, back, err := s.openEntryFor(r, sess, entryRule{kind: accountEntry, wrong: "Only accounts have filter rules."})
	if err != nil {
		return back, "", err
	}
	defer c.done()
	// The file is outside the directory: its access rules cannot decide,
	// so the application checks that the identity administers the domain.
	if !c.site && !c.postmaster {
		return back, "", refuse("only the domain's postmasters edit filter rules.")
	}
	dir, ok := s.maildirOf(e.Account)
	if !ok {
		return back, "", refuse("this account's mailbox is not below the mailbox base of this server.")
	}
	text := normalizeFilter(r.PostForm.Get("rules"))
	if len(text) > maxFilterBytes {
		return back, "", inputErr("The rules are too long (at most %d KiB).", maxFilterBytes>>10)
	}
	if strings.TrimSpace(text) != "" {
		if _, err := procmail.Parse(procmail.FilterFile, []byte(text), procmail.Virtual); err != nil {
			return back, "", inputErr("The rules were not saved: %v", err)
		}
	}
	if err := writeFilter(s.cfg.MailboxBase, dir, text); err != nil {
		return back, "", err
	}
	if strings.TrimSpace(text) == "" {
		return back, "Filter rules of " + e.Account.Mail + " removed.", nil
	}
	return back, "Filter rules of " + e.Account.Mail + " saved.", nil
}
