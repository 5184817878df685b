package schema

import (
	"fmt"
	"sync"

	"hostdir/schema/builtin"
)

// systemBase and builtinBase are parsed once; New and Builtin hand out
// clones, so no caller ever sees (or changes) the shared copies.
var (
	systemBase = sync.OnceValue(func() *Schema {
		s := newEmpty()
		data, err := builtin.FS.ReadFile(systemFile)
		if err != nil {
			panic(fmt.Sprintf("schema: embedded %s: %v", systemFile, err))
		}
		if err := s.addSystem(systemFile, data); err != nil {
			panic(fmt.Sprintf("schema: embedded system schema: %v", err))
		}
		return s
	})
	builtinBase = sync.OnceValues(func() (*Schema, error) {
		s := systemBase().Clone()
		for _, name := range builtin.Files {
			if name == systemFile {
				continue
			}
			data, err := builtin.FS.ReadFile(name)
			if err != nil {
				return nil, fmt.Errorf("schema: builtin %s: %w", name, err)
			}
			if err := s.AddFile(name, data); err != nil {
				return nil, fmt.Errorf("schema: builtin: %w", err)
			}
		}
		return s, nil
	})
)

// Clone returns an independent copy of s: definitions added to the copy do
// not affect s. Use it to extend a loaded schema (for example Builtin's)
// without loading it again.
func (s *Schema) Clone() *Schema {
	c := newEmpty()
	ats := make(map[*AttributeType]*AttributeType, len(s.ats))
	for _, at := range s.ats {
		n := *at
		ats[at] = &n
	}
	mapAT := func(list []*AttributeType) []*AttributeType {
		if list == nil {
			return nil
		}
		out := make([]*AttributeType, len(list))
		for i, at := range list {
			out[i] = ats[at]
		}
		return out
	}
	c.ats = make([]*AttributeType, len(s.ats))
	for i, at := range s.ats {
		n := ats[at]
		if at.Sup != nil {
			n.Sup = ats[at.Sup]
		}
		n.subtree = mapAT(at.subtree)
		c.ats[i] = n
	}
	for k, v := range s.atByKey {
		c.atByKey[k] = ats[v]
	}

	ocs := make(map[*ObjectClass]*ObjectClass, len(s.ocs))
	for _, oc := range s.ocs {
		n := *oc
		ocs[oc] = &n
	}
	mapOC := func(list []*ObjectClass) []*ObjectClass {
		if list == nil {
			return nil
		}
		out := make([]*ObjectClass, len(list))
		for i, oc := range list {
			out[i] = ocs[oc]
		}
		return out
	}
	c.ocs = make([]*ObjectClass, len(s.ocs))
	for i, oc := range s.ocs {
		n := ocs[oc]
		n.Sup = mapOC(oc.Sup)
		n.supers = mapOC(oc.supers)
		n.Must, n.May = mapAT(oc.Must), mapAT(oc.May)
		n.allMust, n.allMay = mapAT(oc.allMust), mapAT(oc.allMay)
		n.allowed = make(map[*AttributeType]struct{}, len(oc.allowed))
		for at := range oc.allowed {
			n.allowed[ats[at]] = struct{}{}
		}
		c.ocs[i] = n
	}
	for k, v := range s.ocByKey {
		c.ocByKey[k] = ocs[v]
	}

	for k, v := range s.macros {
		c.macros[k] = v
	}
	c.syntaxes = append([]*localSyntax(nil), s.syntaxes...)
	for k, v := range s.syntaxByOID {
		c.syntaxByOID[k] = v
	}
	c.atObjectClass, c.atRef = ats[s.atObjectClass], ats[s.atRef]
	c.ocExtensible, c.ocReferral, c.ocSubschema = ocs[s.ocExtensible], ocs[s.ocReferral], ocs[s.ocSubschema]
	return c
}
