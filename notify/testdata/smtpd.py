#!/usr/bin/python3
"""A real SMTP server for tmsdrift's notify tests: aiosmtpd (Debian's
python3-aiosmtpd), on 127.0.0.1, started by notify/email_test.go.

It writes every message it accepts to OUT/NNN.eml, exactly as received
(DATA), and beside it OUT/NNN.json with what the session looked like:
whether it ran over TLS, the AUTH mechanism and user, the envelope. Each
.eml appears by rename, so a reader never sees half a file.

With --cert/--key it offers STARTTLS and requires it before anything else
(require_starttls), and requires AUTH (PLAIN or LOGIN) over TLS
(auth_require_tls) with the user and password from the environment
(SMTPD_USER, SMTPD_PASSWORD). Without them it speaks plain SMTP and
accepts mail without AUTH.

It prints "READY <port>" once listening and stops when stdin closes.
"""
import argparse
import json
import os
import socket
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

ap = argparse.ArgumentParser()
ap.add_argument("--out", required=True)
ap.add_argument("--cert")
ap.add_argument("--key")
args = ap.parse_args()

USER = os.environ.get("SMTPD_USER", "").encode()
PASSWORD = os.environ.get("SMTPD_PASSWORD", "").encode()


class Handler:
    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(args.out, "%03d" % self.count)
        meta = {
            "tls": session.ssl is not None,
            "authenticated": bool(session.authenticated),
            "mechanism": getattr(session, "tmsdrift_mechanism", ""),
            "user": getattr(session, "tmsdrift_user", ""),
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
        }
        with open(base + ".json", "w") as f:
            json.dump(meta, f)
        with open(base + ".tmp", "wb") as f:
            f.write(envelope.original_content)
        os.rename(base + ".tmp", base + ".eml")
        return "250 Message accepted for delivery"


def authenticator(server, session, envelope, mechanism, auth_data):
    if not isinstance(auth_data, LoginPassword):
        return AuthResult(success=False, handled=False)
    session.tmsdrift_mechanism = mechanism
    session.tmsdrift_user = auth_data.login.decode("utf-8", "replace")
    ok = auth_data.login == USER and auth_data.password == PASSWORD
    return AuthResult(success=ok, handled=False)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


kwargs = {}
if args.cert:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(args.cert, args.key)
    kwargs = dict(
        tls_context=ctx,
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=True,
    )

port = free_port()
controller = Controller(Handler(), hostname="127.0.0.1", port=port, **kwargs)
controller.start()
print("READY %d" % port, flush=True)
sys.stdin.read()
controller.stop()
