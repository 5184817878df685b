// Jamm.java does through JNDI what the Jamm web application does with the
// directory (reference/jamm.md): log in (search by mail as the rootdn, then
// bind as the found DN), list a domain's accounts, add an account, change
// accountActive, change passwords (modify of userPassword and the RFC 3062
// Password Modify extended operation), delete an alias, and a few refused
// operations. It prints one line per observation so that a test can compare
// two servers' answers. Values that depend on time are printed as <TIME>.
//
// usage: java Jamm LDAP_URL ROOT_DN ROOT_PW BASE [asroot]
//
// With "asroot" every session (postmaster, users) binds as the rootdn
// instead, so that the same steps run without access control in the way.
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.Hashtable;
import java.util.List;

import javax.naming.Context;
import javax.naming.NamingEnumeration;
import javax.naming.NamingException;
import javax.naming.directory.Attribute;
import javax.naming.directory.Attributes;
import javax.naming.directory.BasicAttribute;
import javax.naming.directory.BasicAttributes;
import javax.naming.directory.DirContext;
import javax.naming.directory.ModificationItem;
import javax.naming.directory.SearchControls;
import javax.naming.directory.SearchResult;
import javax.naming.ldap.ExtendedRequest;
import javax.naming.ldap.ExtendedResponse;
import javax.naming.ldap.InitialLdapContext;
import javax.naming.ldap.LdapContext;

public class Jamm {
    static String url, rootDN, rootPW, base;
    static boolean asRoot;

    public static void main(String[] args) throws Exception {
        if (args.length != 4 && !(args.length == 5 && args[4].equals("asroot"))) {
            System.err.println("usage: java Jamm LDAP_URL ROOT_DN ROOT_PW BASE [asroot]");
            System.exit(2);
        }
        url = args[0];
        rootDN = args[1];
        rootPW = args[2];
        base = args[3];
        asRoot = args.length == 5;
        String domain = "jvd=example.com," + base;

        LdapContext root = connect(rootDN, rootPW);
        out("root bind", "ok");

        // Login as Jamm does it.
        String aliceDN = login(root, "alice@example.com", "secret");
        login(root, "alice@example.com", "wrong");
        login(root, "ALICE@EXAMPLE.COM", "secret");
        login(root, "nobody@example.com", "secret");
        login(root, "team@example.com", "secret");
        String pmDN = login(root, "pm@example.com", "secret");
        tryBind("empty password", aliceDN, "");
        tryBind("unknown DN", "mail=nobody@example.com," + domain, "secret");

        // DNs come back in slapd's pretty form whatever the request's spelling.
        searchBase(root, "MAIL=alice@example.com , JVD=example.com, o=hosting, dc=myhosting, dc=example");
        searchBase(root, "mail=a*b@example.com," + domain);

        // The domain admin (a postmaster of example.com) works as itself.
        LdapContext pm = session("postmaster session", pmDN, "secret");
        listAccounts(pm, domain);
        listDomains(root);

        // Add an account as Jamm does.
        String newDN = "mail=new@example.com," + domain;
        BasicAttributes attrs = new BasicAttributes(true);
        BasicAttribute oc = new BasicAttribute("objectClass");
        oc.add("top");
        oc.add("JammMailAccount");
        attrs.put(oc);
        attrs.put("mail", "new@example.com");
        attrs.put("homeDirectory", "/home/vmail/domains");
        attrs.put("mailbox", "example.com/new/");
        attrs.put("userPassword", ssha("newpass"));
        attrs.put("accountActive", "TRUE");
        attrs.put("delete", "FALSE");
        attrs.put("lastChange", Long.toString(System.currentTimeMillis() / 1000));
        try {
            if (pm == null) {
                throw new NamingException("no session");
            }
            pm.createSubcontext(newDN, attrs).close();
            out("add " + newDN, "ok");
        } catch (NamingException e) {
            err("add " + newDN, e);
        }
        try {
            if (pm == null) {
                throw new NamingException("no session");
            }
            pm.createSubcontext(newDN, attrs).close();
            out("add again", "ok");
        } catch (NamingException e) {
            err("add again", e);
        }
        show(root, newDN);
        login(root, "new@example.com", "newpass");

        // Deactivate it.
        modify(pm, "deactivate", newDN, DirContext.REPLACE_ATTRIBUTE, "accountActive", "FALSE");
        modify(pm, "touch", newDN, DirContext.REPLACE_ATTRIBUTE, "lastChange", Long.toString(System.currentTimeMillis() / 1000));
        show(root, newDN);
        modify(pm, "invalid boolean", newDN, DirContext.REPLACE_ATTRIBUTE, "accountActive", "yes");
        modify(pm, "second value of single-valued", newDN, DirContext.ADD_ATTRIBUTE, "mailbox", "other/");

        // A user changes its own password with a modify of userPassword.
        LdapContext alice = session("alice session", aliceDN, "secret");
        modify(alice, "alice sets her password", aliceDN, DirContext.REPLACE_ATTRIBUTE, "userPassword", ssha("changed1"));
        tryBind("alice old password", aliceDN, "secret");
        tryBind("alice new password", aliceDN, "changed1");
        modify(alice, "alice writes bob", "mail=bob@example.com," + domain, DirContext.REPLACE_ATTRIBUTE, "mailbox", "x/");
        readPassword("alice reads her password", alice, aliceDN);
        readPassword("alice reads bob's password", alice, "mail=bob@example.com," + domain);
        close(alice);

        // Password Modify extended operation: by the user, then by the postmaster.
        LdapContext alice2 = session("alice session 2", aliceDN, "changed1");
        passwd(alice2, "passwd self", null, "changed1", "changed2");
        close(alice2);
        tryBind("alice after passwd", aliceDN, "changed2");
        passwd(pm, "passwd by postmaster", "mail=bob@example.com," + domain, null, "bobnew");
        tryBind("bob after passwd", "mail=bob@example.com," + domain, "bobnew");
        LdapContext bob = session("bob session", "mail=bob@example.com," + domain, "bobnew");
        passwd(bob, "passwd bob on alice", aliceDN, null, "stolen");
        passwd(bob, "passwd wrong old", null, "nope", "x");
        close(bob);
        LdapContext anon = session("anonymous session", null, null);
        passwd(anon, "passwd anonymous", aliceDN, null, "x");
        modify(anon, "anonymous write", aliceDN, DirContext.REPLACE_ATTRIBUTE, "mailbox", "x/");
        close(anon);

        // Remove the password of the new account: a replace with no values.
        try {
            if (pm == null) {
                throw new NamingException("no session");
            }
            ModificationItem[] mods = { new ModificationItem(DirContext.REPLACE_ATTRIBUTE, new BasicAttribute("userPassword")) };
            pm.modifyAttributes(newDN, mods);
            out("remove password", "ok");
        } catch (NamingException e) {
            err("remove password", e);
        }
        tryBind("bind without password attribute", newDN, "newpass");

        // Delete an alias; delete a non-leaf; delete what is gone.
        delete(pm, "mail=gone@example.com," + domain);
        delete(pm, "mail=gone@example.com," + domain);
        delete(pm, domain);
        delete(root, domain);
        searchBase(root, "mail=gone@example.com," + domain);

        // Compare as Jamm's checks could.
        compare(root, aliceDN, "accountActive", "TRUE");
        compare(root, aliceDN, "accountActive", "FALSE");
        compare(root, aliceDN, "quota", "1");

        close(pm);
        close(root);
    }

