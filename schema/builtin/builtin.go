// Package builtin holds the schema files that hostdir compiles into its binary.
//
// The files use OpenLDAP's .schema format: "attributetype ( ... )" and
// "objectclass ( ... )" directives in RFC 4512 description syntax, continuation
// lines starting with white space, and "#" comment lines. They are written for
// this project from the defining RFCs (4512, 4517, 4519, 4524, 4530, 2307,
// 2798, 3045, 3296, 3671, 3672, 5020, 2589) and from the Jamm schema; their
// definitions agree with those slapd and Debian's /etc/ldap/schema files ship.
//
// system.schema is the part slapd hard-codes (objectClass, top, alias,
// extensibleObject, subschema, the operational and root DSE attributes, and
// the few user attributes slapd predefines such as cn, uid and userPassword).
// The other files are meant to be loaded after it, in the order of Files.
package builtin

import "embed"

// FS holds every built-in schema file, at the top level of the file system,
// under the names listed in Files.
//
//go:embed *.schema
var FS embed.FS

// Files lists the schema files in FS in load order: every type or class a
// file refers to is defined in an earlier file or in the same file.
// Callers must treat the slice as read-only.
var Files = []string{
	"system.schema",
	"core.schema",
	"cosine.schema",
	"nis.schema",
	"inetorgperson.schema",
	"jamm.schema",
}
