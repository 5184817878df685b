// Package schema holds hostdir's LDAP schema: the parser for OpenLDAP's
// .schema format (RFC 4512 descriptions plus slapd's objectidentifier
// macros), the model of attribute types and object classes with fast
// case-insensitive lookups, the entry check slapd performs on add and modify
// (entry_schema_check, with slapd's result codes and texts), and the
// rendering of cn=Subschema.
//
// A Schema is built by New (slapd's hard-coded system schema) or Builtin
// (system plus the embedded core, cosine, nis, inetorgperson and jamm
// files), then AddFile/AddDirective for the includes of a slapd.conf. Once
// loading is done it is read-only and safe for concurrent use; loading
// itself is not safe concurrently with reads.
package schema

import (
	"fmt"
	"strings"

	"hostdir/schema/syntax"
)

// Schema is a set of attribute types, object classes, syntaxes and
// objectidentifier macros. Matching rules come from package syntax.
type Schema struct {
	ats     []*AttributeType
	atByKey map[string]*AttributeType // OID, names as spelled and lower-cased
	ocs     []*ObjectClass
	ocByKey map[string]*ObjectClass
	macros  map[string]string // lower-cased name -> numeric OID

	syntaxes    []*localSyntax // ldapsyntax directives, in order
	syntaxByOID map[string]*localSyntax

	// loadingSystem relaxes the checks slapd applies to user-defined schema
	// (operational types, matching-rule compatibility) while the system
	// schema, which slapd hard-codes, is loaded.
	loadingSystem bool

	// well-known elements, set once the system schema is loaded.
	atObjectClass *AttributeType
	atRef         *AttributeType
	ocExtensible  *ObjectClass
	ocReferral    *ObjectClass
	ocSubschema   *ObjectClass
}

// localSyntax is a syntax defined by an ldapsyntax directive.
type localSyntax struct {
	syn *syntax.Syntax
	def string
}

// systemFile is the builtin file holding slapd's hard-coded schema.
const systemFile = "system.schema"

// New returns a schema holding only the system schema: what slapd
// hard-codes (objectClass, top, alias, extensibleObject, subschema, the
// operational attributes, ...), loaded from builtin's system.schema. It
// panics if that embedded file does not load, which is a build defect. The
// file is parsed once per process; each call returns a fresh copy.
func New() *Schema {
	return systemBase().Clone()
}

// newEmpty returns a schema with nothing in it.
func newEmpty() *Schema {
	return &Schema{
		atByKey:     make(map[string]*AttributeType, 512),
		ocByKey:     make(map[string]*ObjectClass, 128),
		macros:      make(map[string]string),
		syntaxByOID: make(map[string]*localSyntax),
	}
}

// addSystem loads data as system schema (operational types allowed).
func (s *Schema) addSystem(name string, data []byte) error {
	s.loadingSystem = true
	defer func() { s.loadingSystem = false }()
	return s.AddFile(name, data)
}

// Builtin returns the system schema plus the embedded core, cosine, nis,
// inetorgperson and jamm schema (builtin.Files, in order). The files are
// parsed once per process; each call returns a fresh copy.
func Builtin() (*Schema, error) {
	s, err := builtinBase()
	if err != nil {
		return nil, err
	}
	return s.Clone(), nil
}

// AddFile loads a file in OpenLDAP's .schema format: attributetype,
// objectclass, objectidentifier and ldapsyntax directives, '#' comment
// lines, and continuation lines (starting with white space). name is used in
// error messages. Loading stops at the first error, a *ParseError; the
// directives before it stay loaded (as slapd, which then refuses to start).
func (s *Schema) AddFile(name string, data []byte) error {
	for _, l := range splitLines(data) {
		if err := s.AddDirective(name, l.line, l.text); err != nil {
			return err
		}
	}
	return nil
}

// IsDirective reports whether keyword (the first word of a slapd.conf line)
// is a schema directive AddDirective handles.
func IsDirective(keyword string) bool {
	_, ok := directiveKind(keyword)
	return ok
}

