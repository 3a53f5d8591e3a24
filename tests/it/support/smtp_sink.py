#!/usr/bin/python3
"""SMTP sink for faxvox's delivery tests (Debian python3-aiosmtpd; run with /usr/bin/python3).

Listens on 127.0.0.1 on a port the kernel picks, prints "PORT <n>" on stdout once ready, and
saves every accepted message under --out as NNNN.eml (the bytes received) plus NNNN.json
(envelope, TLS/AUTH state, and what Python's email package makes of the message with
policy.default: headers, defects, parts with SHA-256). Files appear atomically (.tmp, rename).

Options:
  --tls CERT KEY         offer STARTTLS with this certificate chain and key
  --implicit-tls         TLS from the first byte (smtps) instead of STARTTLS
  --require-starttls     refuse MAIL before STARTTLS
  --auth USER:PASS       require AUTH (PLAIN or LOGIN), only after STARTTLS when --tls is set
  --data-reply "451 …"   answer DATA with this reply instead of storing
  --reject-rcpt ADDR "550 …"   refuse this recipient with this reply (repeatable)
  --secs N               exit after N seconds at most (default 120)
  --lean                 store only the bytes and the envelope, not Python's reading of the
                         message (the load bench: thousands of messages, each answered fast)
Every NNNN.json also holds "accepted_unix": the sink's clock (time.time()) when it answered
the DATA with 250, for the bench's hang-up-to-email latency.
The sink also exits when its stdin closes, so it never outlives the test that started it.
"""
import argparse
import asyncio
import email
import email.policy
import hashlib
import json
import os
import socket
import ssl
import sys
import time

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def parse_args():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    ap.add_argument("--require-starttls", action="store_true")
    ap.add_argument("--implicit-tls", action="store_true")
    ap.add_argument("--auth")
    ap.add_argument("--data-reply")
    ap.add_argument("--reject-rcpt", nargs=2, action="append", default=[], metavar=("ADDR", "REPLY"))
    ap.add_argument("--secs", type=float, default=120)
    ap.add_argument("--lean", action="store_true")
    return ap.parse_args()


def describe(raw, base):
    """What Python's email package (policy.default) sees in the message. Attachment payloads
    are written next to the message as <base>.attN so the test can compare bytes."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    defects = [repr(d) for d in msg.defects]
    parts = []
    for part in msg.walk():
        defects += [repr(d) for d in part.defects]
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True) or b""
        info = {
            "content_type": part.get_content_type(),
            "filename": part.get_filename(),
            "disposition": part.get_content_disposition(),
            "size": len(payload),
            "sha256": hashlib.sha256(payload).hexdigest(),
        }
        if part.get_content_maintype() == "text":
            info["text"] = part.get_content()
        if info["disposition"] == "attachment":
            path = "%s.att%d" % (base, len(parts))
            with open(path, "wb") as f:
                f.write(payload)
            info["path"] = path
        parts.append(info)
    headers = {}
    for name, value in msg.items():
        headers.setdefault(name.lower(), []).append(str(value))
    return {"headers": headers, "defects": defects, "parts": parts}


class Store:
    def __init__(self, args):
        self.args = args
        self.count = 0
        self.rejects = {addr.lower(): reply for addr, reply in args.reject_rcpt}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.rejects.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.args.data_reply:
            return self.args.data_reply
        self.count += 1
        raw = envelope.original_content
        base = os.path.join(self.args.out, "%04d" % self.count)
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "tls": session.ssl is not None,
            "auth_login": getattr(session, "faxvox_login", None),
            "authenticated": bool(session.authenticated),
            "peer": list(session.peer),
            "size": len(raw),
        }
        if not self.args.lean:
            try:
                meta.update(describe(raw, base))
            except Exception as e:  # report, do not crash the sink
                meta["parse_error"] = repr(e)
        # The whole message is in; the 250 follows once the two files below are written.
        meta["accepted_unix"] = time.time()
        for suffix, data in ((".eml", raw), (".json", json.dumps(meta, indent=1).encode())):
            with open(base + suffix + ".tmp", "wb") as f:
                f.write(data)
            os.rename(base + suffix + ".tmp", base + suffix)
        if not self.args.lean:
            print("stored", base, len(raw), "bytes", flush=True)
        return "250 OK stored %04d" % self.count


def main():
    args = parse_args()
    os.makedirs(args.out, exist_ok=True)
    kw = {}
    implicit_ctx = None
    if args.tls:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(*args.tls)
        if args.implicit_tls:
            implicit_ctx = ctx
        else:
            kw["tls_context"] = ctx
            kw["require_starttls"] = args.require_starttls
    if args.auth:
        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and (
                auth_data.login + b":" + auth_data.password
            ).decode() == args.auth
            if ok:
                session.faxvox_login = auth_data.login.decode()
            return AuthResult(success=ok, handled=False)

        kw["authenticator"] = authenticator
        kw["auth_required"] = True
        kw["auth_require_tls"] = bool(args.tls) and not args.implicit_tls
    handler = Store(args)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = loop.run_until_complete(
        loop.create_server(
            lambda: SMTP(handler, hostname="localhost", **kw), sock=sock, ssl=implicit_ctx
        )
    )

    def stdin_closed():
        if not sys.stdin.buffer.read1(4096):
            loop.stop()

    loop.add_reader(sys.stdin.fileno(), stdin_closed)
    loop.call_later(args.secs, loop.stop)
    print("PORT %d" % port, flush=True)
    try:
        loop.run_forever()
    finally:
        server.close()


if __name__ == "__main__":
    main()
