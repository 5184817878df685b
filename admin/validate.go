package admin

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits of form values.
const (
	maxDomainLen      = 253
	maxLocalLen       = 64
	maxDestinationLen = 256 // maildrop is IA5{256}
	maxDestinations   = 500
	maxNameLen        = 128
	maxPasswordLen    = 1024
)

var (
	labelRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	localRE = regexp.MustCompile(`^[a-z0-9_+-]+(\.[a-z0-9_+-]+)*$`)
	// A destination's local part may use the whole dot-atom alphabet.
	destLocalRE = regexp.MustCompile("^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
	// A bare local name such as "postmaster" (a local(8) recipient).
	bareRE  = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
	quotaRE = regexp.MustCompile(`^[0-9]{1,15}[KMG]?$`)
)

// ValidDomain normalizes (trims, lower-cases) and checks a domain name:
// at least two dot-separated LDH labels.
func ValidDomain(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimSuffix(s, ".")
	if s == "" {
		return "", inputErr("Enter a domain name.")
	}
	if len(s) > maxDomainLen {
		return "", inputErr("The domain name is too long.")
	}
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return "", inputErr("%q is not a domain name: it needs at least one dot, as in example.com.", s)
	}
	for _, l := range labels {
		if !labelRE.MatchString(l) {
			return "", inputErr("%q is not a valid domain name (letters, digits and hyphens between dots).", s)
		}
	}
	return s, nil
}

// ValidLocal normalizes and checks the local part of a new address
// (lower-case letters, digits, and . _ + - inside).
func ValidLocal(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if i := strings.IndexByte(s, '@'); i >= 0 {
		s = s[:i]
	}
	if s == "" {
		return "", inputErr("Enter the part of the address before the @.")
	}
	if len(s) > maxLocalLen {
		return "", inputErr("The address is too long (at most %d characters before the @).", maxLocalLen)
	}
	if !localRE.MatchString(s) {
		return "", inputErr("%q is not a valid address: use letters, digits, and dots, hyphens, underscores or plus signs between them.", s)
	}
	return s, nil
}

// ValidDestination checks one alias destination: a full address
// (local@domain) or a bare local name such as "postmaster".
func ValidDestination(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > maxDestinationLen {
		return "", inputErr("%q is not a valid destination.", s)
	}
	local, dom, ok := strings.Cut(s, "@")
	if !ok {
		s = strings.ToLower(s)
		if !bareRE.MatchString(s) {
			return "", inputErr("%q is not a valid destination: enter an address like name@example.com.", s)
		}
		return s, nil
	}
	d, err := ValidDomain(dom)
	if err != nil || !destLocalRE.MatchString(local) {
		return "", inputErr("%q is not a valid e-mail address.", s)
	}
	return local + "@" + d, nil
}

// ParseDestinations splits a text area (commas, spaces or one per line)
// into checked, de-duplicated destinations.
func ParseDestinations(text string) ([]string, error) {
	fields := strings.FieldsFunc(text, func(r rune) bool { return r == ',' || r == ';' || unicode.IsSpace(r) })
	var out []string
	seen := map[string]bool{}
	for _, f := range fields {
		d, err := ValidDestination(f)
		if err != nil {
			return nil, err
		}
		if k := strings.ToLower(d); !seen[k] {
			seen[k] = true
			out = append(out, d)
		}
	}
	if len(out) > maxDestinations {
		return nil, inputErr("Too many destinations (at most %d).", maxDestinations)
	}
	return out, nil
}

// ValidQuota checks a quota: empty (none) or digits with an optional K, M
// or G suffix.
func ValidQuota(s string) (string, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if s == "" || quotaRE.MatchString(s) {
		return s, nil
	}
	return "", inputErr("%q is not a quota: enter a number, optionally followed by K, M or G (for example 500M).", s)
}

// ValidName checks a display name (cn): optional, printable, short.
func ValidName(s string) (string, error) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > maxNameLen {
		return "", inputErr("The name is too long (at most %d characters).", maxNameLen)
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return "", inputErr("The name contains characters that cannot be shown.")
		}
	}
	return s, nil
}

// commonPasswords are refused whatever their length.
var commonPasswords = map[string]bool{
	"password": true, "password1": true, "password123": true, "12345678": true, "123456789": true,
	"1234567890": true, "qwertyuiop": true, "qwerty123": true, "iloveyou": true, "letmein1": true,
	"11111111": true, "00000000": true, "abcdefgh": true, "abc12345": true, "passw0rd": true,
	"welcome1": true, "sunshine": true, "princess": true, "football": true, "baseball": true,
	"trustno1": true, "changeme": true, "secret123": true, "admin123": true, "mailmail": true,
}

// CheckPassword applies the strength rules to a new password: at least
// min characters (at most 1024), printable, not a common password, not
// containing the login name, and at least two kinds of characters
// (lower case, upper case, digits, others) unless 16 characters or longer.
// confirm must repeat it.
func CheckPassword(pw, confirm, login string, min int) error {
	if pw != confirm {
		return inputErr("The two passwords do not match.")
	}
	n := utf8.RuneCountInString(pw)
	if n < min {
		return inputErr("The password is too short: use at least %d characters.", min)
	}
	if len(pw) > maxPasswordLen || !utf8.ValidString(pw) {
		return inputErr("The password is too long.")
	}
	var lower, upper, digit, other bool
	for _, r := range pw {
		switch {
		case unicode.IsControl(r):
			return inputErr("The password contains control characters.")
		case unicode.IsLower(r):
			lower = true
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsDigit(r):
			digit = true
		default:
			other = true
		}
	}
	lp := strings.ToLower(pw)
	if commonPasswords[lp] {
		return inputErr("This password is too common; choose another.")
	}
	if strings.Count(lp, string([]rune(lp)[0])) == len(lp) {
		return inputErr("A password of one repeated character is too easy to guess.")
	}
	local, _, _ := strings.Cut(strings.ToLower(login), "@")
	if len(local) >= 3 && strings.Contains(lp, local) {
		return inputErr("The password must not contain the login name.")
	}
	kinds := 0
	for _, k := range []bool{lower, upper, digit, other} {
		if k {
			kinds++
		}
	}
	if kinds < 2 && n < 16 {
		return inputErr("Mix at least two kinds of characters (letters, digits, symbols), or use 16 characters or more.")
	}
	return nil
}
