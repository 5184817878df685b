package dn

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

const hexDigits = "0123456789ABCDEF"

// appendValue appends v escaped as described in the package documentation.
func appendValue[T string | []byte](dst []byte, v T) []byte {
	last := 0 // start of the pending run of bytes written raw
	n := len(v)
	for i := 0; i < n; {
		c := v[i]
		if c >= utf8.RuneSelf {
			var buf [utf8.UTFMax]byte
			k := copy(buf[:], v[i:min(i+utf8.UTFMax, n)])
			r, size := utf8.DecodeRune(buf[:k])
			if r == utf8.RuneError && size <= 1 {
				dst = append(dst, v[last:i]...)
				dst = append(dst, '\\', hexDigits[c>>4], hexDigits[c&0xF])
				i++
				last = i
				continue
			}
			i += size
			continue
		}
		esc := false
		switch c {
		case ',', '+', '"', '\\', '<', '>', ';', '=', 0:
			esc = true
		case ' ', '\t', '\n', '\r':
			esc = i == 0 || i == n-1
		case '#':
			esc = i == 0
		}
		if esc {
			dst = append(dst, v[last:i]...)
			dst = append(dst, '\\', hexDigits[c>>4], hexDigits[c&0xF])
			last = i + 1
		}
		i++
	}
	return append(dst, v[last:]...)
}

// EscapeValue returns v escaped for use as an attribute value in a DN string,
// with the rules described in the package documentation (slapd's).
func EscapeValue(v string) string {
	return string(appendValue(make([]byte, 0, len(v)+8), v))
}

// appendAVA appends a.Type "=" value, the value escaped or in "#hex" form.
func appendAVA(dst []byte, a AVA) []byte {
	dst = append(dst, a.Type...)
	dst = append(dst, '=')
	if a.BER {
		dst = append(dst, '#')
		for i := 0; i < len(a.Value); i++ {
			dst = append(dst, hexDigits[a.Value[i]>>4], hexDigits[a.Value[i]&0xF])
		}
		return dst
	}
	return appendValue(dst, a.Value)
}

func (a AVA) sizeHint() int {
	if a.BER {
		return len(a.Type) + 2 + 2*len(a.Value)
	}
	return len(a.Type) + 1 + len(a.Value)
}

// String returns the AVA in RFC 4514 form: the type as written, "=", and the
// value escaped (or in "#hex" form when BER is set).
func (a AVA) String() string {
	return string(appendAVA(make([]byte, 0, a.sizeHint()+8), a))
}

func appendRDN(dst []byte, r RDN) []byte {
	for i, a := range r {
		if i > 0 {
			dst = append(dst, '+')
		}
		dst = appendAVA(dst, a)
	}
	return dst
}

// String returns the RDN in RFC 4514 form, AVAs in their given order.
func (r RDN) String() string {
	n := 8
	for _, a := range r {
		n += a.sizeHint() + 1
	}
	return string(appendRDN(make([]byte, 0, n), r))
}

// String returns d in RFC 4514 form as slapd prints DNs: no white space,
// types as written (no schema is consulted, so not case-folded or replaced),
// AVAs in their given order, values escaped as described in the package
// documentation, "#hex" for BER values. Parse(d.String()) gives a DN
// Identical to d.
func (d DN) String() string {
	if len(d.RDNs) == 0 {
		return ""
	}
	n := 8
	for _, r := range d.RDNs {
		for _, a := range r {
			n += a.sizeHint() + 1
		}
	}
	dst := make([]byte, 0, n)
	for i, r := range d.RDNs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendRDN(dst, r)
	}
	return string(dst)
}

// Pretty returns slapd's pretty form of d: each type replaced by the
// schema's primary name (options dropped), values as given, escaped, the AVAs
// of a multi-valued RDN sorted by type name. Values are checked with
// n.NormalizeValue; like slapd, Pretty fails for undefined types, values the
// type's syntax refuses, empty values, hex-form values and a type repeated
// in one RDN. Errors match ErrInvalidDN.
func (d DN) Pretty(n Normalizer) (string, error) {
	p, _, err := d.render(n, true, false)
	return p, err
}

// Normalize returns slapd's normalized form of d: each type replaced by the
// Normalizer's normalized key, each value by its normalized form, escaped,
// no white space, the AVAs of a multi-valued RDN sorted by normalized type.
// Two DNs name the same entry iff their normalized forms are equal. It fails
// where Pretty fails. Errors match ErrInvalidDN.
func (d DN) Normalize(n Normalizer) (string, error) {
	_, nd, err := d.render(n, false, true)
	return nd, err
}

