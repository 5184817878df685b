// Package bootstrap holds what hostdir's server and its offline tools
// (import, export) share around the store: where a database lives on disk,
// how a slapd.conf database section opens a store (its suffixes and
// indexes), the operational attributes slapd and slapadd add to new entries
// (structuralObjectClass, entryUUID, creatorsName, createTimestamp,
// entryCSN, modifiersName, modifyTimestamp), and the first start of the
// default configuration: the HOWTO's base tree (section 4.3.2) and a
// generated root password whose {SSHA} hash is kept in the data directory.
package bootstrap

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	bolterrors "go.etcd.io/bbolt/errors"

	"hostdir/directory/config"
	"hostdir/directory/store"
)

// Names of the files in a database directory.
const (
	// DBFile is the bbolt file holding a database's entries and indexes.
	DBFile = "hostdir.db"
	// RootPWFile holds the {SSHA} hash of the generated root password of
	// the default configuration (mode 0600). The clear text is never stored.
	RootPWFile = "rootpw"
)

// DataDirEnv names the environment variable that overrides the data
// directory of the default configuration.
const DataDirEnv = "HOSTDIR_DATA"

// DefaultDataDir is the data directory of the default configuration when
// DataDirEnv is not set: relative to the working directory, so that
// `go run ./cmd/hostdir serve` works in a fresh checkout without root.
const DefaultDataDir = "hostdir-data"

// DataDir returns the data directory for the default configuration:
// $HOSTDIR_DATA if set and not empty, otherwise DefaultDataDir.
func DataDir() string {
	if d := os.Getenv(DataDirEnv); d != "" {
		return d
	}
	return DefaultDataDir
}

// DBPath returns the path of the store file in a database directory.
func DBPath(dir string) string { return filepath.Join(dir, DBFile) }

// ErrNoDatabase is returned when a configuration has no database section.
var ErrNoDatabase = errors.New("no database configured")

// LoadConfig loads the configuration file (config.Load), or hostdir's
// default configuration when file is "" (config.LoadDefault). dataDir, when
// not empty, replaces the directory of the database: of the only one, or
// dataDir/N for the N-th (1-based) of several. With file == "" and dataDir
// == "", the default database directory is DataDir().
func LoadConfig(file, dataDir string) (*config.Config, error) {
	var cfg *config.Config
	var err error
	if file == "" {
		cfg, err = config.LoadDefault()
		if err == nil && dataDir == "" {
			dataDir = DataDir()
		}
	} else {
		cfg, err = config.Load(file)
	}
	if err != nil {
		return nil, err
	}
	if len(cfg.Databases) == 0 {
		return nil, fmt.Errorf("%s: %w", cfg.File, ErrNoDatabase)
	}
	if dataDir != "" {
		for i, d := range cfg.Databases {
			if len(cfg.Databases) == 1 {
				d.Directory = dataDir
			} else {
				d.Directory = filepath.Join(dataDir, strconv.Itoa(i+1))
			}
		}
	}
	return cfg, nil
}

// SelectDatabase picks a database as slapadd and slapcat do: by 1-based
// number n (when n > 0), else by suffix (the database holding that DN,
// when suffix is not empty), else the first one.
func SelectDatabase(cfg *config.Config, n int, suffix string) (*config.Database, int, error) {
	if len(cfg.Databases) == 0 {
		return nil, 0, ErrNoDatabase
	}
	switch {
	case n > 0:
		if n > len(cfg.Databases) {
			return nil, 0, fmt.Errorf("database number %d: only %d configured", n, len(cfg.Databases))
		}
		return cfg.Databases[n-1], n, nil
	case suffix != "":
		_, ndn, err := cfg.Schema.PrettyNormalDN(suffix)
		if err != nil {
			return nil, 0, fmt.Errorf("suffix %q: invalid DN: %w", suffix, err)
		}
		for i, d := range cfg.Databases {
			for _, s := range d.Suffixes {
				if ndn == s || strings.HasSuffix(ndn, ","+s) || s == "" {
					return d, i + 1, nil
				}
			}
		}
		return nil, 0, fmt.Errorf("no database configured for suffix %q", suffix)
	}
	return cfg.Databases[0], 1, nil
}

// IndexSpecs converts a database's index directives into the store's
// index specifications. Substring index kinds (subinitial, subany,
// subfinal) all map to the store's substrings index; nolang and
// nosubtypes have no counterpart and are dropped. `index default` applies
// its kinds to the index lines written without kinds, which the config
// package has already resolved.
func IndexSpecs(d *config.Database) []store.IndexSpec {
	var specs []store.IndexSpec
	for _, ix := range d.Indexes {
		var k store.IndexKind
		if ix.Types&config.IndexPres != 0 {
			k |= store.IndexPresence
		}
		if ix.Types&config.IndexEq != 0 {
			k |= store.IndexEquality
		}
		if ix.Types&config.IndexApprox != 0 {
			k |= store.IndexApprox
		}
		if ix.Types&config.IndexSub != 0 {
			k |= store.IndexSubstrings
		}
		if k == 0 {
			continue
		}
		specs = append(specs, store.IndexSpec{Attr: ix.Attr, Kinds: k})
	}
	return specs
}

// OpenStore opens (creating it and its directory, mode 0700 or the
// database's `mode`, if needed)
// the store of database d of cfg, with d's suffixes and indexes. opts'
// Suffixes are filled in from d. created tells whether the store file did
// not exist before. A store file locked by another process (a running
// server) makes Open wait opts.Timeout, then fail with an error wrapping
// ErrLocked.
func OpenStore(cfg *config.Config, d *config.Database, opts store.Options) (db *store.DB, created bool, err error) {
	if d.Directory == "" {
		return nil, false, fmt.Errorf("%s:%d: database has no directory", d.File, d.Line)
	}
	path := DBPath(d.Directory)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		if opts.ReadOnly {
			return nil, false, fmt.Errorf("no database at %s: %w", path, os.ErrNotExist)
		}
		created = true
		mode := d.Mode
		if mode == 0 {
			mode = 0o700
		} else {
			mode |= 0o100 | (mode&0o040)>>3 | (mode&0o004)>>2 // dirs need x where r is granted
		}
		if err := os.MkdirAll(d.Directory, mode); err != nil {
			return nil, false, fmt.Errorf("create database directory: %w", err)
		}
	}
	opts.Suffixes = append([]string(nil), d.SuffixesRaw...)
	opts.NoSync = opts.NoSync || d.DBNoSync
	db, err = store.Open(path, cfg.Schema, IndexSpecs(d), opts)
	if err != nil {
		if isTimeout(err) {
			return nil, false, fmt.Errorf("%s: %w", path, ErrLocked)
		}
		return nil, false, err
	}
	return db, created, nil
}

// ErrLocked is returned by OpenStore when another process holds the store
// file (bbolt's file lock): a running `hostdir serve`, or an import.
var ErrLocked = errors.New("database is in use by another process (is `hostdir serve` running? stop it first)")

// isTimeout recognizes bbolt's lock timeout.
func isTimeout(err error) bool { return errors.Is(err, bolterrors.ErrTimeout) }