    static LdapContext connect(String dn, String pw) throws NamingException {
        Hashtable<String, Object> env = new Hashtable<>();
        env.put(Context.INITIAL_CONTEXT_FACTORY, "com.sun.jndi.ldap.LdapCtxFactory");
        env.put(Context.PROVIDER_URL, url);
        env.put("java.naming.ldap.version", "3");
        env.put("com.sun.jndi.ldap.connect.pool", "false");
        env.put("com.sun.jndi.ldap.read.timeout", "10000");
        env.put("java.naming.ldap.attributes.binary", "userPassword");
        if (dn == null) {
            env.put(Context.SECURITY_AUTHENTICATION, "none");
        } else {
            env.put(Context.SECURITY_AUTHENTICATION, "simple");
            env.put(Context.SECURITY_PRINCIPAL, dn);
            env.put(Context.SECURITY_CREDENTIALS, pw);
        }
        return new InitialLdapContext(env, null);
    }

    // session opens a context bound as dn, or prints why not and returns null;
    // every step given a null context prints "no session".
    static LdapContext session(String what, String dn, String pw) {
        if (asRoot && dn != null) {
            dn = rootDN;
            pw = rootPW;
        }
        try {
            return connect(dn, pw);
        } catch (NamingException e) {
            err(what, e);
            return null;
        }
    }

    static void close(LdapContext ctx) {
        try {
            if (ctx != null) {
                ctx.close();
            }
        } catch (NamingException e) {
            err("close", e);
        }
    }

    static boolean noSession(LdapContext ctx, String what) {
        if (ctx == null) {
            out(what, "no session");
            return true;
        }
        return false;
    }

    static void out(String what, String result) {
        System.out.println(what + ": " + result);
    }

    static void err(String what, NamingException e) {
        System.out.println(what + ": " + e.getClass().getSimpleName() + " " + e.getExplanation());
    }