type dirKind int

const (
	dirAttr dirKind = iota
	dirClass
	dirOID
	dirSyntax
)

func directiveKind(kw string) (dirKind, bool) {
	k := strings.TrimSuffix(lowerASCII(kw), ":")
	k = strings.TrimPrefix(k, "olc")
	switch k {
	case "attributetype", "attributetypes", "attribute":
		return dirAttr, true
	case "objectclass", "objectclasses":
		return dirClass, true
	case "objectidentifier":
		return dirOID, true
	case "ldapsyntax", "ldapsyntaxes":
		return dirSyntax, true
	}
	return 0, false
}

// AddDirective loads one logical line of a slapd.conf or .schema file
// (continuation lines already joined): "attributetype ( ... )",
// "objectclass ( ... )", "objectidentifier name oid" or "ldapsyntax ( ... )".
// The LDIF spellings "attributeTypes: ( ... )", "olcObjectClasses: {0}( ... )"
// etc. are accepted too. file and line are used in the *ParseError. A failed
// directive changes nothing.
func (s *Schema) AddDirective(file string, line int, directive string) error {
	directive = strings.TrimSpace(directive)
	kw, rest := directive, ""
	if i := strings.IndexFunc(directive, func(r rune) bool { return r < 0x80 && isSpace(byte(r)) }); i >= 0 {
		kw, rest = directive[:i], strings.TrimSpace(directive[i+1:])
	}
	if j := strings.IndexByte(kw, ':'); j >= 0 && j < len(kw)-1 {
		// "attributeTypes:(" written without a space.
		kw, rest = kw[:j+1], strings.TrimSpace(kw[j+1:]+" "+rest)
	}
	kind, ok := directiveKind(kw)
	if !ok {
		return &ParseError{File: file, Line: line,
			Msg: fmt.Sprintf("unknown directive <%s> outside backend info and database definitions.", kw)}
	}
	name := strings.TrimSuffix(kw, ":")
	rest = stripOrdinal(rest)
	var msg string
	switch kind {
	case dirOID:
		return s.addMacro(file, line, name, rest)
	case dirAttr:
		msg = s.addAttributeType(rest)
	case dirClass:
		msg = s.addObjectClass(rest)
	case dirSyntax:
		msg = s.addSyntax(rest)
	}
	if msg != "" {
		return &ParseError{File: file, Line: line, Directive: name, Msg: msg}
	}
	return nil
}

// stripOrdinal removes the "{N}" ordering prefix of cn=config values.
func stripOrdinal(s string) string {
	if len(s) < 3 || s[0] != '{' {
		return s
	}
	i := 1
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	if i == 1 || i >= len(s) || s[i] != '}' {
		return s
	}
	return strings.TrimSpace(s[i+1:])
}

// addMacro handles "objectidentifier name oid".
func (s *Schema) addMacro(file string, line int, kw, args string) error {
	f := strings.Fields(args)
	if len(f) != 2 {
		return &ParseError{File: file, Line: line,
			Msg: fmt.Sprintf("keyword <%s> missing <name> <oid> argument", kw)}
	}
	name, val := f[0], f[1]
	if old, ok := s.macros[lowerASCII(name)]; ok {
		return &ParseError{File: file, Line: line, Directive: kw,
			Msg: fmt.Sprintf("%q previously defined %q", name, old)}
	}
	oid, ok := s.expandOID(val)
	if !ok {
		return &ParseError{File: file, Line: line, Directive: kw,
			Msg: fmt.Sprintf("OID %s not recognized", val)}
	}
	s.macros[lowerASCII(name)] = oid
	return nil
}

