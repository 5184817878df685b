package delivery

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// DetailMode says what an address extension (alice+news@d) does.
type DetailMode int

// Detail modes (setting detail_folders).
const (
	// DetailExisting delivers into the folder .news/ when it exists, else
	// into the inbox (the default).
	DetailExisting DetailMode = iota
	// DetailOff always delivers into the inbox.
	DetailOff
	// DetailCreate creates the folder when it does not exist.
	DetailCreate
)

// QuotaPolicy says what happens to a message that does not fit the quota.
type QuotaPolicy int

// Quota policies (setting quota_exceeded).
const (
	// QuotaBounce answers "5.2.2 Mailbox full" (exit 73): the sender learns
	// at once (the default).
	QuotaBounce QuotaPolicy = iota
	// QuotaDefer answers "4.2.2 Mailbox full" (exit 75): Postfix retries
	// until the user makes room or the message expires from the queue.
	QuotaDefer
)

// HeaderMode says whether the agent prepends Return-Path and Delivered-To.
type HeaderMode int

// Header modes (setting add_headers, flag --add-headers).
const (
	// HeadersAuto adds each header only when the message does not already
	// start with it (Postfix's pipe flags R and D put them there).
	HeadersAuto HeaderMode = iota
	// HeadersYes adds them unless the message already starts with exactly
	// these headers for this recipient (no duplicates).
	HeadersYes
	// HeadersNo never adds them.
	HeadersNo
)

// Default settings.
const (
	DefaultLDAPURI        = "ldap://127.0.0.1:3389"
	DefaultBase           = "o=hosting,dc=myhosting,dc=example"
	DefaultSendmail       = "/usr/sbin/sendmail"
	DefaultTimeout        = 100 * time.Second
	DefaultLDAPTimeout    = 10 * time.Second
	DefaultRecursionLimit = 1000 // Postfix's virtual_alias_recursion_limit
	DefaultExpansionLimit = 1000 // Postfix's virtual_alias_expansion_limit
	DefaultWarningPercent = 90
)

// Config holds every setting of the agent. The -c file and the command-line
// flags set it through Set; flags are applied after the file, so they win.
type Config struct {
	// LDAP lists server URIs (ldap://, ldaps://, ldapi://), tried in order.
	// Key "ldap", flag --ldap (repeatable; values may hold several URIs
	// separated by spaces or commas).
	LDAP []string
	// Base is the search base. Key "base", flag --base.
	Base string
	// BindDN, when set, binds with the password read from BindPasswordFile;
	// otherwise the agent binds anonymously. Keys "bind_dn",
	// "bind_password_file"; flags --bind-dn, --bind-password-file.
	BindDN           string
	BindPasswordFile string
	// TLSCAFile is a PEM file of CAs for ldaps:// (default: system roots).
	// Key "ldap_tls_ca_file".
	TLSCAFile string
	// MailboxBase, when set, places maildirs at MailboxBase/<mailbox> as
	// Postfix's virtual_mailbox_base does; otherwise at
	// homeDirectory/<mailbox> from the account entry. Key "mailbox_base",
	// flag --mailbox-base.
	MailboxBase string
	// RecipientDelimiter holds the characters that separate an address
	// extension ("+"; "" disables extensions). Key "recipient_delimiter".
	RecipientDelimiter string
	// Sendmail is the command (and leading arguments) used to re-submit
	// forwarded mail and send quota warnings; the agent appends
	// "-i -f SENDER -- ADDRESS...". Key "sendmail_command".
	Sendmail []string
	// DetailFolders: key "detail_folders" = off | existing | create.
	DetailFolders DetailMode
	// QuotaExceeded: key "quota_exceeded" = bounce | defer.
	QuotaExceeded QuotaPolicy
	// QuotaWarningPercent: a warning mail goes to the account when a
	// delivery takes its usage to this percentage of the quota or more (once
	// per crossing); 0 disables. Key "quota_warning_percent".
	QuotaWarningPercent int
	// AddHeaders: key "add_headers" = auto | yes | no; flag --add-headers.
	AddHeaders HeaderMode
	// Timeout bounds a whole run (the agent answers 4.4.7 and exit 75 when
	// it expires). It must stay well below Postfix's command_time_limit
	// (default 1000s): a command Postfix kills is bounced. Key "timeout",
	// flag --timeout.
	Timeout time.Duration
	// LDAPTimeout bounds each LDAP connect and operation. Key "ldap_timeout".
	LDAPTimeout time.Duration
	// AliasRecursionLimit and AliasExpansionLimit are Postfix's
	// virtual_alias_recursion_limit and virtual_alias_expansion_limit.
	// Keys "alias_recursion_limit", "alias_expansion_limit".
	AliasRecursionLimit int
	AliasExpansionLimit int
	// Hostname goes into maildir file names (default: os.Hostname()).
	// Key "hostname".
	Hostname string
	// Verbose logs each step to standard error. Key "verbose", flag -v.
	Verbose bool
	// QueueID is the Postfix queue id of the message (pipe(8) passes it as
	// ${queue_id}). With one, delivery into each maildir is idempotent: a
	// retry after the agent was killed completes or confirms the earlier
	// attempt instead of writing a second copy (see package maildir,
	// DeliverOnce). "" (standalone runs) delivers as before, at least
	// once. Key "queue_id", flags -q and --queue-id.
	QueueID string
}