    // login finds the entry with mail=name and binds as it; it returns the DN.
    static String login(LdapContext root, String name, String password) {
        String what = "login " + name;
        try {
            SearchControls sc = new SearchControls();
            sc.setSearchScope(SearchControls.SUBTREE_SCOPE);
            sc.setReturningAttributes(new String[] {"mail", "accountActive"});
            NamingEnumeration<SearchResult> en = root.search(base, "(mail={0})", new Object[] {name}, sc);
            List<SearchResult> found = new ArrayList<>();
            while (en.hasMore()) {
                found.add(en.next());
            }
            if (found.size() != 1) {
                out(what, found.size() + " entries");
                return null;
            }
            SearchResult r = found.get(0);
            String dn = r.getNameInNamespace();
            out(what + " found", dn + " active=" + r.getAttributes().get("accountActive").get());
            connect(dn, password).close();
            out(what, "bound");
            return dn;
        } catch (NamingException e) {
            err(what, e);
            return null;
        }
    }

    static void tryBind(String what, String dn, String pw) {
        try {
            connect(dn, pw).close();
            out(what, "bound");
        } catch (NamingException e) {
            err(what, e);
        }
    }

    static void searchBase(LdapContext ctx, String dn) {
        try {
            SearchControls sc = new SearchControls();
            sc.setSearchScope(SearchControls.OBJECT_SCOPE);
            sc.setReturningAttributes(new String[] {"mail", "entryDN"});
            NamingEnumeration<SearchResult> en = ctx.search(dn, "(objectClass=*)", sc);
            while (en.hasMore()) {
                SearchResult r = en.next();
                out("base " + dn, r.getNameInNamespace() + " " + attrsString(r.getAttributes()));
            }
        } catch (NamingException e) {
            err("base " + dn, e);
        }
    }

    static void listAccounts(LdapContext ctx, String domain) {
        if (noSession(ctx, "list accounts")) {
            return;
        }
        try {
            SearchControls sc = new SearchControls();
            sc.setSearchScope(SearchControls.ONELEVEL_SCOPE);
            sc.setReturningAttributes(new String[] {"mail", "accountActive", "delete", "mailbox"});
            NamingEnumeration<SearchResult> en = ctx.search(domain, "(objectClass=JammMailAccount)", sc);
            List<String> lines = new ArrayList<>();
            while (en.hasMore()) {
                SearchResult r = en.next();
                lines.add(r.getName() + " | " + r.getNameInNamespace() + " | " + attrsString(r.getAttributes()));
            }
            Collections.sort(lines);
            for (String l : lines) {
                out("account", l);
            }
        } catch (NamingException e) {
            err("list accounts", e);
        }
    }

    static void listDomains(LdapContext ctx) {
        try {
            SearchControls sc = new SearchControls();
            sc.setSearchScope(SearchControls.ONELEVEL_SCOPE);
            sc.setReturningAttributes(new String[] {"jvd", "accountActive", "delete", "editAccounts", "editPostmasters", "hasSubordinates"});
            NamingEnumeration<SearchResult> en = ctx.search(base, "(objectClass=JammVirtualDomain)", sc);
            List<String> lines = new ArrayList<>();
            while (en.hasMore()) {
                SearchResult r = en.next();
                lines.add(r.getNameInNamespace() + " | " + attrsString(r.getAttributes()));
            }
            Collections.sort(lines);
            for (String l : lines) {
                out("domain", l);
            }
        } catch (NamingException e) {
            err("list domains", e);
        }
    }

    // show prints an entry's user attributes and some operational ones.
    static void show(LdapContext ctx, String dn) {
        try {
            Attributes a = ctx.getAttributes(dn, new String[] {"*", "structuralObjectClass", "creatorsName", "modifiersName",
                "entryDN", "hasSubordinates", "subschemaSubentry"});
            out("entry " + dn, attrsString(a));
        } catch (NamingException e) {
            err("entry " + dn, e);
        }
    }

    static void readPassword(String what, LdapContext ctx, String dn) {
        if (noSession(ctx, what)) {
            return;
        }
        try {
            Attributes a = ctx.getAttributes(dn, new String[] {"userPassword"});
            out(what, a.size() == 0 ? "absent" : "readable");
        } catch (NamingException e) {
            err(what, e);
        }
    }

