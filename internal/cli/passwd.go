package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"hostdir/directory/password"
)

// passwdUsage is printed on a command-line error, like slappasswd's usage.
const passwdUsage = `Usage: hostdir passwd [options]
  -c format	crypt(3) salt format
  -g		generate random password
  -h hash	password scheme
  -n		omit trailing newline
  -o <opt>[=val] specify an option with a(n optional) value
  	module-path=<pathspec>
  	module-load=<filename>
  -s secret	new password
  -u		generate RFC2307 values (default)
  -v		increase verbosity
  -T file	read file for new password
`

// generatedLength is the length of -g passwords, as slappasswd's.
const generatedLength = 8

// passwdOptions are the parsed command-line options of `hostdir passwd`.
type passwdOptions struct {
	secret      []byte // from -s or -g
	haveSecret  bool
	generate    bool
	file        string // -T
	scheme      string // -h
	cryptFormat string // -c
	noNewline   bool   // -n
}

// errUsage marks command-line errors after which the usage text is printed.
var errUsage = errors.New("usage")

// Passwd implements `hostdir passwd`, a replacement for slappasswd(8): it
// prints a userPassword value for a secret. args are the arguments after
// "passwd"; the result is the process exit code (0 or 1).
//
// Options are slappasswd's: -s secret, -T file (the whole file, trailing
// newline included, is the secret), -g (generate an 8-character password and
// print it in cleartext), -h {SCHEME} (default {SSHA}), -c salt-format for
// {CRYPT} (default "$6$%.16s", where slappasswd's "%s" gives DES/bigcrypt),
// -n (no trailing newline), -u and -v (accepted, no effect) and
// -o module-path=... / module-load=... (accepted and ignored: every scheme,
// including pw-sha2's and argon2's, is built in). Without -s, -g or -T it
// prompts "New password: " and "Re-enter new password: " on stderr, without
// echo when stdin is a terminal; otherwise it reads the two lines from stdin.
// Messages and exit codes are slappasswd's.
func Passwd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	opts, err := parsePasswdArgs(args)
	if err != nil {
		if errors.Is(err, errUsage) {
			if msg := strings.TrimSuffix(err.Error(), ": "+errUsage.Error()); msg != errUsage.Error() {
				fmt.Fprintln(stderr, msg)
			}
			fmt.Fprint(stderr, passwdUsage)
		} else {
			fmt.Fprintln(stderr, err)
		}
		return 1
	}

	scheme := opts.scheme
	switch {
	case opts.generate:
		p, err := password.Generate(generatedLength)
		if err != nil {
			fmt.Fprintf(stderr, "hostdir passwd: %v\n", err)
			return 1
		}
		opts.secret = []byte(p)
		scheme = "{CLEARTEXT}"
	case opts.file != "":
		secret, err := readPasswordFile(opts.file, stderr)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		opts.secret = secret
	case !opts.haveSecret:
		secret, err := promptNewPassword(ctx, stdin, stderr)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		opts.secret = secret
	}
	if scheme == "" {
		scheme = password.DefaultScheme
	}

	h := password.Hasher{CryptSaltFormat: opts.cryptFormat}
	value, err := h.Hash(scheme, opts.secret)
	if err != nil {
		text := err.Error()
		if errors.Is(err, password.ErrUnknownScheme) {
			text = "scheme not recognized"
		}
		fmt.Fprintf(stderr, "Password generation failed for scheme %s: %s\n", scheme, text)
		return 1
	}
	// slappasswd checks the value it made, which also rejects an empty
	// secret (and a {CLEARTEXT} secret that looks like "{SCHEME}...").
	if ok, err := password.Verify(value, opts.secret); !ok {
		text := ""
		if err != nil {
			text = err.Error()
		}
		fmt.Fprintf(stderr, "Password verification failed. %s\n", text)
		return 1
	}
	if !opts.noNewline {
		value += "\n"
	}
	if _, err := io.WriteString(stdout, value); err != nil {
		fmt.Fprintf(stderr, "hostdir passwd: writing output: %v\n", err)
		return 1
	}
	return 0
}

