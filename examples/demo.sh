#!/bin/bash
# demo.sh: see the HOWTO's mail system run on hostdir in a few minutes.
#
# Starts, on loopback ports and in one temporary directory, without
# touching the machine's own mail configuration:
#   - hostdir serve         the directory (built-in default configuration)
#   - a private Postfix     the examples/postfix files, delivering through
#                           hostdir-deliver (examples/hostdir-deliver.cf)
#   - Dovecot (IMAP)        examples/dovecot/dovecot-ldap.conf.ext
#   - Courier authdaemond   examples/courier/authldaprc (only with
#                           DEMO_COURIER=1: it needs the global
#                           /etc/courier files, which are restored at exit)
# loads examples/ldif/example-domain.ldif (example.com: alice, bob, the
# alias info@ and a catch-all), sends alice a welcome message, prints where
# everything listens and how to try it, and runs until Ctrl-C.
#
# Needs root (Postfix and Dovecot switch users) and Debian's postfix,
# postfix-ldap, dovecot-imapd, dovecot-ldap and swaks; Go to build hostdir
# (or HOSTDIR_BIN=dir holding hostdir and hostdir-deliver).
#
#   sudo bash examples/demo.sh
#   sudo LDAP_PORT=3389 SMTP_PORT=2525 IMAP_PORT=1143 bash examples/demo.sh
#   KEEP=1 ...   keep the temporary directory at exit
set -eu

LDAP_PORT=${LDAP_PORT:-3389}
SMTP_PORT=${SMTP_PORT:-2525}
IMAP_PORT=${IMAP_PORT:-1143}
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$HERE")
EX=$HERE
BASE=o=hosting,dc=myhosting,dc=example

