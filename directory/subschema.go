package directory

import (
	"sync"

	"hostdir/directory/entry"
	"hostdir/schema"
)

// subschemaCache holds the subschema subentry, rendered once (the schema
// does not change while the server runs).
type subschemaCache struct {
	once sync.Once
	e    *entry.Entry
	ndn  string
}

func (s *Server) initSubschema() {
	s.subsch.once.Do(func() {
		e := s.schema.Subschema()
		ts := generalizedTime(s.now())
		// slapd: structuralObjectClass, createTimestamp, modifyTimestamp,
		// then the schema attributes.
		var attrs []entry.Attribute
		for _, a := range e.Attrs {
			attrs = append(attrs, a)
			if a.Type == atStructuralObjectClass {
				attrs = append(attrs,
					entry.Attribute{Type: atCreateTimestamp, Values: [][]byte{[]byte(ts)}},
					entry.Attribute{Type: atModifyTimestamp, Values: [][]byte{[]byte(ts)}})
			}
		}
		// User attributes (objectClass, cn) first, as slapd returns them.
		var user, op []entry.Attribute
		for _, a := range attrs {
			at := s.schema.AttributeType(a.Type)
			if at != nil && at.IsOperational() {
				op = append(op, a)
			} else {
				user = append(user, a)
			}
		}
		e.Attrs = append(user, op...)
		s.subsch.e = e
		_, n, err := s.schema.PrettyNormalDN(schema.SubschemaDN)
		if err != nil {
			n = "cn=subschema"
		}
		s.subsch.ndn = n
	})
}

// subschemaEntry returns the cn=Subschema entry (shared; read-only).
func (s *Server) subschemaEntry() *entry.Entry {
	s.initSubschema()
	return s.subsch.e
}

// subschemaNDN returns the normalized DN of cn=Subschema.
func (s *Server) subschemaNDN() string {
	s.initSubschema()
	return s.subsch.ndn
}
