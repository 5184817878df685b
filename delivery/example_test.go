package delivery_test

import (
	"fmt"

	"hostdir/delivery"
)

// A configuration file in Postfix's syntax; flags are applied afterwards
// with Config.Set and win.
func ExampleConfig_Apply() {
	c := delivery.DefaultConfig()
	err := c.Apply("deliver.cf", []byte(`# hostdir-deliver
ldap = ldap://127.0.0.1:3389/
    ldapi://%2Frun%2Fhostdir%2Fldapi
mailbox_base = /home/vmail/domains
quota_exceeded = defer
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = c.Set("mailbox-base", "/srv/mail") // --mailbox-base given on the command line
	fmt.Println(c.LDAP, c.MailboxBase, c.QuotaExceeded == delivery.QuotaDefer)
	// Output: [ldap://127.0.0.1:3389/ ldapi://%2Frun%2Fhostdir%2Fldapi] /srv/mail true
}

func ExampleSplitExtension() {
	fmt.Println(delivery.SplitExtension("alice+news", "+"))
	fmt.Println(delivery.SplitExtension("+alice", "+"))
	// Output:
	// alice news
	// +alice
}
