package dn_test

import (
	"fmt"

	"hostdir/directory/dn"
)

func ExampleParse() {
	d, err := dn.Parse(`CN=Doe\, Richard + sn=Doe, dc=myhosting; dc=example`)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.String())
	fmt.Println(len(d.RDNs), d.RDN()[0].Type, d.RDN()[0].Value)
	fmt.Println(d.Parent().String())
	// Output:
	// CN=Doe\2C Richard+sn=Doe,dc=myhosting,dc=example
	// 3 CN Doe, Richard
	// dc=myhosting,dc=example
}

func ExampleIsUnder() {
	fmt.Println(dn.IsUnder("mail=a@b.c,jvd=b.c,o=hosting,dc=example", "o=hosting,dc=example"))
	fmt.Println(dn.IsUnder("o=myhosting,dc=example", "o=hosting,dc=example"))
	fmt.Println(dn.Depth("o=hosting,dc=example"))
	// Output:
	// true
	// false
	// 2
}

func ExampleParse_error() {
	_, err := dn.Parse(`cn=a\`)
	fmt.Println(err)
	// Output:
	// invalid DN "cn=a\\": trailing backslash at offset 4
}
