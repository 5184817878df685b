#!/bin/sh
# setup-unix.sh: prepare the Unix side of the HOWTO's system for hostdir
# (HOWTO section 4.2, plus hostdir's own user). Run as root; safe to run
# again. Debian/Ubuntu commands; the comments say what each step is for.
#
#   sh setup-unix.sh            # the HOWTO's layout: /home/vmail/domains
#   VMAIL_HOME=/srv/vmail sh setup-unix.sh
set -eu

VMAIL_HOME=${VMAIL_HOME:-/home/vmail}
# Where the binaries go (the systemd unit and master.cf expect /usr/local/bin).
BINDIR=${BINDIR:-/usr/local/bin}
# Configuration directory of hostdir (slapd.conf, hostdir-deliver.cf).
CONFDIR=${CONFDIR:-/etc/hostdir}

# 1. The vmail user owns every virtual mailbox (HOWTO: "useradd -k -m -r
#    -d /home/vmail vmail"). Postfix runs hostdir-deliver as vmail
#    (master.cf user=vmail); Courier (LDAP_GLOB_UID) and Dovecot
#    (uid=vmail) read the maildirs as vmail. No login shell.
if ! getent passwd vmail >/dev/null; then
	useradd --system --create-home --home-dir "$VMAIL_HOME" \
		--shell /usr/sbin/nologin --user-group vmail
fi

# 2. ~vmail/domains holds one directory per virtual domain
#    (~vmail/domains/example.com/alice/ is alice's maildir). hostdir-deliver
#    creates the domain and mailbox directories on first delivery, as
#    Postfix's virtual(8) did. vmail must be able to traverse every parent.
mkdir -p "$VMAIL_HOME/domains"
chown vmail:vmail "$VMAIL_HOME" "$VMAIL_HOME/domains"
chmod 0750 "$VMAIL_HOME" "$VMAIL_HOME/domains"

# 3. The hostdir user runs the directory server (systemd: User=hostdir).
#    It owns /var/lib/hostdir (systemd's StateDirectory= creates it; made
#    here too for runs without systemd).
if ! getent passwd hostdir >/dev/null; then
	useradd --system --no-create-home --home-dir /var/lib/hostdir \
		--shell /usr/sbin/nologin --user-group hostdir
fi
mkdir -p /var/lib/hostdir
chown hostdir:hostdir /var/lib/hostdir
chmod 0700 /var/lib/hostdir

# 4. The configuration directory: slapd.conf holds the rootpw hash and is
#    readable by hostdir only; hostdir-deliver.cf must be readable by vmail.
mkdir -p "$CONFDIR"
chmod 0755 "$CONFDIR"
if [ -f "$CONFDIR/slapd.conf" ]; then
	chown root:hostdir "$CONFDIR/slapd.conf"
	chmod 0640 "$CONFDIR/slapd.conf"
fi
if [ -f "$CONFDIR/hostdir-deliver.cf" ]; then
	chown root:vmail "$CONFDIR/hostdir-deliver.cf"
	chmod 0640 "$CONFDIR/hostdir-deliver.cf"
fi

# 5. The binaries (if built in the current directory with
#    `go build ./cmd/hostdir ./cmd/hostdir-deliver`).
for b in hostdir hostdir-deliver; do
	if [ -x "./$b" ]; then
		install -m 0755 "./$b" "$BINDIR/$b"
	fi
done

echo "vmail:   $(id vmail)"
echo "hostdir: $(id hostdir)"
echo "mail:    $VMAIL_HOME/domains ($(stat -c '%U:%G %a' "$VMAIL_HOME/domains"))"