// expandOID resolves a numeric OID, a macro, or macro:suffix.
func (s *Schema) expandOID(v string) (string, bool) {
	if isNumericOID(v) {
		return v, true
	}
	if i := strings.IndexByte(v, ':'); i > 0 {
		base, ok := s.macros[lowerASCII(v[:i])]
		if !ok {
			return "", false
		}
		suffix := v[i+1:]
		if suffix == "" {
			return base, true
		}
		oid := base + "." + suffix
		if !isNumericOID(oid) {
			return "", false
		}
		return oid, true
	}
	oid, ok := s.macros[lowerASCII(v)]
	return oid, ok
}

// AttributeType returns the attribute type with the given name or OID
// (case-insensitive), or nil. Attribute options (";binary", ";lang-x")
// are not stripped: pass the bare type.
func (s *Schema) AttributeType(nameOrOID string) *AttributeType {
	if at, ok := s.atByKey[nameOrOID]; ok {
		return at
	}
	return s.atByKey[lowerASCII(nameOrOID)]
}

// ObjectClass returns the object class with the given name or OID
// (case-insensitive), or nil.
func (s *Schema) ObjectClass(nameOrOID string) *ObjectClass {
	if oc, ok := s.ocByKey[nameOrOID]; ok {
		return oc
	}
	return s.ocByKey[lowerASCII(nameOrOID)]
}

// AttributeTypes returns every attribute type in definition order. The slice
// is shared: do not modify it.
func (s *Schema) AttributeTypes() []*AttributeType { return s.ats }

// ObjectClasses returns every object class in definition order. The slice is
// shared: do not modify it.
func (s *Schema) ObjectClasses() []*ObjectClass { return s.ocs }

// Syntax returns the syntax with the given OID: one defined by an ldapsyntax
// directive, or one of package syntax's registry; nil if unknown.
func (s *Schema) Syntax(oid string) *syntax.Syntax {
	if ls, ok := s.syntaxByOID[oid]; ok {
		return ls.syn
	}
	return syntax.LookupSyntax(oid)
}

// MatchingRule returns the matching rule with the given name or OID
// (case-insensitive), or nil.
func (s *Schema) MatchingRule(nameOrOID string) *syntax.MatchingRule {
	return syntax.LookupRule(nameOrOID)
}

// IsOperational reports whether at is an operational attribute type (USAGE
// other than userApplications).
func (s *Schema) IsOperational(at *AttributeType) bool { return at.IsOperational() }

// resolveAT finds an attribute type referred to by name, OID or macro.
func (s *Schema) resolveAT(ref string) *AttributeType {
	if at := s.AttributeType(ref); at != nil {
		return at
	}
	if oid, ok := s.expandOID(ref); ok {
		return s.AttributeType(oid)
	}
	return nil
}

// resolveOC finds an object class referred to by name, OID or macro.
func (s *Schema) resolveOC(ref string) *ObjectClass {
	if oc := s.ObjectClass(ref); oc != nil {
		return oc
	}
	if oid, ok := s.expandOID(ref); ok {
		return s.ObjectClass(oid)
	}
	return nil
}

// resolveRule finds a matching rule referred to by name, OID or macro.
func (s *Schema) resolveRule(ref string) *syntax.MatchingRule {
	if mr := syntax.LookupRule(ref); mr != nil {
		return mr
	}
	if oid, ok := s.expandOID(ref); ok {
		return syntax.LookupRule(oid)
	}
	return nil
}

// checkNames validates NAMEs as RFC 4512 descrs.
func checkNames(names []string) string {
	for _, n := range names {
		if !validDescr(n) {
			return fmt.Sprintf("Invalid NAME: %q", n)
		}
	}
	return ""
}

