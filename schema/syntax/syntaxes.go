package syntax

// syn flags for the table.
const (
	fHidden = 1 << iota
	fNotHR
	fBinary
)

func mkSyntax(oid, desc string, flags int, validate func([]byte) error) *Syntax {
	return &Syntax{
		OID: oid, Desc: desc,
		HumanReadable:          flags&fNotHR == 0,
		BinaryTransferRequired: flags&fBinary != 0,
		Hidden:                 flags&fHidden != 0,
		Validate:               validate,
	}
}

// hiddenNoValidator is a syntax slapd knows, hides and refuses every value of.
func hiddenNoValidator(oid, desc string, flags int) *Syntax {
	return mkSyntax(oid, desc, flags|fHidden, noValidator(oid))
}

// syntaxTable lists the syntaxes in slapd's registration order, which is
// also the order of ldapSyntaxes in cn=Subschema for the ones not hidden.
func syntaxTable() []*Syntax {
	withEnv := func(s *Syntax, f func(Env, []byte) error) *Syntax {
		s.ValidateEnv = f
		return s
	}
	p := oidPrefix
	return []*Syntax{
		mkSyntax(p+"1", "ACI Item", fHidden|fBinary|fNotHR, validateDER("ACI Item")),
		hiddenNoValidator(p+"2", "Access Point", fNotHR),
		mkSyntax(p+"3", "Attribute Type Description", fHidden, validateDescription("attributeTypeDescription", false)),
		mkSyntax(p+"4", "Audio", fNotHR, nil),
		mkSyntax(p+"5", "Binary", fNotHR, nil),
		mkSyntax(p+"6", "Bit String", 0, validateBitString),
		mkSyntax(p+"7", "Boolean", 0, validateBoolean),
		mkSyntax(p+"8", "Certificate", fBinary|fNotHR, validateCertificate),
		mkSyntax(p+"9", "Certificate List", fBinary|fNotHR, validateCertList),
		mkSyntax(p+"10", "Certificate Pair", fBinary|fNotHR, validateDER("certificatePair")),
		mkSyntax("1.3.6.1.4.1.4203.666.11.10.2.1", "X.509 AttributeCertificate", fBinary|fNotHR, validateDER("attributeCertificate")),
		withEnv(mkSyntax(p+"12", "Distinguished Name", 0, validateDNSyntax), validateDNEnv),
		withEnv(mkSyntax(synRDN, "RDN", 0, validateRDNSyntax), validateRDNEnv),
		hiddenNoValidator(p+"13", "Data Quality", 0),
		mkSyntax(p+"14", "Delivery Method", 0, validateDeliveryMethod),
		mkSyntax(p+"15", "Directory String", 0, validateDirectoryString),
		mkSyntax(p+"16", "DIT Content Rule Description", fHidden, validateDescription("dITContentRuleDescription", false)),
		mkSyntax(p+"17", "DIT Structure Rule Description", fHidden, validateDescription("dITStructureRuleDescription", true)),
		hiddenNoValidator(p+"19", "DSA Quality", 0),
		hiddenNoValidator(p+"20", "DSE Type", 0),
		hiddenNoValidator(p+"21", "Enhanced Guide", 0),
		mkSyntax(p+"22", "Facsimile Telephone Number", 0, validateFax),
		hiddenNoValidator(p+"23", "Fax", fNotHR),
		mkSyntax(p+"24", "Generalized Time", 0, validateGeneralizedTime),
		hiddenNoValidator(p+"25", "Guide", 0),
		mkSyntax(p+"26", "IA5 String", 0, validateIA5),
		mkSyntax(p+"27", "Integer", 0, validateInteger),
		mkSyntax(p+"28", "JPEG", fNotHR, nil),
		hiddenNoValidator(p+"29", "Master And Shadow Access Points", 0),
		mkSyntax(p+"30", "Matching Rule Description", fHidden, validateDescription("matchingRuleDescription", false)),
		mkSyntax(p+"31", "Matching Rule Use Description", fHidden, validateDescription("matchingRuleUseDescription", false)),
		hiddenNoValidator(p+"32", "Mail Preference", 0),
		hiddenNoValidator(p+"33", "MHS OR Address", 0),
		withEnv(mkSyntax(p+"34", "Name And Optional UID", 0, validateNameUID), validateNameUIDEnv),
		mkSyntax(p+"35", "Name Form Description", fHidden, validateDescription("nameFormDescription", false)),
		mkSyntax(p+"36", "Numeric String", 0, validateNumericString),
		mkSyntax(p+"37", "Object Class Description", fHidden, validateDescription("objectClassDescription", false)),
		mkSyntax(p+"38", "OID", 0, validateOID),
		mkSyntax(p+"39", "Other Mailbox", 0, validateOtherMailbox),
		mkSyntax(p+"40", "Octet String", 0, nil),
		mkSyntax(p+"41", "Postal Address", 0, validatePostalAddress),
		hiddenNoValidator(p+"42", "Protocol Information", 0),
		hiddenNoValidator(p+"43", "Presentation Address", 0),
		mkSyntax(p+"44", "Printable String", 0, validatePrintable),
		mkSyntax(p+"11", "Country String", 0, validateCountry),
		mkSyntax(p+"45", "SubtreeSpecification", 0, nil),
		mkSyntax(p+"49", "Supported Algorithm", fBinary|fNotHR, validateDER("supportedAlgorithm")),
		mkSyntax(p+"50", "Telephone Number", 0, validateTelephone),
		hiddenNoValidator(p+"51", "Teletex Terminal Identifier", 0),
		mkSyntax(p+"52", "Telex Number", 0, validateTelex),
		mkSyntax("1.3.6.1.1.1.0.0", "RFC2307 NIS Netgroup Triple", 0, validateNetgroupTriple),
		mkSyntax("1.3.6.1.1.1.0.1", "RFC2307 Boot Parameter", 0, validateBootParameter),
		mkSyntax(p+"54", "LDAP Syntax Description", fHidden, validateDescription("ldapSyntaxDescription", false)),
		hiddenNoValidator(p+"55", "Modify Rights", 0),
		hiddenNoValidator(p+"56", "LDAP Schema Definition", 0),
		hiddenNoValidator(p+"57", "LDAP Schema Description", 0),
		mkSyntax(p+"58", "Substring Assertion", fHidden, validateSubstringAssertion),
		mkSyntax(synCertExact, "Certificate Exact Assertion", fHidden, validateCertExactAssertion),
		hiddenNoValidator("1.3.6.1.1.15.2", "Certificate Assertion", 0),
		hiddenNoValidator("1.3.6.1.1.15.3", "Certificate Pair Exact Assertion", 0),
		hiddenNoValidator("1.3.6.1.1.15.4", "Certificate Pair Assertion", 0),
		mkSyntax(synCRLExact, "Certificate List Exact Assertion", fHidden, validateCRLExactAssertion),
		hiddenNoValidator("1.3.6.1.1.15.6", "Certificate List Assertion", 0),
		hiddenNoValidator("1.3.6.1.1.15.7", "Algorithm Identifier", 0),
		hiddenNoValidator("1.3.6.1.4.1.4203.666.11.10.2.2", "AttributeCertificate Exact Assertion", 0),
		hiddenNoValidator("1.3.6.1.4.1.4203.666.11.10.2.3", "AttributeCertificate Assertion", 0),
		mkSyntax(synUUID, "UUID", 0, validateUUID),
		mkSyntax(synCSN, "CSN", fHidden, validateCSN),
		mkSyntax(synSID, "CSN SID", fHidden, validateSID),
		hiddenNoValidator("1.3.6.1.4.1.4203.1.1.1", "OpenLDAP void", 0),
		mkSyntax(synAuthz, "OpenLDAP authz", fHidden, validateAuthz),
		mkSyntax("1.2.840.113549.1.8.1.1", "PKCS#8 PrivateKeyInfo", fBinary|fNotHR, validateDER("PKCS#8 PrivateKeyInfo")),
	}
}
