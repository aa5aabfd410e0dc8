"""E-mail over an SMTP relay with the standard library's smtplib.

The relay is one URL: smtp://user:password@host:port (STARTTLS whenever the server
offers it) or smtps://user:password@host:port (TLS from the first byte, port 465 by
default); user and password are percent-decoded. Credentials are never sent in the
clear: over smtp:// without STARTTLS, a login is refused unless the relay is on
loopback. The message is multipart/alternative: the Markdown as text/plain first, the
self-contained HTML page second (clients show the last part they can render).

SMTP replies 4xx are temporary (retried), 5xx permanent (RFC 5321 §4.2.1).
"""

from __future__ import annotations

import ipaddress
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import unquote, urlsplit

from ticketminer.deliverers.base import DeliveryError, DigestMessage


@dataclass(frozen=True, slots=True)
class SmtpRelay:
    host: str
    port: int
    implicit_tls: bool
    user: str = ""
    password: str = ""

    @classmethod
    def parse(cls, url: str) -> SmtpRelay:
        """ValueError naming what is wrong (never echoing the password)."""
        parts = urlsplit(url.strip())
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError("must start with smtp:// or smtps://")
        if not parts.hostname:
            raise ValueError("needs a host, e.g. smtp://user:pass@mail.example:587")
        try:
            port = parts.port
        except ValueError:
            raise ValueError("has a port that is not a number from 1 to 65535") from None
        implicit = parts.scheme == "smtps"
        return cls(
            parts.hostname,
            port or (465 if implicit else 587),
            implicit,
            unquote(parts.username or ""),
            unquote(parts.password or ""),
        )

    @property
    def loopback(self) -> bool:
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return self.host == "localhost"


def build_message(message: DigestMessage, sender: str, recipients: tuple[str, ...]) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = " ".join(message.subject.split())  # one line, whatever the tenant id
    mail["From"] = sender
    mail["To"] = ", ".join(recipients)
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    mail.set_content(message.markdown, subtype="plain", charset="utf-8")
    mail.add_alternative(message.html, subtype="html", charset="utf-8")
    return mail


def _smtp_error(exc: smtplib.SMTPException) -> DeliveryError:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        first = next(iter(exc.recipients.values()))
        text = first[1].decode(errors="replace") if isinstance(first[1], bytes) else str(first[1])
        return DeliveryError(
            f"SMTP {first[0]}: every recipient refused: {text}"[:300],
            retryable=all(400 <= c < 500 for c in codes),
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        text = (
            exc.smtp_error.decode(errors="replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        return DeliveryError(
            f"SMTP {exc.smtp_code}: {text}"[:300], retryable=400 <= exc.smtp_code < 500
        )
    return DeliveryError(f"SMTP: {exc}"[:300], retryable=True)


class EmailDeliverer:
    def __init__(
        self, relay: SmtpRelay, sender: str, recipients: tuple[str, ...], timeout: float
    ) -> None:
        self._relay = relay
        self._sender = sender
        self._recipients = recipients
        self._timeout = timeout

    def send(self, message: DigestMessage) -> None:
        mail = build_message(message, self._sender, self._recipients)
        try:
            with self._connect() as smtp:
                refused = smtp.send_message(mail, self._sender, list(self._recipients))
        except smtplib.SMTPException as exc:
            raise _smtp_error(exc) from None
        except (TimeoutError, OSError) as exc:
            raise DeliveryError(f"SMTP connection failed: {exc}"[:300], retryable=True) from None
        if refused:
            # Some got it: sending again would repeat it to them. Say who did not.
            raise DeliveryError(
                f"SMTP refused {len(refused)} of {len(self._recipients)} recipients "
                f"({', '.join(sorted(refused))[:200]}); the others received it",
                retryable=False,
            )

    def _connect(self) -> smtplib.SMTP:
        r = self._relay
        context = ssl.create_default_context()
        if r.implicit_tls:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                r.host, r.port, timeout=self._timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(r.host, r.port, timeout=self._timeout)
        try:
            smtp.ehlo()
            secure = r.implicit_tls
            if not secure and smtp.has_extn("starttls"):
                smtp.starttls(context=context)
                smtp.ehlo()
                secure = True
            if r.user:
                if not secure and not r.loopback:
                    raise DeliveryError(
                        "the SMTP relay offers no STARTTLS; refusing to send the password "
                        "in the clear (use smtps://)",
                        retryable=False,
                    )
                smtp.login(r.user, r.password)
        except BaseException:
            smtp.close()
            raise
        return smtp