// addAttributeType parses and adds one attribute type description; it
// returns slapd's complaint or "".
func (s *Schema) addAttributeType(desc string) string {
	raw, err := parseAttributeType(desc)
	if err != nil {
		return err.Error()
	}
	oid, ok := s.expandOID(raw.oid)
	if !ok {
		return fmt.Sprintf("OID could not be expanded: %q", raw.oid)
	}
	if m := checkNames(raw.names); m != "" {
		return m
	}
	at := &AttributeType{
		OID: oid, Names: raw.names, Desc: raw.desc, Obsolete: raw.obsolete,
		SyntaxLen: raw.syntaxLen, SingleValue: raw.single, Collective: raw.collective,
		NoUserModification: raw.noUserMod, Usage: raw.usage, Extensions: raw.ext,
	}
	label := at.Name()

	if raw.syntax != "" {
		soid, ok := s.expandOID(raw.syntax)
		if !ok {
			return fmt.Sprintf("OID could not be expanded: %q", raw.syntax)
		}
		if at.Syntax = s.Syntax(soid); at.Syntax == nil {
			return fmt.Sprintf("Syntax not found: %q", soid)
		}
	}
	at.Def = renderAttr(raw, oid, at.Syntax)

	// Duplicates.
	if old := s.atByKey[oid]; old != nil {
		return duplicate("attributeType", oid, old.Def, at.Def)
	}
	for _, n := range raw.names {
		if old := s.AttributeType(n); old != nil {
			return duplicate("attributeType", n, old.Def, at.Def)
		}
	}

	if raw.sup != "" {
		if at.Sup = s.resolveAT(raw.sup); at.Sup == nil {
			return fmt.Sprintf("AttributeType not found: %q", raw.sup)
		}
	}
	if at.Syntax == nil {
		if at.Sup == nil {
			return fmt.Sprintf("AttributeType SYNTAX or SUPerior required: %q", label)
		}
		at.Syntax, at.SyntaxLen = at.Sup.Syntax, at.Sup.SyntaxLen
	}
	if at.Sup != nil && at.Sup.Usage != at.Usage {
		return fmt.Sprintf("AttributeType inappropriate USAGE: %q", label)
	}
	if at.NoUserModification && at.Usage == UserApplications {
		return fmt.Sprintf("AttributeType inappropriate USAGE: %q", label)
	}
	if at.Usage != UserApplications && !s.loadingSystem {
		return fmt.Sprintf("%q is operational", raw.oid)
	}

	var m string
	if at.Equality, m = s.attrRule(raw.equality, syntax.Equality, at.Syntax.OID); m != "" {
		return m
	}
	if at.Equality == nil && at.Sup != nil {
		at.Equality = at.Sup.Equality
	}
	// slapd refuses ORDERING and SUBSTR on a type without (effective)
	// EQUALITY.
	if at.Equality == nil && raw.ordering != "" {
		return fmt.Sprintf("AttributeType inappropriate matching rule: %q", raw.ordering)
	}
	if at.Equality == nil && raw.substr != "" {
		return fmt.Sprintf("AttributeType inappropriate matching rule: %q", raw.substr)
	}
	if at.Ordering, m = s.attrRule(raw.ordering, syntax.Ordering, at.Syntax.OID); m != "" {
		return m
	}
	if at.Substr, m = s.attrRule(raw.substr, syntax.Substrings, at.Syntax.OID); m != "" {
		return m
	}
	if sup := at.Sup; sup != nil {
		if at.Ordering == nil {
			at.Ordering = sup.Ordering
		}
		if at.Substr == nil {
			at.Substr = sup.Substr
		}
	}

	// Insert.
	at.index = len(s.ats)
	s.ats = append(s.ats, at)
	s.atByKey[oid] = at
	for _, n := range at.Names {
		s.atByKey[n] = at
		s.atByKey[lowerASCII(n)] = at
	}
	at.subtree = []*AttributeType{at}
	for t := at.Sup; t != nil; t = t.Sup {
		t.subtree = append(t.subtree, at)
	}
	switch oid {
	case "2.5.4.0":
		s.atObjectClass = at
	case "2.16.840.1.113730.3.1.34":
		s.atRef = at
	}
	return ""
}