// maxQueueID bounds a queue id (Postfix's are 10 to 20 characters).
const maxQueueID = 255

// DefaultConfig returns the defaults described on Config's fields.
func DefaultConfig() Config {
	return Config{
		LDAP:                []string{DefaultLDAPURI},
		Base:                DefaultBase,
		RecipientDelimiter:  "+",
		Sendmail:            []string{DefaultSendmail},
		DetailFolders:       DetailExisting,
		QuotaExceeded:       QuotaBounce,
		QuotaWarningPercent: DefaultWarningPercent,
		AddHeaders:          HeadersAuto,
		Timeout:             DefaultTimeout,
		LDAPTimeout:         DefaultLDAPTimeout,
		AliasRecursionLimit: DefaultRecursionLimit,
		AliasExpansionLimit: DefaultExpansionLimit,
	}
}

// Keys lists the setting names Set accepts, in documentation order.
var Keys = []string{
	"ldap", "base", "bind_dn", "bind_password_file", "ldap_tls_ca_file", "ldap_timeout",
	"mailbox_base", "recipient_delimiter", "sendmail_command", "detail_folders",
	"quota_exceeded", "quota_warning_percent", "add_headers", "timeout",
	"alias_recursion_limit", "alias_expansion_limit", "hostname", "verbose", "queue_id",
}

// Set assigns one setting by name. Names are case-insensitive and '-'
// equals '_' (so flag names work too). Values are trimmed.
func (c *Config) Set(key, value string) error {
	k := strings.ReplaceAll(strings.ToLower(strings.TrimSpace(key)), "-", "_")
	v := strings.TrimSpace(value)
	switch k {
	case "ldap":
		uris := strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
		if len(uris) == 0 {
			return fmt.Errorf("%s: no LDAP URI", key)
		}
		for _, u := range uris {
			if !strings.HasPrefix(u, "ldap://") && !strings.HasPrefix(u, "ldaps://") && !strings.HasPrefix(u, "ldapi://") {
				return fmt.Errorf("%s: %q is not an ldap://, ldaps:// or ldapi:// URI", key, u)
			}
		}
		c.LDAP = uris
	case "base":
		c.Base = v
	case "bind_dn":
		c.BindDN = v
	case "bind_password_file":
		c.BindPasswordFile = v
	case "ldap_tls_ca_file":
		c.TLSCAFile = v
	case "mailbox_base":
		if v != "" && !strings.HasPrefix(v, "/") {
			return fmt.Errorf("%s: %q is not an absolute path", key, v)
		}
		c.MailboxBase = v
	case "recipient_delimiter":
		if strings.ContainsAny(v, "@") {
			return fmt.Errorf("%s: %q may not contain @", key, v)
		}
		c.RecipientDelimiter = v
	case "sendmail_command":
		f := strings.Fields(v)
		if len(f) == 0 {
			return fmt.Errorf("%s: empty command", key)
		}
		c.Sendmail = f
	case "detail_folders":
		switch strings.ToLower(v) {
		case "off", "no":
			c.DetailFolders = DetailOff
		case "existing":
			c.DetailFolders = DetailExisting
		case "create":
			c.DetailFolders = DetailCreate
		default:
			return fmt.Errorf("%s: %q is not off, existing or create", key, v)
		}
	case "quota_exceeded":
		switch strings.ToLower(v) {
		case "bounce":
			c.QuotaExceeded = QuotaBounce
		case "defer":
			c.QuotaExceeded = QuotaDefer
		default:
			return fmt.Errorf("%s: %q is not bounce or defer", key, v)
		}
	case "quota_warning_percent":
		n, err := parseInt(v, 0, 100)
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		c.QuotaWarningPercent = n
	case "add_headers":
		switch strings.ToLower(v) {
		case "auto":
			c.AddHeaders = HeadersAuto
		case "yes", "true", "on", "1":
			c.AddHeaders = HeadersYes
		case "no", "false", "off", "0":
			c.AddHeaders = HeadersNo
		default:
			return fmt.Errorf("%s: %q is not auto, yes or no", key, v)
		}
	case "timeout", "ldap_timeout":
		d, err := ParseDuration(v)
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		if k == "timeout" {
			c.Timeout = d
		} else {
			c.LDAPTimeout = d
		}
	case "alias_recursion_limit", "alias_expansion_limit":
		n, err := parseInt(v, 1, 1000000)
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		if k == "alias_recursion_limit" {
			c.AliasRecursionLimit = n
		} else {
			c.AliasExpansionLimit = n
		}
	case "hostname":
		c.Hostname = v
	case "queue_id":
		if len(v) > maxQueueID {
			return fmt.Errorf("%s: longer than %d bytes", key, maxQueueID)
		}
		c.QueueID = v
	case "verbose":
		b, err := parseBool(v)
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		c.Verbose = b
	default:
		return fmt.Errorf("unknown setting %q", key)
	}
	return nil
}

