"""A real SMTP server on loopback for the tests, whose answers the test decides.

It speaks SMTP over TCP (aiosmtpd), so the tracker's SMTP backend talks to it as to a real mail
server, from the test process or from a worker process. The handler can answer the DATA of the
next messages with a temporary (4xx) or permanent (5xx) error, take its time before answering,
and records every message it accepted.
"""

import asyncio
import email
import email.policy
import threading
from contextlib import contextmanager
from dataclasses import dataclass

from aiosmtpd.controller import Controller

from tests.conftest import free_port


@dataclass(frozen=True)
class Accepted:
    sender: str
    recipients: tuple[str, ...]
    message: email.message.EmailMessage

    @property
    def subject(self):
        return self.message["Subject"]


class ScriptedHandler:
    """Answer DATA as told: refuse the next ``refusals``, optionally slowly; record the rest."""

    def __init__(self):
        self.lock = threading.Lock()
        self.accepted: list[Accepted] = []
        self.refused = 0
        self.refusals: list[str] = []
        self.always: str | None = None
        self.delay = 0.0
        # The client end of each connection a message came over.
        self.connections: set = set()

    def answer_temporarily_failing(self, times, reply="451 4.3.0 Try again later"):
        """Answer the next ``times`` messages with a 4xx reply, then accept."""
        self.refusals = [reply] * times

    def answer_always(self, reply="550 5.1.1 Mailbox unavailable"):
        """Answer every message with ``reply`` (a 5xx, say)."""
        self.always = reply

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.connections.add(session.peer)
            reply = self.always or (self.refusals.pop(0) if self.refusals else None)
            if reply is not None:
                self.refused += 1
            else:
                # Recorded when the data is in, before the answer: the server has the message
                # even if the client is gone by the time the answer is sent.
                self.accepted.append(
                    Accepted(
                        sender=envelope.mail_from,
                        recipients=tuple(envelope.rcpt_tos),
                        message=email.message_from_bytes(
                            envelope.original_content, policy=email.policy.default
                        ),
                    )
                )
        if self.delay:
            await asyncio.sleep(self.delay)
        return reply or "250 2.0.0 Message accepted for delivery"

    def recipients(self):
        """Return the address of every accepted message, one entry per message."""
        with self.lock:
            return [address for item in self.accepted for address in item.recipients]


class LoopbackSMTPServer:
    def __init__(self):
        self.handler = ScriptedHandler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()

    def email_settings(self):
        """Return the settings (also usable as a worker's environment) that mail through it."""
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": self.port,
            "EMAIL_USE_TLS": False,
            "EMAIL_USE_SSL": False,
            "EMAIL_TIMEOUT": 10,
        }


@contextmanager
def loopback_smtp_server():
    """Run an SMTP server on a free loopback port for the duration of the block."""
    server = LoopbackSMTPServer().start()
    try:
        yield server
    finally:
        server.stop()


def mail_through(settings, server):
    """Point Django's e-mail in this process at ``server``; return its handler."""
    for name, value in server.email_settings().items():
        setattr(settings, name, value)
    return server.handler