// attrRule resolves an EQUALITY/ORDERING/SUBSTR reference and checks that it
// is of the right kind and fits the type's syntax.
func (s *Schema) attrRule(ref string, kind syntax.Kind, syntaxOID string) (*syntax.MatchingRule, string) {
	if ref == "" {
		return nil, ""
	}
	mr := s.resolveRule(ref)
	if mr == nil {
		return nil, fmt.Sprintf("MatchingRule not found: %q", ref)
	}
	bad := mr.Kind != kind
	// slapd checks substrings rules only for their kind; equality and
	// ordering rules must fit the syntax (the system schema, hard-coded in
	// slapd, is exempt).
	if !bad && kind != syntax.Substrings && !s.loadingSystem && !ruleFitsSyntax(mr, syntaxOID) {
		bad = true
	}
	if bad {
		return nil, fmt.Sprintf("AttributeType inappropriate matching rule: %q", ref)
	}
	return mr, ""
}

// addObjectClass parses and adds one object class description.
func (s *Schema) addObjectClass(desc string) string {
	raw, err := parseObjectClass(desc)
	if err != nil {
		return err.Error()
	}
	oid, ok := s.expandOID(raw.oid)
	if !ok {
		return fmt.Sprintf("OID could not be expanded: %q", raw.oid)
	}
	if m := checkNames(raw.names); m != "" {
		return m
	}
	oc := &ObjectClass{OID: oid, Names: raw.names, Desc: raw.desc, Obsolete: raw.obsolete,
		Kind: raw.kind, Extensions: raw.ext}
	oc.Def = renderClass(raw, oid)

	if old := s.ocByKey[oid]; old != nil {
		return duplicate("objectClass", oid, old.Def, oc.Def)
	}
	for _, n := range raw.names {
		if old := s.ObjectClass(n); old != nil {
			return duplicate("objectClass", n, old.Def, oc.Def)
		}
	}

	for _, ref := range raw.sup {
		sup := s.resolveOC(ref)
		if sup == nil {
			return fmt.Sprintf("ObjectClass not found: %q", ref)
		}
		if !supKindOK(oc.Kind, sup.Kind) {
			return fmt.Sprintf("user-defined ObjectClass has inappropriate SUPerior: %q", ref)
		}
		oc.Sup = append(oc.Sup, sup)
	}
	var m string
	if oc.Must, m = s.classAttrs(raw.must, desc); m != "" {
		return m
	}
	if oc.May, m = s.classAttrs(raw.may, desc); m != "" {
		return m
	}

	// Inherited lists.
	oc.supers = []*ObjectClass{oc}
	for _, sup := range oc.Sup {
		for _, x := range sup.supers {
			if !containsOC(oc.supers, x) {
				oc.supers = append(oc.supers, x)
			}
		}
	}
	oc.allMust = appendNew(nil, oc.Must, nil)
	for _, sup := range oc.Sup {
		oc.allMust = appendNew(oc.allMust, sup.allMust, nil)
	}
	oc.allMay = appendNew(nil, oc.May, oc.allMust)
	for _, sup := range oc.Sup {
		oc.allMay = appendNew(oc.allMay, sup.allMay, oc.allMust)
	}
	oc.allowed = make(map[*AttributeType]struct{}, len(oc.allMust)+len(oc.allMay))
	for _, at := range oc.allMust {
		oc.allowed[at] = struct{}{}
	}
	for _, at := range oc.allMay {
		oc.allowed[at] = struct{}{}
	}

	oc.index = len(s.ocs)
	s.ocs = append(s.ocs, oc)
	s.ocByKey[oid] = oc
	for _, n := range oc.Names {
		s.ocByKey[n] = oc
		s.ocByKey[lowerASCII(n)] = oc
	}
	switch oid {
	case "1.3.6.1.4.1.1466.101.120.111":
		s.ocExtensible = oc
	case "2.16.840.1.113730.3.2.6":
		s.ocReferral = oc
	case "2.5.20.1":
		s.ocSubschema = oc
	}
	return ""
}

// supKindOK applies RFC 4512 section 2.4's rules on superclasses: abstract
// classes derive only from abstract ones, auxiliary classes from abstract or
// auxiliary ones, structural classes from abstract or structural ones.
func supKindOK(kind, sup ClassKind) bool {
	switch kind {
	case Abstract:
		return sup == Abstract
	case Auxiliary:
		return sup == Abstract || sup == Auxiliary
	default:
		return sup == Abstract || sup == Structural
	}
}

