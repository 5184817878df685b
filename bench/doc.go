// Package bench compares hostdir with OpenLDAP's slapd on the workload of the
// Virtual Mailserver HOWTO: it generates the HOWTO's tree (Jamm schema) at a
// chosen size, loads it into both servers the same way, runs the mail
// clients' operations against each in alternation (A B A B) from a small
// load generator of its own, and reports throughput, latency percentiles,
// server CPU per operation and peak memory as hostdir/slapd ratios.
//
// The load generator speaks LDAP on raw TCP: requests are encoded by hand
// into reused buffers and only the envelope of each response (message ID,
// operation, result code, and the DN of search entries) is parsed, so the
// generator spends far less CPU than the servers it measures.
//
// Workloads:
//
//   - lookup: Postfix's virtual_mailbox_maps query of the HOWTO
//     (&(objectClass=JammMailAccount)(mail=ADDR)(accountActive=TRUE)(delete=FALSE))
//     under o=hosting,dc=myhosting,dc=example, scope sub, attribute mailbox,
//     on persistent anonymously bound connections.
//   - login: Dovecot's auth_bind sequence: an anonymous search for the
//     account's DN by mail, a simple bind as that DN with its password, and
//     an anonymous bind back.
//   - modify-1, modify-8: the rootdn replaces description and lastChange of
//     random accounts, with 1 and 8 concurrent writers.
//   - add-1, add-8: the rootdn adds new accounts, with 1 and 8 writers.
//   - import: the offline bulk load, slapadd -q against hostdir import.
//   - ldapadd: ldapadd(1) of a smaller tree into an empty running server.
//
// Run runs one comparison and returns a Report (Markdown or JSON); RunSizes
// runs lookup and login at several tree sizes to show that their latency
// does not grow with the directory.
package bench
