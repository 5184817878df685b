package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// maxResponse bounds the size of one response the generator accepts.
const maxResponse = 16 << 20

// conn is one persistent LDAP connection of the load generator: one request
// at a time, its response read before the next request is sent.
type conn struct {
	nc   net.Conn
	rd   *bufio.Reader
	out  []byte // the request being sent (envelope + operation)
	in   []byte // the response being read
	id   int32
	stop func() bool
}

// ResultError is an LDAP result code other than success for a request of
// the workload: the operation counts as failed, the connection goes on.
type ResultError struct {
	Op   string
	Code int
}

func (e *ResultError) Error() string {
	return fmt.Sprintf("%s: LDAP result code %d", e.Op, e.Code)
}

// dial connects to addr. The connection is closed when ctx is done.
func dial(ctx context.Context, addr string) (*conn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", addr, err)
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	c := &conn{nc: nc, rd: bufio.NewReaderSize(nc, 16<<10), out: make([]byte, 0, 512), in: make([]byte, 0, 4096)}
	c.stop = context.AfterFunc(ctx, func() { _ = nc.Close() })
	return c, nil
}

// Close sends an UnbindRequest and closes the connection.
func (c *conn) Close() error {
	c.stop()
	c.id++
	c.out = appendMessage(c.out[:0], c.id, appendUnbind(nil))
	_ = c.nc.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = c.nc.Write(c.out)
	return c.nc.Close()
}

// readPDU reads one whole LDAPMessage into c.in.
func (c *conn) readPDU() ([]byte, error) {
	var hdr [6]byte
	if _, err := io.ReadFull(c.rd, hdr[:2]); err != nil {
		return nil, err
	}
	if hdr[0] != tagSequence {
		return nil, fmt.Errorf("%w: first byte 0x%02x", errMalformed, hdr[0])
	}
	n, h := int(hdr[1]), 2
	if n >= 0x80 {
		k := n & 0x7f
		if k == 0 || k > 4 {
			return nil, fmt.Errorf("%w: length of %d bytes", errMalformed, k)
		}
		if _, err := io.ReadFull(c.rd, hdr[2:2+k]); err != nil {
			return nil, err
		}
		n = 0
		for _, b := range hdr[2 : 2+k] {
			n = n<<8 | int(b)
		}
		h += k
	}
	if n > maxResponse {
		return nil, fmt.Errorf("%w: response of %d bytes", errMalformed, n)
	}
	c.in = append(c.in[:0], hdr[:h]...)
	if cap(c.in) < h+n {
		c.in = append(make([]byte, 0, h+n), c.in...)
	}
	c.in = c.in[:h+n]
	if _, err := io.ReadFull(c.rd, c.in[h:]); err != nil {
		return nil, err
	}
	return c.in, nil
}

// do sends one encoded protocol operation and reads its responses up to the
// final one. For a search, entry is called with the DN of each entry (the
// slice is valid during the call only). A result code other than success is
// returned as a *ResultError; other errors mean the connection is broken.
func (c *conn) do(name string, op []byte, entry func(dn []byte)) error {
	c.id++
	if c.id <= 0 {
		c.id = 1
	}
	c.out = appendMessage(c.out[:0], c.id, op)
	if _, err := c.nc.Write(c.out); err != nil {
		return fmt.Errorf("%s: write: %w", name, err)
	}
	for {
		pdu, err := c.readPDU()
		if err != nil {
			return fmt.Errorf("%s: read: %w", name, err)
		}
		r, err := parseResponse(pdu)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if r.ID == 0 && r.Op == tagExtendedResp {
			return fmt.Errorf("%s: server disconnected (notice of disconnection, code %d)", name, r.Code)
		}
		if r.ID != c.id {
			return fmt.Errorf("%s: response to message %d, want %d", name, r.ID, c.id)
		}
		switch r.Op {
		case tagSearchEntry:
			if entry != nil {
				entry(r.DN)
			}
			continue
		case tagSearchRef:
			continue
		}
		if r.Code != 0 {
			return &ResultError{Op: name, Code: r.Code}
		}
		return nil
	}
}

// bind sends a simple bind.
func (c *conn) bind(dn, password string) error {
	return c.do("bind", appendBind(nil, dn, password), nil)
}

// isResultError reports whether err is an LDAP result (the connection is
// still usable).
func isResultError(err error) bool {
	var re *ResultError
	return errors.As(err, &re)
}