// classAttrs resolves a MUST or MAY list.
func (s *Schema) classAttrs(refs []string, desc string) ([]*AttributeType, string) {
	if len(refs) == 0 {
		return nil, ""
	}
	out := make([]*AttributeType, 0, len(refs))
	for _, ref := range refs {
		at := s.resolveAT(ref)
		if at == nil {
			return nil, fmt.Sprintf("AttributeType not found: %q", ref)
		}
		if at.IsOperational() && !s.loadingSystem {
			return nil, fmt.Sprintf("user-defined ObjectClass includes operational attributes: %q", desc)
		}
		out = append(out, at)
	}
	return out, ""
}

func containsOC(list []*ObjectClass, oc *ObjectClass) bool {
	for _, x := range list {
		if x == oc {
			return true
		}
	}
	return false
}

func containsAT(list []*AttributeType, at *AttributeType) bool {
	for _, x := range list {
		if x == at {
			return true
		}
	}
	return false
}

// appendNew appends the types of add not already in dst nor in exclude.
func appendNew(dst, add, exclude []*AttributeType) []*AttributeType {
	for _, at := range add {
		if !containsAT(dst, at) && !containsAT(exclude, at) {
			dst = append(dst, at)
		}
	}
	return dst
}

// addSyntax handles an ldapsyntax directive. X-SUBST 'oid' makes the new
// syntax validate like the named one; otherwise any value is accepted.
func (s *Schema) addSyntax(desc string) string {
	raw, err := parseSyntaxDesc(desc)
	if err != nil {
		return err.Error()
	}
	oid, ok := s.expandOID(raw.oid)
	if !ok {
		return fmt.Sprintf("OID could not be expanded: %q", raw.oid)
	}
	if s.Syntax(oid) != nil {
		return fmt.Sprintf("Duplicate ldapSyntax: %q", oid)
	}
	syn := &syntax.Syntax{OID: oid, Desc: raw.desc, HumanReadable: true}
	for _, x := range raw.ext {
		switch strings.ToUpper(x.Name) {
		case "X-SUBST":
			sub := s.Syntax(x.Values[0])
			if sub == nil {
				return fmt.Sprintf("Syntax not found: %q", x.Values[0])
			}
			syn.Validate, syn.ValidateEnv = sub.Validate, sub.ValidateEnv
			syn.HumanReadable = sub.HumanReadable
			syn.BinaryTransferRequired = sub.BinaryTransferRequired
		case "X-NOT-HUMAN-READABLE":
			syn.HumanReadable = !strings.EqualFold(x.Values[0], "TRUE")
		case "X-BINARY-TRANSFER-REQUIRED":
			syn.BinaryTransferRequired = strings.EqualFold(x.Values[0], "TRUE")
		}
	}
	ls := &localSyntax{syn: syn, def: renderSyntax(raw, oid)}
	s.syntaxes = append(s.syntaxes, ls)
	s.syntaxByOID[oid] = ls
	return ""
}

// writeHead writes the part every description starts with: "( OID",
// NAME, DESC and OBSOLETE.
func writeHead(b *strings.Builder, oid string, names []string, hasDesc bool, desc string, obsolete bool) {
	b.WriteString("( ")
	b.WriteString(oid)
	writeNames(b, names)
	if hasDesc {
		b.WriteString(" DESC '")
		b.WriteString(escapeQD(desc))
		b.WriteByte('\'')
	}
	if obsolete {
		b.WriteString(" OBSOLETE")
	}
}

