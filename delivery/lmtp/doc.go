// Package lmtp is the LMTP (RFC 2033) server mode of hostdir-deliver: one
// long-running process, one delivery.Agent (one directory connection)
// shared by all sessions, instead of a pipe(8) process per recipient.
// Postfix uses it with
//
//	virtual_transport = lmtp:unix:private/hostdir-lmtp   (or lmtp:inet:127.0.0.1:PORT)
//
// and the server started as
//
//	hostdir-deliver lmtp -listen unix:/var/spool/postfix/private/hostdir-lmtp \
//	  -socket-owner postfix -user vmail -c /etc/hostdir/hostdir-deliver.cf
//
// (started as root: the socket is created, given to postfix with mode 0660,
// then the process becomes vmail, the owner of the maildirs; see
// examples/postfix/main.cf.lmtp).
//
// # Protocol
//
// LHLO announces PIPELINING, SIZE, ENHANCEDSTATUSCODES, 8BITMIME and
// SMTPUTF8 (addresses and headers are passed through as bytes). MAIL FROM
// takes SIZE=, BODY=7BIT|8BITMIME and SMTPUTF8; RCPT TO no parameters (DSN
// is not announced: Postfix's LMTP client then leaves success notices to
// Postfix, see below). Each RCPT is resolved at once, like the pipe mode
// resolves its -a, and refused with the pipe mode's answer mapped by
// ReplyFor (unknown user 550 5.1.1, directory down 451 4.4.3, ...). After
// the final dot each accepted recipient gets its own reply, in order,
// from delivery.Agent.DeliverEnvelope, the pipe mode's code path: a 250 is
// sent only after the maildir file and new/ were fsynced. VRFY and EXPN
// are refused (502 5.5.1), HELO and EHLO too (this is LMTP); unknown
// commands get 500 5.5.2, commands out of sequence 503 5.5.1.
//
// The message is stored as the pipe mode stores it: lines end in LF, the
// agent adds Return-Path and Delivered-To on top. The pipe mode's loop
// check (pipe(8) flag D) is made here: a message whose header already
// holds "Delivered-To: recipient" is refused for that recipient with 554
// 5.4.6. One difference: Postfix passes the original recipient (pipe(8)
// flag O, X-Original-To) to an LMTP server only as the DSN parameter ORCPT,
// and only to a server announcing DSN — which would make this server, not
// Postfix, responsible for success notices (NOTIFY=SUCCESS; verified: with
// DSN announced Postfix sends none). So LMTP deliveries carry no
// X-Original-To.
//
// # Limits
//
// Every resource is bounded (Server's fields): command lines (500 5.5.2
// past 4096 bytes), recipients per transaction (452 4.5.3 past 1000;
// Postfix sends the rest in another transaction), message size (SIZE
// announced; 552 5.3.4 at MAIL FROM or after the data), concurrent
// sessions (421 4.3.2), message bytes held by all sessions together (452
// 4.3.1), the wait for each command or message line and for the whole
// DATA (421 4.4.2 and close: a client sending half a command holds nothing
// for long), and the deliveries of one transaction (Config.Timeout, 100s,
// far below Postfix's lmtp_data_done_timeout of 600s; a hung system call
// is abandoned with 451 4.3.0 after delivery.WatchdogGrace more).
//
// Serve stops accepting when its context ends, answers sessions waiting
// for a command with 421 4.3.2, lets transactions in progress finish for
// ShutdownGrace and then closes what is left (Postfix retries those).
//
// # Idempotency
//
// The pipe mode passes Postfix's queue id (-q ${queue_id}) so a retry
// after a crash never stores a second copy (maildir.Writer.DeliverOnce).
// Postfix's LMTP client sends no queue id: it sends LHLO, "MAIL
// FROM:<sender> SIZE=n" (BODY=8BITMIME for 8-bit mail), one "RCPT
// TO:<address>" per recipient (up to lmtp_destination_recipient_limit,
// default 50) and the queue file's message, whose first line is the
// Received field that Postfix's smtpd or pickup wrote:
//
//	Received: from client.example (localhost [127.0.0.1])
//		by mx.example.com (Postfix) with ESMTP id 41A4598E4A6
//		for <alice@example.com>; Tue, 24 Nov 2026 02:50:59 +0000 (UTC)
//
// With Server.Idempotent (the default; -idempotent=false turns it off) the
// id of the topmost Received field, when that field is Postfix's ("by HOST
// (Postfix...) ... id ID"), is the delivery's queue id (QueueIDFromReceived).
// This is safe because the key of an idempotent delivery (maildir.OnceKey)
// covers the whole message, that Received field included, besides the
// recipient and folder: only byte-identical copies of one message to one
// mailbox are merged. Postfix's retry sends exactly those bytes again, so it
// completes or confirms the first attempt. Two different messages never
// share a key (each passage through smtpd or pickup writes a new Received
// field with a new id and time); the only copies merged that would not be
// in the pipe mode are byte-identical ones, e.g. a message that reached one
// mailbox through two aliases of one transaction, which the pipe mode
// stored twice with different X-Original-To fields. When the topmost
// Received field is not Postfix's (header_checks removed it, or mail
// Postfix generated itself without one), delivery is at least once, as
// without -q: a crash after the fsync and before the 250 reaches Postfix
// makes its retry store a second copy.
package lmtp
