// Package ldaputils holds tests that run the real OpenLDAP command-line
// clients (ldapsearch, ldapadd, ldapmodify, ldapdelete, ldapmodrdn,
// ldapcompare, ldappasswd, ldapwhoami from Debian's ldap-utils) against a
// `hostdir serve` process, over ldap://, StartTLS, ldaps:// and ldapi://,
// and the same command lists against a real slapd with the same
// configuration and data, comparing exit codes, output and error texts.
// It has no code besides its tests.
package ldaputils