// renderAttr builds the canonical description slapd shows for a type:
// expanded OID, references as written, USAGE only when not userApplications.
func renderAttr(r *rawAttr, oid string, syn *syntax.Syntax) string {
	var b strings.Builder
	writeHead(&b, oid, r.names, r.hasDesc, r.desc, r.obsolete)
	writeWord(&b, "SUP", r.sup)
	writeWord(&b, "EQUALITY", r.equality)
	writeWord(&b, "ORDERING", r.ordering)
	writeWord(&b, "SUBSTR", r.substr)
	if syn != nil {
		b.WriteString(" SYNTAX ")
		b.WriteString(syn.OID)
		if r.syntaxLen > 0 {
			fmt.Fprintf(&b, "{%d}", r.syntaxLen)
		}
	}
	if r.single {
		b.WriteString(" SINGLE-VALUE")
	}
	if r.collective {
		b.WriteString(" COLLECTIVE")
	}
	if r.noUserMod {
		b.WriteString(" NO-USER-MODIFICATION")
	}
	if r.usage != UserApplications {
		b.WriteString(" USAGE ")
		b.WriteString(r.usage.String())
	}
	writeExt(&b, r.ext)
	b.WriteString(" )")
	return b.String()
}

// renderClass builds the canonical description of an object class; the kind
// is always written, as slapd does.
func renderClass(r *rawClass, oid string) string {
	var b strings.Builder
	writeHead(&b, oid, r.names, r.hasDesc, r.desc, r.obsolete)
	writeOIDs(&b, "SUP", r.sup)
	b.WriteByte(' ')
	b.WriteString(r.kind.String())
	writeOIDs(&b, "MUST", r.must)
	writeOIDs(&b, "MAY", r.may)
	writeExt(&b, r.ext)
	b.WriteString(" )")
	return b.String()
}

func renderSyntax(r *rawSyntax, oid string) string {
	var b strings.Builder
	b.WriteString("( ")
	b.WriteString(oid)
	if r.hasDesc {
		b.WriteString(" DESC '")
		b.WriteString(escapeQD(r.desc))
		b.WriteByte('\'')
	}
	writeExt(&b, r.ext)
	b.WriteString(" )")
	return b.String()
}

func writeNames(b *strings.Builder, names []string) {
	switch len(names) {
	case 0:
	case 1:
		b.WriteString(" NAME '")
		b.WriteString(names[0])
		b.WriteByte('\'')
	default:
		b.WriteString(" NAME (")
		for _, n := range names {
			b.WriteString(" '")
			b.WriteString(n)
			b.WriteByte('\'')
		}
		b.WriteString(" )")
	}
}

func writeWord(b *strings.Builder, kw, v string) {
	if v == "" {
		return
	}
	b.WriteByte(' ')
	b.WriteString(kw)
	b.WriteByte(' ')
	b.WriteString(v)
}

func writeOIDs(b *strings.Builder, kw string, list []string) {
	switch len(list) {
	case 0:
	case 1:
		writeWord(b, kw, list[0])
	default:
		b.WriteByte(' ')
		b.WriteString(kw)
		b.WriteString(" (")
		for i, v := range list {
			if i > 0 {
				b.WriteString(" $")
			}
			b.WriteByte(' ')
			b.WriteString(v)
		}
		b.WriteString(" )")
	}
}

func writeExt(b *strings.Builder, ext []Extension) {
	for _, x := range ext {
		b.WriteByte(' ')
		b.WriteString(x.Name)
		if len(x.Values) == 1 {
			b.WriteString(" '")
			b.WriteString(escapeQD(x.Values[0]))
			b.WriteByte('\'')
			continue
		}
		b.WriteString(" (")
		for _, v := range x.Values {
			b.WriteString(" '")
			b.WriteString(escapeQD(v))
			b.WriteByte('\'')
		}
		b.WriteString(" )")
	}
}

// duplicate is slapd's refusal of a definition whose OID or name is taken:
// by the same definition, or by another one.
func duplicate(kind, key, oldDef, def string) string {
	if oldDef == def {
		return fmt.Sprintf("Duplicate %s: %q", kind, key)
	}
	return fmt.Sprintf("Inconsistent duplicate %s: %q", kind, key)
}