die() { echo "demo: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "$1 is missing (Debian package: $2)"; }

[ "$(id -u)" = 0 ] || die "run as root (Postfix and Dovecot need it): sudo bash $0"
need postfix postfix
need postconf postfix
need dovecot dovecot-imapd
need swaks swaks
[ -f /usr/lib/postfix/postfix-ldap.so ] || die "postfix-ldap is missing (Debian package: postfix-ldap)"
[ -f /usr/lib/dovecot/modules/auth/libauthdb_ldap.so ] || die "dovecot-ldap is missing (Debian package: dovecot-ldap)"
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in "$LDAP_PORT" "$SMTP_PORT" "$IMAP_PORT"; do
	if listening "$p"; then die "port $p is in use; choose others with LDAP_PORT, SMTP_PORT, IMAP_PORT"; fi
done

WORK=$(mktemp -d /tmp/hostdir-demo.XXXXXX)
chmod 0755 "$WORK"
mkdir -p "$WORK/bin" "$WORK/log"
PIDS=""
POSTFIX_DIR="$WORK/postfix"
LOCK=/tmp/hostdir-postfix-main-cf.lock

# alternate_config_directories of /etc/postfix/main.cf must list a private
# instance's directory; the lock is the one hostdir's tests use.
authorize() { # add|remove DIR
	flock "$LOCK" sh -c '
		dirs=$(postconf -h alternate_config_directories | tr ", " "\n\n" | grep -v "^$" | grep -vxF "$2" || true)
		[ "$1" = add ] && dirs="$dirs
$2"
		dirs=$(echo "$dirs" | grep -v "^$" | tr "\n" " ")
		if [ -n "$dirs" ]; then postconf -e "alternate_config_directories = $dirs"
		else postconf -X alternate_config_directories; fi' sh "$1" "$2"
}

cleanup() {
	set +e
	echo
	echo "demo: stopping"
	[ -f "$POSTFIX_DIR/main.cf" ] && postfix -c "$POSTFIX_DIR" stop >/dev/null 2>&1
	authorize remove "$POSTFIX_DIR" 2>/dev/null
	for pid in $PIDS; do kill "$pid" 2>/dev/null; done
	for pid in $PIDS; do
		i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.2; i=$((i+1)); done
		kill -9 "$pid" 2>/dev/null
	done
	if [ -d "$WORK/courier-backup" ]; then
		cp "$WORK/courier-backup/authdaemonrc" /etc/courier/authdaemonrc
		cp "$WORK/courier-backup/authldaprc" /etc/courier/authldaprc
		echo "demo: restored /etc/courier/authdaemonrc and authldaprc"
	fi
	if [ "${KEEP:-0}" = 1 ]; then echo "demo: kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 1. The programs.
if [ -n "${HOSTDIR_BIN:-}" ]; then
	cp "$HOSTDIR_BIN/hostdir" "$HOSTDIR_BIN/hostdir-deliver" "$WORK/bin/"
else
	GO=$(command -v go || echo /usr/local/go/bin/go)
	[ -x "$GO" ] || die "go is missing: install Go or set HOSTDIR_BIN"
	echo "demo: building hostdir and hostdir-deliver"
	(cd "$REPO" && "$GO" build -o "$WORK/bin/" ./cmd/hostdir ./cmd/hostdir-deliver)
fi
chmod 0755 "$WORK/bin"/*
HOSTDIR="$WORK/bin/hostdir"

# 2. The vmail user and the maildirs (what setup-unix.sh does, here in $WORK).
getent passwd vmail >/dev/null || useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin --user-group vmail
MAIL="$WORK/mail"
mkdir -p "$MAIL"
chown vmail:vmail "$MAIL"

# 3. The directory: the built-in default configuration, the HOWTO's base
#    tree and the example domain (homeDirectory pointed at $MAIL).
export HOSTDIR_DATA="$WORK/data"
sed "s|^homeDirectory: /home/vmail/domains|homeDirectory: $MAIL|" "$EX/ldif/example-domain.ldif" > "$WORK/example-domain.ldif"
"$HOSTDIR" import -l "$EX/ldif/base.ldif" 2>>"$WORK/log/hostdir.log"
"$HOSTDIR" import -l "$WORK/example-domain.ldif" 2>>"$WORK/log/hostdir.log"
"$HOSTDIR" serve -h "ldap://127.0.0.1:$LDAP_PORT/" -d stats >>"$WORK/log/hostdir.log" 2>&1 &
PIDS="$PIDS $!"
i=0
until grep -q "hostdir: listening on" "$WORK/log/hostdir.log"; do
	i=$((i+1)); [ $i -lt 100 ] || die "hostdir did not start: $(cat "$WORK/log/hostdir.log")"
	sleep 0.1
done
ROOTPW=$(sed -n 's/^hostdir: rootdn password (shown once): //p' "$WORK/log/hostdir.log")
LDAP_URL="ldap://127.0.0.1:$LDAP_PORT"

# 4. hostdir-deliver's configuration: examples/hostdir-deliver.cf with this
#    directory, mailbox base and Postfix instance.
sed -e "s|^ldap = .*|ldap = $LDAP_URL|" \
    -e "s|^mailbox_base = .*|mailbox_base = $MAIL|" \
    -e "s|^sendmail_command = .*|sendmail_command = /usr/sbin/sendmail -C $POSTFIX_DIR|" \
    "$EX/hostdir-deliver.cf" > "$WORK/hostdir-deliver.cf"
chmod 0644 "$WORK/hostdir-deliver.cf"

# 5. Postfix: a private instance with the example main.cf and master.cf
#    fragments and the four ldap-*.cf maps.
mkdir -p "$POSTFIX_DIR" "$WORK/postfix-queue" "$WORK/postfix-data"
chown postfix "$WORK/postfix-data"
for m in domains aliases accountsmap accounts; do
	sed "s|^server_host = .*|server_host = $LDAP_URL|" "$EX/postfix/ldap-$m.cf" > "$POSTFIX_DIR/ldap-$m.cf"
done
{
	cat <<EOF
# hostdir demo: a private Postfix instance on 127.0.0.1:$SMTP_PORT.
compatibility_level = 3.6
queue_directory = $WORK/postfix-queue
data_directory = $WORK/postfix-data
maillog_file = $WORK/log/maillog
maillog_file_prefixes = $WORK/log
syslog_name = postfix-hostdir-demo
myhostname = mx.example.com
mydomain = example.com
myorigin = \$myhostname
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
inet_interfaces = loopback-only
inet_protocols = ipv4
# An MX for the virtual domains only; nothing leaves this demo.
mynetworks = 192.0.2.1/32
smtpd_relay_restrictions = reject_unauth_destination
smtp_dns_support_level = disabled
default_transport = error:5.7.1 the hostdir demo sends no mail outside
smtpd_tls_security_level = none
biff = no
EOF
	sed "s|/etc/postfix/|$POSTFIX_DIR/|g" "$EX/postfix/main.cf"
} > "$POSTFIX_DIR/main.cf"
{
	cat <<EOF
127.0.0.1:$SMTP_PORT inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
	sed -e "s|/usr/local/bin/hostdir-deliver|$WORK/bin/hostdir-deliver|" \
	    -e "s|/etc/hostdir/hostdir-deliver.cf|$WORK/hostdir-deliver.cf|" "$EX/postfix/master.cf"
} > "$POSTFIX_DIR/master.cf"
authorize add "$POSTFIX_DIR"
postfix -c "$POSTFIX_DIR" set-permissions >/dev/null 2>&1 || true
postfix -c "$POSTFIX_DIR" check
postfix -c "$POSTFIX_DIR" start 2>/dev/null

# 6. Dovecot: a standalone instance with examples/dovecot/dovecot-ldap.conf.ext.
DOVE="$WORK/dovecot"
mkdir -p "$DOVE/run" "$DOVE/state"
sed "s|^uris = .*|uris = $LDAP_URL|" "$EX/dovecot/dovecot-ldap.conf.ext" > "$DOVE/dovecot-ldap.conf.ext"
chmod 0600 "$DOVE/dovecot-ldap.conf.ext"
cat > "$DOVE/dovecot.conf" <<EOF
# hostdir demo: a standalone Dovecot, IMAP on 127.0.0.1:$IMAP_PORT.
base_dir = $DOVE/run
state_dir = $DOVE/state
log_path = $WORK/log/dovecot.log
instance_name = hostdir-demo
protocols = imap
listen = 127.0.0.1
ssl = no
# Loopback only: clear-text logins are acceptable here, not on a network.
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = dovecot
default_login_user = dovenull
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    port = 0
  }
}
EOF
# The example's conf.d fragments, with the args file path of this demo.
sed "s|/etc/dovecot/dovecot-ldap.conf.ext|$DOVE/dovecot-ldap.conf.ext|" "$EX/dovecot/conf.d/auth-ldap.conf.ext" >> "$DOVE/dovecot.conf"
cat "$EX/dovecot/conf.d/99-hostdir.conf" >> "$DOVE/dovecot.conf"
dovecot -F -c "$DOVE/dovecot.conf" >>"$WORK/log/dovecot.log" 2>&1 &
PIDS="$PIDS $!"

# 7. Optionally Courier authdaemond with the example authldaprc.
if [ "${DEMO_COURIER:-0}" = 1 ]; then
	[ -x /usr/lib/courier/courier-authlib/authdaemond ] || die "courier-authdaemon is missing (Debian package: courier-authlib-ldap)"
	# The lock hostdir's tests take before they rewrite the same files.
	mkdir -p /run/lock
	exec 9>/run/lock/hostdir-courier.lock
	flock -n 9 || die "/etc/courier is in use by a hostdir test; try again later"
	mkdir -p "$WORK/courier-backup"
	cp /etc/courier/authdaemonrc /etc/courier/authldaprc "$WORK/courier-backup/"
	sed "s|^LDAP_URI.*|LDAP_URI\t\t$LDAP_URL|" "$EX/courier/authldaprc" > /etc/courier/authldaprc
	sed -i 's|^authmodulelist=.*|authmodulelist="authldap"|' /etc/courier/authdaemonrc
	mkdir -p /run/courier/authdaemon
	/usr/lib/courier/courier-authlib/authdaemond >>"$WORK/log/authdaemond.log" 2>&1 &
	PIDS="$PIDS $!"
fi

# 8. Wait for Postfix and Dovecot, then the welcome messages (the maildirs
#    are made on first delivery, as the HOWTO's section 5.4 recommends).
i=0
until listening "$SMTP_PORT" && listening "$IMAP_PORT"; do
	i=$((i+1)); [ $i -lt 100 ] || die "Postfix or Dovecot did not start; see $WORK/log"
	sleep 0.2
done
for rcpt in alice@example.com bob@example.com; do
	swaks --silent 2 --server "127.0.0.1:$SMTP_PORT" --from welcome@hostdir.example --to "$rcpt" \
		--header "Subject: Welcome to hostdir" --body "Your mailbox works. This message came through Postfix and hostdir-deliver." \
		|| echo "demo: the welcome message to $rcpt was refused; see $WORK/log/maillog"
done

cat <<EOF

hostdir demo is running (work directory $WORK). Ctrl-C stops everything.

  LDAP    $LDAP_URL/          hostdir serve (default configuration)
          root DN cn=Manager,dc=myhosting,dc=example  password $ROOTPW
  SMTP    127.0.0.1:$SMTP_PORT          Postfix, delivering with hostdir-deliver
  IMAP    127.0.0.1:$IMAP_PORT          Dovecot, users from hostdir
  Mail    $MAIL/example.com/<user>/   (maildirs, owner vmail)
  Logs    $WORK/log/  (hostdir.log: slapd "stats" lines; maillog; dovecot.log)

Accounts: alice@example.com / alice-secret, bob@example.com / bob-secret;
info@example.com goes to alice; any other address of example.com to bob.

Try:
  ldapsearch -x -H $LDAP_URL -b $BASE '(mail=*)' mail
  swaks --server 127.0.0.1:$SMTP_PORT --to info@example.com
  swaks --server 127.0.0.1:$SMTP_PORT --to nobody@example.com     # the catch-all: bob
  swaks --server 127.0.0.1:$SMTP_PORT --to someone@elsewhere.test  # refused: not our domain
  curl -s 'imap://127.0.0.1:$IMAP_PORT/INBOX' -u alice@example.com:alice-secret -X 'SEARCH ALL'   # message numbers
  curl -s 'imap://127.0.0.1:$IMAP_PORT/INBOX;MAILINDEX=1' -u alice@example.com:alice-secret          # message 1
  ldappasswd -x -H $LDAP_URL -D mail=alice@example.com,jvd=example.com,$BASE -w alice-secret -s new-secret   # alice changes her password
  ldapmodify -x -H $LDAP_URL -D cn=Manager,dc=myhosting,dc=example -w $ROOTPW <<LDIF   # deactivate alice
dn: mail=alice@example.com,jvd=example.com,$BASE
changetype: modify
replace: accountActive
accountActive: FALSE
LDIF
  (alice can no longer log in; her mail now goes to the catch-all, bob)
EOF
if [ "${DEMO_COURIER:-0}" = 1 ]; then
	echo "  authtest alice@example.com alice-secret                       # Courier authlib"
fi
echo
wait
