package ldapwire_test

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	"hostdir/directory/ldapwire"
)

// Example reads Postfix's search from a connection (here a byte stream
// captured from postmap), decodes it, and answers with one entry and the
// final result.
func Example() {
	raw, _ := os.ReadFile("testdata/postfix_search.hex")
	pdu, _ := hex.DecodeString(strings.TrimSpace(string(raw)))
	conn := bytes.NewReader(pdu) // a net.Conn in the server

	rd := ldapwire.NewReader(conn, ldapwire.MaxPDUAnonymous)
	var m ldapwire.Message // one per connection, reused
	var out []byte         // one per connection, reused

	p, err := rd.ReadPDU()
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := ldapwire.Decode(p, &m); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Op, m.ID, string(m.Search.BaseObject))
	fmt.Println(m.Search.Filter.String())

	// Walk the filter tree: the children of the root AND.
	f := &m.Search.Filter
	for c := 1; c < int(f.Nodes[0].End); c = int(f.Nodes[c].End) {
		n := &f.Nodes[c]
		fmt.Printf("  %s = %s\n", n.Attr, n.Value)
	}

	out, e := ldapwire.StartEntry(out[:0], m.ID, "mail=a*b@example.com,jvd=example.com,o=hosting,dc=myhosting,dc=example")
	out = ldapwire.AppendAttr(out, "mailbox", []byte("example.com/a*b/"))
	out = e.Finish(out)
	out = ldapwire.AppendResult(out, m.ID, ldapwire.OpSearchResultDone, ldapwire.Result{Code: ldapwire.Success})
	fmt.Println(len(out), "bytes to write")
	// Output:
	// SearchRequest 1 o=hosting,dc=myhosting,dc=example
	// (&(objectClass=JammMailAccount)(mail=a\2ab@example.com)(accountActive=TRUE)(delete=FALSE))
	//   objectClass = JammMailAccount
	//   mail = a*b@example.com
	//   accountActive = TRUE
	//   delete = FALSE
	// 126 bytes to write
}
