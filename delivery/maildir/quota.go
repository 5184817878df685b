package maildir

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Maildir++ quota constants.
const (
	// SizeFileName is the Maildir++ quota file at the maildir's top.
	SizeFileName = "maildirsize"
	// SizeFileLimit: a maildirsize of this many bytes or more is recalculated.
	SizeFileLimit = 5120
	// SizeFileStale: an over-quota maildirsize older than this is
	// recalculated before refusing a message (mail may have been deleted).
	SizeFileStale = 15 * time.Minute
)

// Quota is a mailbox limit; a zero field means no limit of that kind.
type Quota struct {
	Bytes int64 // total size of messages
	Count int64 // number of messages
}

// Unlimited reports whether q sets no limit at all.
func (q Quota) Unlimited() bool { return q.Bytes <= 0 && q.Count <= 0 }

// String returns the Maildir++ definition ("1048576S,1000C", only the limits
// that are set; "" when unlimited), the first line of maildirsize.
func (q Quota) String() string {
	var parts []string
	if q.Bytes > 0 {
		parts = append(parts, strconv.FormatInt(q.Bytes, 10)+"S")
	}
	if q.Count > 0 {
		parts = append(parts, strconv.FormatInt(q.Count, 10)+"C")
	}
	return strings.Join(parts, ",")
}

// ParseQuota reads a quota attribute value: a byte count with an optional
// K, M or G suffix (powers of 1024, either case: "10M", "1048576", the form
// Jamm-era tools write, `^\d+[KMG]?$`), or a Maildir++ definition such as
// "1048576S,1000C". An empty string or "0" means no quota.
func ParseQuota(s string) (Quota, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Quota{}, nil
	}
	if n, err := parseSize(s); err == nil {
		return Quota{Bytes: n}, nil
	}
	var q Quota
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if len(part) < 2 {
			return Quota{}, fmt.Errorf("quota %q: bad part %q", s, part)
		}
		n, err := parseDigits(part[:len(part)-1])
		if err != nil {
			return Quota{}, fmt.Errorf("quota %q: %w", s, err)
		}
		switch part[len(part)-1] {
		case 'S', 's':
			q.Bytes = n
		case 'C', 'c':
			q.Count = n
		default:
			return Quota{}, fmt.Errorf("quota %q: unknown unit in %q", s, part)
		}
	}
	return q, nil
}

// parseSize reads digits with an optional K/M/G suffix.
func parseSize(s string) (int64, error) {
	mult := int64(1)
	switch s[len(s)-1] {
	case 'K', 'k':
		mult = 1 << 10
	case 'M', 'm':
		mult = 1 << 20
	case 'G', 'g':
		mult = 1 << 30
	}
	if mult > 1 {
		s = s[:len(s)-1]
	}
	n, err := parseDigits(s)
	if err != nil {
		return 0, err
	}
	if n > math.MaxInt64/mult {
		return 0, fmt.Errorf("size %q overflows", s)
	}
	return n * mult, nil
}

func parseDigits(s string) (int64, error) {
	if s == "" {
		return 0, errors.New("empty number")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("%q is not a number", s)
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("number %q: %w", s, err)
	}
	return n, nil
}

// Usage is the space a maildir uses as maildirsize accounts it.
type Usage struct {
	Bytes int64
	Count int64
}

// Allows reports whether a message of size bytes fits: usage plus the
// message stays within every limit of q.
func (q Quota) Allows(u Usage, size int64) bool {
	if q.Bytes > 0 && u.Bytes+size > q.Bytes {
		return false
	}
	if q.Count > 0 && u.Count+1 > q.Count {
		return false
	}
	return true
}

// Percent returns the highest use of any limit in percent (0 when unlimited).
func (q Quota) Percent(u Usage) int64 {
	var p int64
	if q.Bytes > 0 {
		p = percent(u.Bytes, q.Bytes)
	}
	if q.Count > 0 {
		if c := percent(u.Count, q.Count); c > p {
			p = c
		}
	}
	return p
}

func percent(a, b int64) int64 {
	if a <= 0 {
		return 0
	}
	if a > math.MaxInt64/100 {
		return int64(float64(a) * 100 / float64(b))
	}
	return a * 100 / b
}

// CheckQuota returns the maildir's usage as maildirsize (read, or
// recalculated by the Maildir++ rules) says, and whether a message of size
// bytes fits within q. An over-quota answer from a maildirsize older than 15
// minutes is checked again after a recalculation.
func (w *Writer) CheckQuota(dir string, q Quota, size int64) (Usage, bool, error) {
	u, mtime, fresh, err := w.usage(dir, q)
	if err != nil {
		return Usage{}, false, err
	}
	if q.Allows(u, size) {
		return u, true, nil
	}
	if !fresh && w.now().Sub(mtime) > SizeFileStale {
		u, err = w.Recalculate(dir, q)
		if err != nil {
			return Usage{}, false, err
		}
	}
	return u, q.Allows(u, size), nil
}

