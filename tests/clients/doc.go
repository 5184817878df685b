// Package clients holds tests that run the directory's real clients —
// Postfix's postmap with the HOWTO's ldap: tables, Courier authlib's
// authdaemond with authldap, Dovecot's passdb/userdb ldap and a JNDI program
// doing what Jamm does — first against OpenLDAP's slapd (to prove each
// harness) and then against `hostdir serve` loaded with the same data,
// asserting that hostdir gives the same answers.
//
// Courier authlib reads global files (/etc/courier/*) and listens on a fixed
// socket, so the tests of this package never run in parallel.
package clients