    // attrsString prints attributes sorted by name, values in server order.
    static String attrsString(Attributes attrs) throws NamingException {
        List<String> parts = new ArrayList<>();
        NamingEnumeration<? extends Attribute> en = attrs.getAll();
        while (en.hasMore()) {
            Attribute a = en.next();
            StringBuilder b = new StringBuilder(a.getID()).append("=[");
            for (int i = 0; i < a.size(); i++) {
                Object v = a.get(i);
                String s = v instanceof byte[] ? new String((byte[]) v, StandardCharsets.UTF_8) : v.toString();
                if (a.getID().equalsIgnoreCase("lastChange")) {
                    s = "<TIME>";
                }
                if (a.getID().equalsIgnoreCase("userPassword")) {
                    s = s.replaceAll("\\}.*", "}...");
                }
                b.append(i > 0 ? "; " : "").append(s);
            }
            parts.add(b.append("]").toString());
        }
        Collections.sort(parts, String.CASE_INSENSITIVE_ORDER);
        return String.join(" ", parts);
    }

    static void modify(LdapContext ctx, String what, String dn, int op, String attr, String value) {
        if (noSession(ctx, what)) {
            return;
        }
        try {
            ModificationItem[] mods = { new ModificationItem(op, new BasicAttribute(attr, value)) };
            ctx.modifyAttributes(dn, mods);
            out(what, "ok");
        } catch (NamingException e) {
            err(what, e);
        }
    }

    static void delete(LdapContext ctx, String dn) {
        if (noSession(ctx, "delete " + dn)) {
            return;
        }
        try {
            ctx.destroySubcontext(dn);
            out("delete " + dn, "ok");
        } catch (NamingException e) {
            err("delete " + dn, e);
        }
    }

    static void compare(LdapContext ctx, String dn, String attr, String value) {
        // A search with base scope, no attributes and an equality filter is
        // sent by JNDI as an LDAP Compare.
        String what = "compare " + attr + "=" + value;
        try {
            SearchControls sc = new SearchControls();
            sc.setSearchScope(SearchControls.OBJECT_SCOPE);
            sc.setReturningAttributes(new String[0]);
            NamingEnumeration<SearchResult> en = ctx.search(dn, "(" + attr + "=" + value + ")", sc);
            out(what, en.hasMore() ? "true" : "false");
        } catch (NamingException e) {
            err(what, e);
        }
    }

    static void passwd(LdapContext ctx, String what, String user, String oldPw, String newPw) {
        if (noSession(ctx, what)) {
            return;
        }
        try {
            ExtendedResponse r = ctx.extendedOperation(new PasswordModify(user, oldPw, newPw));
            byte[] v = r.getEncodedValue();
            out(what, "ok id=" + r.getID() + " value=" + (v == null ? "none" : v.length + " bytes"));
        } catch (NamingException e) {
            err(what, e);
        }
    }

    static String ssha(String password) throws Exception {
        byte[] salt = {1, 2, 3, 4};
        MessageDigest md = MessageDigest.getInstance("SHA-1");
        md.update(password.getBytes(StandardCharsets.UTF_8));
        md.update(salt);
        byte[] d = md.digest();
        byte[] all = new byte[d.length + salt.length];
        System.arraycopy(d, 0, all, 0, d.length);
        System.arraycopy(salt, 0, all, d.length, salt.length);
        return "{SSHA}" + Base64.getEncoder().encodeToString(all);
    }

    // PasswordModify is the RFC 3062 request, its value BER-encoded by hand:
    // SEQUENCE { userIdentity [0] OPTIONAL, oldPasswd [1] OPTIONAL, newPasswd [2] OPTIONAL }.
    static class PasswordModify implements ExtendedRequest {
        static final String OID = "1.3.6.1.4.1.4203.1.11.1";
        private final byte[] value;

        PasswordModify(String user, String oldPw, String newPw) {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            element(body, 0x80, user);
            element(body, 0x81, oldPw);
            element(body, 0x82, newPw);
            ByteArrayOutputStream seq = new ByteArrayOutputStream();
            seq.write(0x30);
            length(seq, body.size());
            seq.writeBytes(body.toByteArray());
            value = seq.toByteArray();
        }

        static void element(ByteArrayOutputStream b, int tag, String s) {
            if (s == null) {
                return;
            }
            byte[] v = s.getBytes(StandardCharsets.UTF_8);
            b.write(tag);
            length(b, v.length);
            b.writeBytes(v);
        }

        static void length(ByteArrayOutputStream b, int n) {
            if (n < 128) {
                b.write(n);
            } else if (n < 256) {
                b.write(0x81);
                b.write(n);
            } else {
                b.write(0x82);
                b.write(n >> 8);
                b.write(n & 0xff);
            }
        }

        public String getID() {
            return OID;
        }

        public byte[] getEncodedValue() {
            return value;
        }

        public ExtendedResponse createExtendedResponse(String id, byte[] berValue, int offset, int length) {
            byte[] v = berValue == null ? null : java.util.Arrays.copyOfRange(berValue, offset, offset + length);
            return new ExtendedResponse() {
                public String getID() {
                    return id;
                }

                public byte[] getEncodedValue() {
                    return v;
                }
            };
        }
    }
}
