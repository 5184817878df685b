// Package e2e holds the end-to-end test of the whole mail host the
// Virtual Mailserver HOWTO describes, with hostdir in OpenLDAP's place:
// `hostdir serve` on its built-in default configuration, a private
// Postfix delivering through hostdir-deliver, Dovecot serving IMAP and
// Courier's authdaemond, all on loopback ports and all configured from the
// files in examples/ (so the examples are exactly what the test proves).
//
// The test provisions a domain, accounts, an alias and a catch-all
// through the web admin's HTTP interface (`hostdir serve --admin-listen`,
// its HTML forms driven as a browser without JavaScript would: the site
// admin "root" adds the domain, the domain's postmaster adds the rest and
// deactivates an account, a user changes its own password), sends mail
// with swaks, reads it back over IMAP as the account, and checks the
// refusals: unknown recipients at SMTP, deactivated accounts, old
// passwords. Run it with -v to read the story step by step:
//
//	go test -v -run TestMailHost ./tests/e2e
//
// It needs root and Debian's postfix, postfix-ldap, swaks, dovecot-imapd,
// dovecot-ldap and courier-authlib-ldap; without them it is skipped,
// unless CI=true, where a missing program fails it.
package e2e
