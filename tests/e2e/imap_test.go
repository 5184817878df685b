package e2e

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// errLoginRefused is returned by readMailbox when the server answers NO
// to LOGIN.
var errLoginRefused = errors.New("IMAP LOGIN refused")

// readMailbox logs in over IMAP (RFC 3501: LOGIN, SELECT INBOX, FETCH
// 1:* BODY.PEEK[], LOGOUT) and returns the messages of the INBOX. It is
// the smallest client that reads what a user would read.
func readMailbox(ctx context.Context, addr, user, password string) ([]string, error) {
	d := net.Dialer{Timeout: 5 * time.Second}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("imap: %w", err)
	}
	defer c.Close()
	deadline := time.Now().Add(20 * time.Second)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	_ = c.SetDeadline(deadline)
	s := &imapSession{r: bufio.NewReader(c), w: c}
	if line, err := s.line(); err != nil || !strings.HasPrefix(line, "* OK") {
		return nil, fmt.Errorf("imap greeting %q: %v", line, err)
	}
	if _, status, err := s.command("a1", "LOGIN "+quote(user)+" "+quote(password)); err != nil {
		return nil, err
	} else if strings.HasPrefix(status, "NO") {
		return nil, fmt.Errorf("%w: %s", errLoginRefused, status)
	} else if !strings.HasPrefix(status, "OK") {
		return nil, fmt.Errorf("imap LOGIN: %s", status)
	}
	untagged, status, err := s.command("a2", "SELECT INBOX")
	if err != nil || !strings.HasPrefix(status, "OK") {
		return nil, fmt.Errorf("imap SELECT INBOX: %q %v", status, err)
	}
	exists := 0
	for _, u := range untagged {
		if f := strings.Fields(u.text); len(f) == 2 && f[1] == "EXISTS" {
			exists, _ = strconv.Atoi(f[0])
		}
	}
	var msgs []string
	if exists > 0 {
		untagged, status, err = s.command("a3", "FETCH 1:* BODY.PEEK[]")
		if err != nil || !strings.HasPrefix(status, "OK") {
			return nil, fmt.Errorf("imap FETCH: %q %v", status, err)
		}
		for _, u := range untagged {
			msgs = append(msgs, u.literals...)
		}
	}
	_, _, _ = s.command("a4", "LOGOUT")
	return msgs, nil
}

// quote makes an IMAP quoted string.
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

type imapSession struct {
	r *bufio.Reader
	w io.Writer
}

// untagged is one untagged response with the literals it carried.
type untagged struct {
	text     string
	literals []string
}

func (s *imapSession) line() (string, error) {
	l, err := s.r.ReadString('\n')
	return strings.TrimRight(l, "\r\n"), err
}

// command sends "TAG CMD" and reads the responses up to the tagged one;
// it returns the untagged responses and the tagged status ("OK ...").
func (s *imapSession) command(tag, cmd string) ([]untagged, string, error) {
	if _, err := fmt.Fprintf(s.w, "%s %s\r\n", tag, cmd); err != nil {
		return nil, "", fmt.Errorf("imap %s: %w", cmd, err)
	}
	var out []untagged
	for {
		l, err := s.line()
		if err != nil {
			return out, "", fmt.Errorf("imap %s: %w", strings.Fields(cmd)[0], err)
		}
		if rest, ok := strings.CutPrefix(l, tag+" "); ok {
			return out, rest, nil
		}
		u := untagged{text: strings.TrimPrefix(l, "* ")}
		// A line ending in {n} announces a literal of n bytes, after which
		// the response goes on.
		for strings.HasSuffix(l, "}") {
			i := strings.LastIndexByte(l, '{')
			n, err := strconv.Atoi(strings.TrimSuffix(l[i+1:len(l)-1], "+"))
			if i < 0 || err != nil || n < 0 || n > 64<<20 {
				break
			}
			b := make([]byte, n)
			if _, err := io.ReadFull(s.r, b); err != nil {
				return out, "", fmt.Errorf("imap literal: %w", err)
			}
			u.literals = append(u.literals, string(b))
			if l, err = s.line(); err != nil {
				return out, "", fmt.Errorf("imap: %w", err)
			}
			u.text += " " + l
		}
		out = append(out, u)
	}
}