// parsePasswdArgs parses slappasswd's options getopt-style: clustered flags
// (-nv), attached or separate arguments (-sx, -s x), "--" ends the options,
// and no operands are allowed.
func parsePasswdArgs(args []string) (*passwdOptions, error) {
	opts := &passwdOptions{}
	const withArg = "chosT"
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			if i+1 < len(args) {
				return nil, errUsage
			}
			break
		}
		if len(arg) < 2 || arg[0] != '-' {
			return nil, errUsage
		}
		for j := 1; j < len(arg); j++ {
			c := arg[j]
			var val string
			if strings.IndexByte(withArg, c) >= 0 {
				switch {
				case j+1 < len(arg):
					val = arg[j+1:]
				case i+1 < len(args):
					i++
					val = args[i]
				default:
					return nil, fmt.Errorf("hostdir passwd: option requires an argument -- '%c': %w", c, errUsage)
				}
				j = len(arg)
			}
			if err := opts.apply(c, val); err != nil {
				return nil, err
			}
		}
	}
	return opts, nil
}

// apply records one option.
func (o *passwdOptions) apply(c byte, val string) error {
	switch c {
	case 'c':
		o.cryptFormat = val
	case 'g', 's':
		if o.file != "" {
			return fmt.Errorf("Option -%c incompatible with -T", c)
		}
		if o.haveSecret {
			return errors.New("New password already provided")
		}
		o.haveSecret = true
		if c == 'g' {
			o.generate = true
		} else {
			o.secret = []byte(val)
		}
	case 'h':
		if o.scheme != "" {
			return errors.New("Scheme already provided")
		}
		o.scheme = val
	case 'n':
		o.noNewline = true
	case 'o':
		// module-path and module-load load schemes into slappasswd; all of
		// hostdir's schemes are built in. slappasswd ignores other names.
	case 'T':
		if o.haveSecret {
			return fmt.Errorf("Option -T incompatible with -s/-g: %w", errUsage)
		}
		if o.file != "" {
			return errors.New("Password file already provided")
		}
		o.file = val
	case 'u', 'v':
	default:
		return fmt.Errorf("hostdir passwd: invalid option -- '%c': %w", c, errUsage)
	}
	return nil
}

// readPasswordFile returns the whole content of file, warning like
// slappasswd when others may read or write it.
func readPasswordFile(file string, stderr io.Writer) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, unwrapPathError(err))
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Mode().Perm()&0o006 != 0 {
		fmt.Fprintf(stderr, "Warning: Password file %s is publicly readable/writeable\n", file)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, unwrapPathError(err))
	}
	return data, nil
}

// unwrapPathError drops the operation and path of an *os.PathError so the
// message reads like perror(3)'s.
func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// promptNewPassword asks for the new password twice, as slappasswd does,
// and returns it if both entries match.
func promptNewPassword(ctx context.Context, stdin io.Reader, stderr io.Writer) ([]byte, error) {
	read, echoOff := secretReader(stdin)
	var entries [2][]byte
	for i, prompt := range []string{"New password: ", "Re-enter new password: "} {
		fmt.Fprint(stderr, prompt)
		p, err := readWithContext(ctx, read)
		if echoOff {
			fmt.Fprintln(stderr) // the user's newline was not echoed
		}
		if err != nil {
			return nil, err
		}
		entries[i] = p
	}
	if string(entries[0]) != string(entries[1]) {
		return nil, errors.New("Password values do not match")
	}
	return entries[0], nil
}

// secretReader returns a function that reads one secret: without echo from
// a terminal (echoOff true), else one line from stdin (the newline removed;
// a last line without one is accepted).
func secretReader(stdin io.Reader) (read func() ([]byte, error), echoOff bool) {
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fd := int(f.Fd())
		return func() ([]byte, error) {
			p, err := term.ReadPassword(fd)
			if err != nil {
				return nil, fmt.Errorf("hostdir passwd: reading password: %w", err)
			}
			return p, nil
		}, true
	}
	br := bufio.NewReader(stdin)
	return func() ([]byte, error) {
		line, err := br.ReadBytes('\n')
		switch {
		case err == nil || errors.Is(err, io.EOF) && len(line) > 0:
			return []byte(strings.TrimSuffix(string(line), "\n")), nil
		case errors.Is(err, io.EOF):
			return nil, errors.New("hostdir passwd: no password given on standard input")
		}
		return nil, fmt.Errorf("hostdir passwd: reading password: %w", err)
	}, false
}

// readWithContext runs read in a goroutine so that cancellation of ctx
// stops the wait (the read itself is abandoned).
func readWithContext(ctx context.Context, read func() ([]byte, error)) ([]byte, error) {
	type result struct {
		p   []byte
		err error
	}
	ch := make(chan result, 1)
	go func() {
		p, err := read()
		ch <- result{p, err}
	}()
	select {
	case r := <-ch:
		return r.p, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("hostdir passwd: %w", ctx.Err())
	}
}