// PrettyNormal returns both the pretty and the normalized form (slapd's
// dnPrettyNormal), consulting the Normalizer once per AVA.
func (d DN) PrettyNormal(n Normalizer) (pretty, norm string, err error) {
	return d.render(n, true, true)
}

// item is one AVA of the RDN being rendered.
type item struct {
	pretty, norm string // type names
	value        string // as given
	nvalue       []byte // normalized
}

func (d DN) render(n Normalizer, wantPretty, wantNorm bool) (string, string, error) {
	if len(d.RDNs) == 0 {
		return "", "", nil
	}
	size, vlen := 8, 0
	for _, r := range d.RDNs {
		for _, a := range r {
			size += a.sizeHint() + 1
			vlen += len(a.Value)
		}
	}
	// The values are handed to NormalizeValue as slices of one buffer, each
	// with its capacity capped so that a Normalizer appending to its input
	// cannot overwrite the next value.
	scratch := make([]byte, 0, vlen)
	var pbuf, nbuf []byte
	if wantPretty {
		pbuf = make([]byte, 0, size)
	}
	if wantNorm {
		nbuf = make([]byte, 0, size)
	}
	var stack [4]item
	var ostack [4]int
	for ri, r := range d.RDNs {
		if len(r) == 0 {
			return "", "", d.errorf("RDN %d is empty", ri+1)
		}
		items := stack[:0]
		for _, a := range r {
			if a.BER {
				return "", "", d.errorf("hex-form (BER) value of %s is not supported", a.Type)
			}
			if a.Value == "" {
				return "", "", d.errorf("empty value for %s", a.Type)
			}
			t := a.Type
			if k := strings.IndexByte(t, ';'); k >= 0 {
				t = t[:k]
			}
			pt, nt, err := n.AttrType(t)
			if err != nil {
				return "", "", d.wrap(err, "attribute type %q", t)
			}
			for _, it := range items {
				if it.norm == nt {
					return "", "", d.errorf("attribute type %s appears twice in one RDN", pt)
				}
			}
			off := len(scratch)
			scratch = append(scratch, a.Value...)
			nv, err := n.NormalizeValue(nt, scratch[off:len(scratch):len(scratch)])
			if err != nil {
				return "", "", d.wrap(err, "value of %s", pt)
			}
			items = append(items, item{pretty: pt, norm: nt, value: a.Value, nvalue: nv})
		}
		if wantPretty {
			if ri > 0 {
				pbuf = append(pbuf, ',')
			}
			order := sortedOrder(ostack[:0], items, false)
			for k, j := range order {
				if k > 0 {
					pbuf = append(pbuf, '+')
				}
				pbuf = append(pbuf, items[j].pretty...)
				pbuf = append(pbuf, '=')
				pbuf = appendValue(pbuf, items[j].value)
			}
		}
		if wantNorm {
			if ri > 0 {
				nbuf = append(nbuf, ',')
			}
			order := sortedOrder(ostack[:0], items, true)
			for k, j := range order {
				if k > 0 {
					nbuf = append(nbuf, '+')
				}
				nbuf = append(nbuf, items[j].norm...)
				nbuf = append(nbuf, '=')
				nbuf = appendValue(nbuf, items[j].nvalue)
			}
		}
	}
	return string(pbuf), string(nbuf), nil
}

// sortedOrder returns the indexes of items ordered by their pretty or (if
// byNorm) normalized type name, in byte order (an insertion sort, as RDNs
// have few AVAs).
func sortedOrder(order []int, items []item, byNorm bool) []int {
	key := func(i int) string {
		if byNorm {
			return items[i].norm
		}
		return items[i].pretty
	}
	for i := range items {
		j := len(order)
		order = append(order, i)
		for j > 0 && key(order[j-1]) > key(i) {
			order[j] = order[j-1]
			j--
		}
		order[j] = i
	}
	return order
}

// name returns the DN for error messages.
func (d DN) name() string {
	if d.Orig != "" {
		return d.Orig
	}
	return d.String()
}

func (d DN) errorf(format string, args ...any) error {
	return fmt.Errorf("%w %q: %s", ErrInvalidDN, d.name(), fmt.Sprintf(format, args...))
}

func (d DN) wrap(err error, format string, args ...any) error {
	return fmt.Errorf("%w %q: %s: %w", ErrInvalidDN, d.name(), fmt.Sprintf(format, args...), err)
}
