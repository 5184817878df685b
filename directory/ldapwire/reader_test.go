package ldapwire

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// chunkReader returns its data in reads of at most n bytes, then err.
type chunkReader struct {
	data []byte
	n    int
	err  error
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, c.err
	}
	n := min(len(p), c.n, len(c.data))
	copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

func readAll(t *testing.T, r *Reader) ([][]byte, error) {
	t.Helper()
	var pdus [][]byte
	for {
		p, err := r.ReadPDU()
		if err != nil {
			return pdus, err
		}
		pdus = append(pdus, bytes.Clone(p))
	}
}

func TestReaderPipelined(t *testing.T) {
	a := golden(t, "postfix_search.hex")
	b := msg(2, prim(0x4a, "cn=x"))
	big := msg(3, tl(0x68, str("cn=big"), seq(seq(str("description"), set(str(string(bytes.Repeat([]byte("d"), 200000))))))))
	nonMinimal := tl4(0x30, num(4), []byte{0x42, 0})
	stream := bytes.Join([][]byte{a, b, big, nonMinimal, a}, nil)
	want := [][]byte{a, b, big, nonMinimal, a}
	readers := map[string]io.Reader{
		"whole":    bytes.NewReader(stream),
		"one byte": iotest.OneByteReader(bytes.NewReader(stream)),
		"half":     iotest.HalfReader(bytes.NewReader(stream)),
		"7 bytes":  &chunkReader{data: stream, n: 7, err: io.EOF},
		"data+EOF": iotest.DataErrReader(bytes.NewReader(stream)),
	}
	for name, rd := range readers {
		t.Run(name, func(t *testing.T) {
			r := NewReader(rd, MaxPDUAnonymous)
			got, err := readAll(t, r)
			if err != io.EOF {
				t.Fatalf("final error %v, want io.EOF", err)
			}
			if len(got) != len(want) {
				t.Fatalf("%d PDUs, want %d", len(got), len(want))
			}
			for i := range want {
				if !bytes.Equal(got[i], want[i]) {
					t.Errorf("PDU %d differs", i)
				}
			}
			if cap(r.buf) > readerShrink {
				t.Errorf("buffer of %d bytes kept after the large PDU", cap(r.buf))
			}
		})
	}
}

func TestReaderErrors(t *testing.T) {
	valid := msg(1, prim(0x4a, "x"))
	body := func(n int) []byte { // a PDU whose body is n bytes
		return append([]byte{0x30, 0x84, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}, make([]byte, n)...)
	}
	tests := []struct {
		name string
		in   []byte
		max  int
		n    int   // PDUs read before the error
		is   error // expected error
	}{
		{"empty", nil, 0, 0, io.EOF},
		{"bad first byte", []byte{0x02, 0x01, 0x01}, 0, 0, ErrNotSequence},
		{"bad byte after valid", append(bytes.Clone(valid), 0x00), 0, 1, ErrNotSequence},
		{"indefinite length", []byte{0x30, 0x80, 0x02, 0x01, 0x01, 0, 0}, 0, 0, ErrIndefiniteLength},
		{"five length octets", []byte{0x30, 0x85, 0, 0, 0, 0, 1, 0}, 0, 0, ErrLengthTooLong},
		{"0xff length", []byte{0x30, 0xff}, 0, 0, ErrLengthTooLong},
		{"huge claim", []byte{0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x02}, 0, 0, ErrPDUTooLarge},
		{"anonymous limit", body(MaxPDUAnonymous + 1), 0, 0, ErrPDUTooLarge},
		{"anonymous limit exact", body(MaxPDUAnonymous), 0, 1, io.EOF},
		{"authenticated limit", body(MaxPDUAuthenticated + 1), MaxPDUAuthenticated, 0, ErrPDUTooLarge},
		{"authenticated limit exact", body(MaxPDUAuthenticated), MaxPDUAuthenticated, 1, io.EOF},
		{"truncated header", []byte{0x30}, 0, 0, io.ErrUnexpectedEOF},
		{"truncated long header", []byte{0x30, 0x84, 0}, 0, 0, io.ErrUnexpectedEOF},
		{"truncated body", valid[:len(valid)-1], 0, 0, io.ErrUnexpectedEOF},
		{"truncated second", append(bytes.Clone(valid), valid[:3]...), 0, 1, io.ErrUnexpectedEOF},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReader(bytes.NewReader(tc.in), tc.max)
			got, err := readAll(t, r)
			if len(got) != tc.n {
				t.Errorf("%d PDUs before the error, want %d", len(got), tc.n)
			}
			if !errors.Is(err, tc.is) {
				t.Fatalf("error %v, want %v", err, tc.is)
			}
			var fe *FrameError
			if isFrame := errors.As(err, &fe); isFrame != (tc.is != io.EOF && tc.is != io.ErrUnexpectedEOF) {
				t.Errorf("error %v: FrameError = %v", err, isFrame)
			}
		})
	}
}

