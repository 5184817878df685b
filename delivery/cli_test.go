package delivery

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"
)

func TestMainInProcess(t *testing.T) {
	tests := []struct {
		name  string
		cmd   Command
		stdin func() io.Reader
		exit  int
		out   string
		max   time.Duration
	}{
		{name: "stdin never ends", cmd: Command{Recipient: "a@b.example", Settings: []Setting{{Key: "timeout", Value: "1s"}}},
			stdin: func() io.Reader { r, _ := io.Pipe(); return r }, exit: ExitTempFail, out: "4.3.0 reading the message: context deadline exceeded", max: 4 * time.Second},
		{name: "missing recipient", cmd: Command{Sender: "s@x"}, stdin: func() io.Reader { return strings.NewReader("x") },
			exit: ExitUsage, out: "5.3.0 hostdir-deliver: missing recipient"},
		{name: "bad setting", cmd: Command{Recipient: "a@b", Settings: []Setting{{Key: "quota_exceeded", Value: "explode"}}},
			stdin: func() io.Reader { return strings.NewReader("x") }, exit: ExitUsage, out: "5.3.0 hostdir-deliver: quota_exceeded"},
		{name: "unreachable", cmd: Command{Recipient: "a@b", Settings: []Setting{{Key: "ldap", Value: "ldap://127.0.0.1:1"}}},
			stdin: func() io.Reader { return strings.NewReader("x") }, exit: ExitTempFail, out: "4.4.3 directory unavailable"},
		{name: "panic recovered", cmd: Command{Recipient: "a@b"},
			stdin: func() io.Reader { return panicReader{} }, exit: ExitTempFail, out: "4.3.0 reading the message: internal error: panic: boom"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			start := time.Now()
			exit := Main(context.Background(), tc.cmd, tc.stdin(), &out, io.Discard)
			if exit != tc.exit || !strings.HasPrefix(out.String(), tc.out) {
				t.Fatalf("Main = %d %q, want %d %q", exit, out.String(), tc.exit, tc.out)
			}
			if tc.max > 0 && time.Since(start) > tc.max {
				t.Errorf("took %v", time.Since(start))
			}
		})
	}
}

// panicReader panics on Read (an internal error inside the run).
type panicReader struct{}

func (panicReader) Read([]byte) (int, error) { panic("boom") }

func TestOutputLine(t *testing.T) {
	long := strings.Repeat("é", 3000)
	got := OutputLine("4.3.0 " + long + "\nsecond line\x00")
	if len(got) > MaxOutput || strings.ContainsAny(got, "\n\x00") || !strings.HasPrefix(got, "4.3.0 ") {
		t.Fatalf("OutputLine: %d bytes %q...", len(got), got[:20])
	}
	if got := (&Error{DSN: "5.1.1", Msg: "<a\r\nb>: unknown user"}).Line(); got != "5.1.1 <a  b>: unknown user" {
		t.Errorf("Line = %q", got)
	}
}
