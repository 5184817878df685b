package maildir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// maxFolderName bounds a folder name derived from an address extension.
const maxFolderName = 100

// SanitizeFolder turns an address extension ("news" of alice+news@d) into a
// Maildir++ folder name without the leading dot: bytes other than ASCII
// letters, digits, '-', '_' and '.' become '_'; empty components between
// dots are dropped (so no "..", no leading or trailing dot); the name is cut
// to 100 bytes. It returns "" when nothing is left or the name is INBOX
// (any case): deliver to the inbox then.
func SanitizeFolder(ext string) string {
	b := make([]byte, 0, len(ext))
	for i := 0; i < len(ext) && len(b) < maxFolderName; i++ {
		c := ext[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
			b = append(b, c)
		case c == '.':
			if len(b) > 0 && b[len(b)-1] != '.' {
				b = append(b, c)
			}
		default:
			b = append(b, '_')
		}
	}
	name := strings.TrimRight(string(b), ".")
	if strings.EqualFold(name, "INBOX") {
		return ""
	}
	return name
}

// Folder returns the maildir of the Maildir++ folder "." + name inside the
// maildir dir (which lies below base). When the folder does not exist it
// returns ok=false, unless create is set: then it is created with its
// tmp/, new/, cur/ and an empty maildirfolder file. An existing folder whose
// name differs only in case is used. name must come from SanitizeFolder.
func (w *Writer) Folder(base, dir, name string, create bool) (path string, ok bool, err error) {
	if name == "" || strings.Contains(name, "/") || strings.HasPrefix(name, ".") || strings.Contains(name, "..") {
		return "", false, fmt.Errorf("%w: folder name %q", ErrUnsafePath, name)
	}
	fsys := w.fs()
	p := filepath.Join(dir, "."+name)
	fi, err := fsys.Stat(p)
	switch {
	case err == nil && fi.IsDir():
	case err == nil:
		return "", false, nil // a file of that name: not a folder
	case !errors.Is(err, fs.ErrNotExist):
		return "", false, fmt.Errorf("stat folder %s: %w", p, err)
	default:
		// Look for the same name in another case.
		found := ""
		if ents, rerr := fsys.ReadDir(dir); rerr == nil {
			for _, e := range ents {
				if e.IsDir() && strings.EqualFold(e.Name(), "."+name) {
					found = e.Name()
					break
				}
			}
		}
		if found != "" {
			p = filepath.Join(dir, found)
		} else if !create {
			return "", false, nil
		}
	}
	if err := w.Ensure(base, p); err != nil {
		return "", false, err
	}
	mf := filepath.Join(p, "maildirfolder")
	if _, err := fsys.Stat(mf); errors.Is(err, fs.ErrNotExist) {
		f, err := fsys.OpenFile(mf, os.O_WRONLY|os.O_CREATE, FileMode)
		if err != nil {
			return "", false, fmt.Errorf("create %s: %w", mf, err)
		}
		if err := f.Close(); err != nil {
			return "", false, fmt.Errorf("close %s: %w", mf, err)
		}
	}
	return p, true, nil
}
