package peers

import (
	"bytes"
	"strings"
	"testing"
)

const sinkSeed = "X-Client-Addr: 127.0.0.1\nX-Client-Proto: ESMTP\nX-Helo-Args: mx\n" +
	"X-Mail-Args: <> SIZE=2447\nX-Rcpt-Args: <a@b.example> ORCPT=rfc822;a@b.example\nX-Rcpt-Args: <c@d.example>\n" +
	"Received: from mx\nSubject: hi\n\nbody\n"

func TestParseSinkDump(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		sender string
		rcpts  []string
		data   string
	}{
		{name: "bounce", in: sinkSeed, sender: "", rcpts: []string{"a@b.example", "c@d.example"}, data: "Received: from mx\nSubject: hi\n\nbody\n"},
		{name: "forward", in: "X-Mail-Args: <s@c.example>\nX-Rcpt-Args: <f@e.example>\nX-Case: x\n\nb\n", sender: "s@c.example", rcpts: []string{"f@e.example"}, data: "X-Case: x\n\nb\n"},
		{name: "empty", in: "", data: ""},
		{name: "no envelope", in: "Subject: x\n\n", data: "Subject: x\n\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := parseSinkDump([]byte(tc.in))
			if m.Sender != tc.sender || strings.Join(m.Recipients, ",") != strings.Join(tc.rcpts, ",") || string(m.Data) != tc.data {
				t.Fatalf("got sender %q rcpts %q data %q", m.Sender, m.Recipients, m.Data)
			}
		})
	}
}

// FuzzParseSinkDump: any bytes give a result whose Data is a suffix of the
// input, without panics.
func FuzzParseSinkDump(f *testing.F) {
	f.Add([]byte(sinkSeed))
	f.Add([]byte("X-Mail-Args: \nX-Rcpt-Args: <\n"))
	f.Add([]byte("X-Rcpt-Args: : : \n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m := parseSinkDump(b)
		if !bytes.HasSuffix(b, m.Data) {
			t.Fatalf("Data %q is not a suffix of the input", m.Data)
		}
	})
}

// FuzzParseQueueJSON: any bytes give entries or an error, without panics.
func FuzzParseQueueJSON(f *testing.F) {
	f.Add([]byte(`{"queue_name":"deferred","queue_id":"A","recipients":[{"address":"a@b","delay_reason":"x"}]}` + "\n"))
	f.Add([]byte("\n\n"))
	f.Add([]byte("Mail queue is empty\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		q, err := parseQueueJSON(b)
		if err == nil && len(bytes.TrimSpace(b)) == 0 && len(q) != 0 {
			t.Fatalf("entries from blank input: %+v", q)
		}
	})
}
