package delivery

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"time"
)

// Submitter hands a message back to the MTA for other recipients: forwards
// to addresses outside the served domains, local names, re-submissions after
// a partial failure, and quota warnings.
type Submitter interface {
	// Submit queues msg (the concatenation of parts) from sender ("" is the
	// null sender) to rcpts. nil means the MTA accepted responsibility.
	Submit(ctx context.Context, sender string, rcpts []string, parts [][]byte) error
}

// Sendmail submits through a sendmail-compatible command (Postfix's
// /usr/sbin/sendmail): Command followed by "-i -f SENDER -- RCPT...".
type Sendmail struct {
	// Command and its leading arguments.
	Command []string
}

// Submit implements Submitter. The command is killed when ctx ends; its
// output (cut to 512 bytes) is part of the error.
func (s Sendmail) Submit(ctx context.Context, sender string, rcpts []string, parts [][]byte) error {
	if len(s.Command) == 0 {
		return fmt.Errorf("sendmail: no command configured")
	}
	if len(rcpts) == 0 {
		return nil
	}
	args := append(append([]string(nil), s.Command[1:]...), "-i", "-f", sender, "--")
	args = append(args, rcpts...)
	cmd := exec.CommandContext(ctx, s.Command[0], args...)
	readers := make([]io.Reader, len(parts))
	for i, p := range parts {
		readers[i] = bytes.NewReader(p)
	}
	cmd.Stdin = io.MultiReader(readers...)
	var out limitedBuffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(out.String())
		if msg != "" {
			return fmt.Errorf("%s: %w: %s", s.Command[0], err, msg)
		}
		return fmt.Errorf("%s: %w", s.Command[0], err)
	}
	return nil
}

// limitedBuffer keeps the first 512 bytes written to it.
type limitedBuffer struct{ b bytes.Buffer }

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := 512 - l.b.Len(); room > 0 {
		if len(p) > room {
			l.b.Write(p[:room])
		} else {
			l.b.Write(p)
		}
	}
	return len(p), nil
}

func (l *limitedBuffer) String() string { return l.b.String() }
