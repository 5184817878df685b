package ldapwire

import (
	"errors"
	"fmt"
	"io"
)

// FrameError is a framing violation found by Reader.ReadPDU: the byte
// stream is not a sequence of LDAPMessages within the limits. The
// connection cannot be resynchronized; the server should send a Notice of
// Disconnection with ProtocolError (AppendNoticeOfDisconnection) and close.
// Err is one of ErrNotSequence, ErrIndefiniteLength, ErrLengthTooLong or
// ErrPDUTooLarge.
type FrameError struct {
	Err    error
	Length int64 // the claimed body length, for ErrPDUTooLarge
	Limit  int   // the limit in force, for ErrPDUTooLarge
}

// Error implements error.
func (e *FrameError) Error() string {
	if errors.Is(e.Err, ErrPDUTooLarge) {
		return fmt.Sprintf("ldapwire: PDU body of %d bytes exceeds the limit of %d", e.Length, e.Limit)
	}
	return "ldapwire: bad PDU header: " + e.Err.Error()
}

// Unwrap returns the underlying sentinel error.
func (e *FrameError) Unwrap() error { return e.Err }

// Framing errors (see FrameError).
var (
	// ErrNotSequence: the first octet of a PDU is not 0x30 (SEQUENCE).
	ErrNotSequence = errors.New("PDU does not start with SEQUENCE (0x30)")
	// ErrPDUTooLarge: the PDU's length exceeds the Reader's MaxPDU.
	ErrPDUTooLarge = errors.New("PDU too large")
)

// Buffer sizes of Reader.
const (
	readerInitial = 4096
	// readerShrink: a buffer grown beyond this for a large PDU is given back
	// at the next ReadPDU so that idle connections hold little memory.
	readerShrink = 64 << 10
)

// Reader splits a byte stream into LDAPMessage PDUs. It reads ahead (all
// that the connection has ready, so pipelined requests cost one read) into a
// reusable buffer that grows only as bytes arrive, never to what a header
// merely claims, and never beyond MaxPDU plus the header.
//
// A Reader is not safe for concurrent use; use one per connection.
type Reader struct {
	r     io.Reader
	buf   []byte
	start int // first unconsumed byte
	end   int // end of buffered data

	// MaxPDU is the largest PDU body (the LDAPMessage contents, after the
	// tag and length octets) ReadPDU accepts. It may be changed between
	// calls, e.g. from MaxPDUAnonymous to MaxPDUAuthenticated after a
	// successful bind. Zero or negative means MaxPDUAnonymous.
	MaxPDU int
}

// NewReader returns a Reader of r with the given MaxPDU.
func NewReader(r io.Reader, maxPDU int) *Reader {
	return &Reader{r: r, MaxPDU: maxPDU}
}

// Reset makes the Reader read from r, keeping its buffer and MaxPDU. It is
// used after StartTLS to read from the TLS connection; call Buffered first:
// bytes read ahead from the old reader would be lost.
func (r *Reader) Reset(rd io.Reader) {
	r.r = rd
	r.start, r.end = 0, 0
}

// Buffered returns the number of bytes read from the connection but not yet
// returned as a PDU. After a StartTLS request it must be 0 (the client may
// not send anything before the response); otherwise the client is broken.
func (r *Reader) Buffered() int { return r.end - r.start }

// ReadPDU returns the next complete LDAPMessage, tag and length included,
// with exactly one message in the slice. The slice aliases the Reader's
// buffer: it is valid only until the next call of ReadPDU or Reset, and so
// are all the values Decode takes from it.
//
// Errors: io.EOF when the stream ends cleanly between PDUs;
// io.ErrUnexpectedEOF when it ends inside one; a *FrameError for a framing
// violation (answer with a Notice of Disconnection); otherwise the
// underlying reader's error (e.g. a timeout).
func (r *Reader) ReadPDU() ([]byte, error) {
	if cap(r.buf) > readerShrink && r.end-r.start <= readerInitial {
		nb := make([]byte, readerInitial)
		r.end = copy(nb, r.buf[r.start:r.end])
		r.start = 0
		r.buf = nb
	} else if r.start == r.end {
		r.start, r.end = 0, 0
	}
	if r.buf == nil {
		r.buf = make([]byte, readerInitial)
	}
	max := r.MaxPDU
	if max <= 0 {
		max = MaxPDUAnonymous
	}
	for {
		total, err := r.frame(max)
		if err != nil {
			return nil, err
		}
		if total > 0 && r.end-r.start >= total {
			pdu := r.buf[r.start : r.start+total : r.start+total]
			r.start += total
			return pdu, nil
		}
		if err := r.fill(total); err != nil {
			return nil, err
		}
	}
}

// frame inspects the buffered header. It returns the PDU's total size, or 0
// if more bytes are needed to know it.
func (r *Reader) frame(max int) (int, error) {
	b := r.buf[r.start:r.end]
	if len(b) == 0 {
		return 0, nil
	}
	if b[0] != TagSequence {
		return 0, &FrameError{Err: ErrNotSequence}
	}
	if len(b) < 2 {
		return 0, nil
	}
	l := int64(b[1])
	hdr := 2
	if l >= 0x80 {
		n := int(l & 0x7f)
		switch {
		case n == 0:
			return 0, &FrameError{Err: ErrIndefiniteLength}
		case n > 4:
			return 0, &FrameError{Err: ErrLengthTooLong}
		case len(b) < 2+n:
			return 0, nil
		}
		l = 0
		for _, c := range b[2 : 2+n] {
			l = l<<8 | int64(c)
		}
		hdr += n
	}
	if l > int64(max) {
		return 0, &FrameError{Err: ErrPDUTooLarge, Length: l, Limit: max}
	}
	return hdr + int(l), nil
}

// fill reads more bytes, compacting or growing the buffer as needed. total
// is the size of the PDU being assembled, 0 if not yet known.
func (r *Reader) fill(total int) error {
	if r.end == len(r.buf) {
		if r.start > 0 {
			r.end = copy(r.buf, r.buf[r.start:r.end])
			r.start = 0
		} else {
			// Full of one incomplete PDU: grow, at most doubling, so
			// memory follows the bytes that actually arrived.
			n := 2 * len(r.buf)
			if total > 0 && n > total {
				n = total
			}
			if n <= len(r.buf) {
				n = len(r.buf) + readerInitial
			}
			nb := make([]byte, n)
			copy(nb, r.buf[:r.end])
			r.buf = nb
		}
	}
	for tries := 0; tries < 100; tries++ {
		n, err := r.r.Read(r.buf[r.end:])
		r.end += n
		if n > 0 {
			return nil
		}
		if err != nil {
			if err == io.EOF && r.end > r.start {
				return io.ErrUnexpectedEOF
			}
			return err
		}
	}
	return io.ErrNoProgress
}