// usage reads maildirsize, recalculating it when it is missing, malformed,
// 5120 bytes or larger, or defines another quota than q. fresh reports a
// recalculation.
func (w *Writer) usage(dir string, q Quota) (u Usage, mtime time.Time, fresh bool, err error) {
	name := filepath.Join(dir, SizeFileName)
	f, err := w.fs().OpenFile(name, os.O_RDONLY, 0)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			u, err = w.Recalculate(dir, q)
			return u, w.now(), true, err
		}
		return Usage{}, time.Time{}, false, fmt.Errorf("open %s: %w", name, err)
	}
	data, rerr := io.ReadAll(io.LimitReader(f, SizeFileLimit+1))
	fi, serr := f.Stat()
	f.Close()
	if rerr != nil {
		return Usage{}, time.Time{}, false, fmt.Errorf("read %s: %w", name, rerr)
	}
	if serr == nil {
		mtime = fi.ModTime()
	}
	def, u, ok := ParseSizeFile(data)
	if !ok || len(data) >= SizeFileLimit || def != q {
		u, err = w.Recalculate(dir, q)
		return u, w.now(), true, err
	}
	return u, mtime, false, nil
}

// ParseSizeFile parses maildirsize contents: the quota definition line and
// the sum of the "<bytes> <count>" lines. ok is false when the contents are
// malformed (then the file must be recalculated).
func ParseSizeFile(data []byte) (q Quota, u Usage, ok bool) {
	line, rest, found := bytes.Cut(data, []byte("\n"))
	if !found {
		return Quota{}, Usage{}, false
	}
	q, err := ParseQuota(string(line))
	if err != nil {
		return Quota{}, Usage{}, false
	}
	for len(rest) > 0 {
		line, rest, found = bytes.Cut(rest, []byte("\n"))
		if !found {
			// An unterminated last line: a write in progress or torn.
			return Quota{}, Usage{}, false
		}
		f := strings.Fields(string(line))
		if len(f) == 0 {
			continue
		}
		if len(f) > 2 {
			return Quota{}, Usage{}, false
		}
		b, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return Quota{}, Usage{}, false
		}
		var c int64
		if len(f) == 2 {
			if c, err = strconv.ParseInt(f[1], 10, 64); err != nil {
				return Quota{}, Usage{}, false
			}
		}
		u.Bytes += b
		u.Count += c
	}
	return q, u, true
}

// Recalculate counts the messages in new/ and cur/ of the maildir dir and of
// its folders (except .Trash), writes a fresh maildirsize (through tmp/ and a
// rename) and returns the usage. Sizes come from the ",S=" part of file
// names when present, from stat otherwise.
func (w *Writer) Recalculate(dir string, q Quota) (Usage, error) {
	fsys := w.fs()
	var u Usage
	dirs := []string{dir}
	if ents, err := fsys.ReadDir(dir); err == nil {
		for _, e := range ents {
			n := e.Name()
			if len(n) > 1 && n[0] == '.' && n != ".." && n != ".Trash" && e.IsDir() {
				dirs = append(dirs, filepath.Join(dir, n))
			}
		}
	} else {
		return Usage{}, fmt.Errorf("read maildir %s: %w", dir, err)
	}
	for _, d := range dirs {
		for _, sub := range [...]string{"new", "cur"} {
			p := filepath.Join(d, sub)
			ents, err := fsys.ReadDir(p)
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					continue
				}
				return Usage{}, fmt.Errorf("read %s: %w", p, err)
			}
			for _, e := range ents {
				if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
					continue
				}
				size, ok := SizeFromName(e.Name())
				if !ok {
					fi, err := e.Info()
					if err != nil {
						continue // removed meanwhile
					}
					size = fi.Size()
				}
				u.Bytes += size
				u.Count++
			}
		}
	}
	content := q.String() + "\n" + strconv.FormatInt(u.Bytes, 10) + " " + strconv.FormatInt(u.Count, 10) + "\n"
	tmp := filepath.Join(dir, "tmp", w.UniqueName(int64(len(content)))+".maildirsize")
	f, err := fsys.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, FileMode)
	if err != nil {
		return Usage{}, fmt.Errorf("create %s: %w", tmp, err)
	}
	_, werr := io.WriteString(f, content)
	cerr := f.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = fsys.Rename(tmp, filepath.Join(dir, SizeFileName))
	}
	if werr != nil {
		_ = fsys.Remove(tmp)
		return Usage{}, fmt.Errorf("write %s: %w", filepath.Join(dir, SizeFileName), werr)
	}
	return u, nil
}

// SizeFromName returns the size a Maildir++ file name carries in ",S=<n>".
func SizeFromName(name string) (int64, bool) {
	i := strings.Index(name, ",S=")
	if i < 0 {
		return 0, false
	}
	s := name[i+3:]
	j := 0
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if j == 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(s[:j], 10, 64)
	if err != nil {
		return 0, false
	}
	return n, true
}

// AddUsage appends "<bytes> <count>" to maildirsize in one write (O_APPEND),
// as Maildir++ delivery agents do. A missing maildirsize is left missing (the
// next check recalculates it).
func (w *Writer) AddUsage(dir string, bytes, count int64) error {
	name := filepath.Join(dir, SizeFileName)
	f, err := w.fs().OpenFile(name, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("open %s: %w", name, err)
	}
	line := strconv.FormatInt(bytes, 10) + " " + strconv.FormatInt(count, 10) + "\n"
	_, werr := io.WriteString(f, line)
	cerr := f.Close()
	if werr != nil {
		return fmt.Errorf("append to %s: %w", name, werr)
	}
	if cerr != nil {
		return fmt.Errorf("close %s: %w", name, cerr)
	}
	return nil
}
