// Package admin is hostdir's web administration for Jamm-schema mail
// hosting: the three roles of Jamm (site admin, domain admin, user) as a
// small server-rendered web application that works without JavaScript.
//
// # Roles
//
//   - Site admin: logs in as RootLogin ("root") and binds as the rootdn.
//     Lists domains with their account and alias counts, adds domains
//     (with the postmaster and abuse entries Jamm creates), sets per
//     domain "Can Edit Accounts" (editAccounts), "Appoint Postmasters"
//     (editPostmasters), "Domain Is Active" (accountActive, cascaded to the
//     domain's accounts and aliases) and the delete mark, and drills into
//     any domain.
//   - Domain admin: any identity listed in roleOccupant of
//     cn=postmaster,jvd=D. Manages D's accounts (add, activate, mark for
//     deletion, restore, reset password, quota, filter rules), aliases
//     (add, edit destinations, delete), the catch-all and, when
//     editPostmasters allows, the postmasters.
//   - User: changes its own password; the owner of an alias (an alias
//     entry with a userPassword) edits its destinations.
//
// # Enforcement
//
// Every request opens a fresh LDAP connection bound as the logged-in
// identity, so the directory's access rules decide what succeeds; a
// refusal (insufficientAccessRights, 50) is reported as "not allowed"
// with HTTP status 403. The application itself only enforces what the
// directory cannot: Jamm's per-domain flags editAccounts (adding, marking
// for deletion and restoring accounts) and editPostmasters (appointing and
// removing postmasters) for everyone but the site admin, the protection of
// the postmaster and abuse entries, and access to filter files on disk.
//
// # Security
//
// Session identifiers live in an HttpOnly, SameSite=Strict cookie (Secure,
// with the __Host- prefix, under TLS); the bind password stays in server
// memory for the life of the session only and is overwritten at logout and
// expiry (idle and absolute timeouts). Every form carries a CSRF token,
// logins are throttled per client address and per login name, pages are
// rendered with html/template under a Content-Security-Policy that allows
// no script at all, and authenticated pages are never cached.
//
// # Cleaning
//
// Clean is Jamm's cleaner: it removes the maildirs of accounts marked for
// deletion and then their entries, and domains marked for deletion with
// everything under them (see `hostdir clean`).
package admin