// TestReaderNoAllocationForClaims: a header claiming 4 MiB followed by a
// few bytes costs a small buffer, not the claim.
func TestReaderNoAllocationForClaims(t *testing.T) {
	in := []byte{0x30, 0x83, 0x3f, 0xff, 0xff, 0x02, 0x01, 0x01}
	r := NewReader(bytes.NewReader(in), MaxPDUAuthenticated)
	if _, err := r.ReadPDU(); err != io.ErrUnexpectedEOF {
		t.Fatalf("error %v", err)
	}
	if cap(r.buf) > 2*readerInitial {
		t.Errorf("buffer grew to %d for %d bytes of input", cap(r.buf), len(in))
	}
	// Growth follows the bytes that arrive: 100 KB of a 4 MiB claim.
	part := append([]byte{0x30, 0x83, 0x3f, 0xff, 0xff}, make([]byte, 100000)...)
	r = NewReader(iotest.HalfReader(bytes.NewReader(part)), MaxPDUAuthenticated)
	if _, err := r.ReadPDU(); err != io.ErrUnexpectedEOF {
		t.Fatalf("error %v", err)
	}
	if cap(r.buf) > 2*len(part) {
		t.Errorf("buffer grew to %d for %d bytes of input", cap(r.buf), len(part))
	}
}

func TestReaderLimitSwitch(t *testing.T) {
	big := append([]byte{0x30, 0x83, 0x04, 0x00, 0x00}, make([]byte, 0x40000)...) // 256 KiB body
	stream := append(bytes.Clone(big), big...)
	r := NewReader(bytes.NewReader(stream), MaxPDUAuthenticated)
	if _, err := r.ReadPDU(); err != nil {
		t.Fatal(err)
	}
	r.MaxPDU = MaxPDUAnonymous
	if _, err := r.ReadPDU(); !errors.Is(err, ErrPDUTooLarge) {
		t.Fatalf("error %v, want ErrPDUTooLarge", err)
	}
}

func TestReaderResetAndBuffered(t *testing.T) {
	a := msg(1, tl(0x77, prim(0x80, OIDStartTLS)))
	b := msg(2, prim(0x4a, "x"))
	r := NewReader(bytes.NewReader(append(bytes.Clone(a), b...)), 0)
	if _, err := r.ReadPDU(); err != nil {
		t.Fatal(err)
	}
	if r.Buffered() != len(b) {
		t.Errorf("Buffered = %d, want %d", r.Buffered(), len(b))
	}
	r.Reset(bytes.NewReader(b))
	if r.Buffered() != 0 {
		t.Error("Reset kept buffered bytes")
	}
	p, err := r.ReadPDU()
	if err != nil || !bytes.Equal(p, b) {
		t.Fatalf("after Reset: %x %v", p, err)
	}
}

// errReader fails after its data.
type stuckReader struct{}

func (stuckReader) Read(p []byte) (int, error) { return 0, nil }

func TestReaderNoProgress(t *testing.T) {
	r := NewReader(stuckReader{}, 0)
	if _, err := r.ReadPDU(); err != io.ErrNoProgress {
		t.Fatalf("error %v", err)
	}
	boom := errors.New("boom")
	r = NewReader(&chunkReader{data: []byte{0x30, 5}, n: 10, err: boom}, 0)
	if _, err := r.ReadPDU(); err != boom {
		t.Fatalf("error %v, want the reader's", err)
	}
}