func parseInt(v string, min, max int) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", v)
	}
	if n < min || n > max {
		return 0, fmt.Errorf("%d is not within %d..%d", n, min, max)
	}
	return n, nil
}

func parseBool(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "yes", "true", "on", "1":
		return true, nil
	case "no", "false", "off", "0", "":
		return false, nil
	}
	return false, fmt.Errorf("%q is not yes or no", v)
}

// ParseDuration reads a time like Postfix does ("100" is seconds; a single
// unit letter s, m, h, d or w) or as Go does ("1m30s"). It must be positive
// and at most one day.
func ParseDuration(v string) (time.Duration, error) {
	var d time.Duration
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 || n > 86400 {
			return 0, fmt.Errorf("%q is not within 1s..1d", v)
		}
		return time.Duration(n) * time.Second, nil
	}
	units := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour}
	if len(v) > 1 {
		if u, ok := units[v[len(v)-1]]; ok {
			if n, err := strconv.ParseInt(v[:len(v)-1], 10, 64); err == nil && n > 0 && n <= 86400*7 {
				d = time.Duration(n) * u
			}
		}
	}
	if d == 0 {
		var err error
		if d, err = time.ParseDuration(v); err != nil {
			return 0, fmt.Errorf("%q is not a duration", v)
		}
	}
	if d <= 0 || d > 24*time.Hour {
		return 0, fmt.Errorf("%q is not within 1s..1d", v)
	}
	return d, nil
}

// Setting is one "key = value" of a configuration file.
type Setting struct {
	Key, Value string
	Line       int // line where the logical line starts
}

// ConfigError reports a configuration file problem with its place.
type ConfigError struct {
	File string
	Line int
	Msg  string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// ParseConfig splits configuration text in Postfix's main.cf syntax into
// settings: "key = value" lines; lines whose first non-blank character is
// '#' and blank lines are ignored; a line starting with white space
// continues the previous logical line (joined with one space). Keys are not
// checked here (see Config.Set). file names the source in errors.
func ParseConfig(file string, data []byte) ([]Setting, error) {
	var out []Setting
	var cur []byte // current logical line
	curLine := 0
	flush := func() error {
		if cur == nil {
			return nil
		}
		k, v, ok := bytes.Cut(cur, []byte("="))
		key := string(bytes.TrimSpace(k))
		if !ok {
			return &ConfigError{file, curLine, fmt.Sprintf("missing '=' in %q", clip(string(cur)))}
		}
		if key == "" {
			return &ConfigError{file, curLine, "missing key before '='"}
		}
		for i := 0; i < len(key); i++ {
			c := key[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
				return &ConfigError{file, curLine, fmt.Sprintf("bad key %q", clip(key))}
			}
		}
		out = append(out, Setting{Key: key, Value: string(bytes.TrimSpace(v)), Line: curLine})
		cur = nil
		return nil
	}
	lineNo := 0
	for len(data) > 0 {
		var line []byte
		line, data, _ = bytes.Cut(data, []byte("\n"))
		lineNo++
		line = bytes.TrimSuffix(line, []byte("\r"))
		trimmed := bytes.TrimSpace(line)
		if len(trimmed) == 0 || trimmed[0] == '#' {
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			if cur == nil {
				return nil, &ConfigError{file, lineNo, "continuation line without a preceding setting"}
			}
			cur = append(append(cur, ' '), trimmed...)
			continue
		}
		if err := flush(); err != nil {
			return nil, err
		}
		cur = append([]byte(nil), trimmed...)
		curLine = lineNo
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return out, nil
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

// Apply parses configuration text and sets every setting on c; the first
// error (syntax or value) is returned as a *ConfigError with its line.
func (c *Config) Apply(file string, data []byte) error {
	settings, err := ParseConfig(file, data)
	if err != nil {
		return err
	}
	for _, s := range settings {
		if err := c.Set(s.Key, s.Value); err != nil {
			return &ConfigError{File: file, Line: s.Line, Msg: err.Error()}
		}
	}
	return nil
}

// LoadFile reads a configuration file and applies it to c.
func (c *Config) LoadFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read configuration: %w", err)
	}
	return c.Apply(path, data)
}
