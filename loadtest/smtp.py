"""A real SMTP server on loopback whose answers its owner decides (tests, bench and soak).

It speaks SMTP over TCP (aiosmtpd), so the tracker's SMTP backend talks to it as to a real mail
server, from the process that started it or from a worker process. The handler can answer the
DATA of the next messages, or of every message for a while, with a temporary (4xx) or permanent
(5xx) error or by dropping the connection, take its time before answering, and records every
message it accepted (answered 250) and every one it refused.
"""

import asyncio
import email
import email.policy
import logging
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller

# What a fault answers; "drop" closes the connection instead of answering.
FAULT_REPLIES = {
    "4xx": "451 4.3.0 Try again later",
    "5xx": "554 5.3.0 Message refused",
    "drop": None,
}


@dataclass(frozen=True)
class Accepted:
    sender: str
    recipients: tuple[str, ...]
    content: bytes
    # time.time() when the message was taken.
    at: float = field(default=0.0, compare=False)

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.content, policy=email.policy.default)

    @property
    def subject(self):
        return self.message["Subject"]


@dataclass(frozen=True)
class Refused:
    reply: str
    recipients: tuple[str, ...]
    content: bytes


class ScriptedHandler:
    """Answer DATA as told: refuse the next ``refusals``, optionally slowly; record the rest."""

    def __init__(self):
        self.lock = threading.Lock()
        self.accepted: list[Accepted] = []
        self.refused_messages: list[Refused] = []
        self.refused = 0
        self.dropped = 0
        self.refusals: list[str] = []
        self.always: str | None = None
        # "4xx", "5xx" or "drop" while a fault is on (see ``fault``).
        self.fault: str | None = None
        self.delay = 0.0
        # The client end of each connection a message came over.
        self.connections: set = set()

    def answer_temporarily_failing(self, times, reply="451 4.3.0 Try again later"):
        """Answer the next ``times`` messages with a 4xx reply, then accept."""
        self.refusals = [reply] * times

    def answer_always(self, reply="550 5.1.1 Mailbox unavailable"):
        """Answer every message with ``reply`` (a 5xx, say)."""
        self.always = reply

    @contextmanager
    def failing(self, kind):
        """Answer every message as the fault ``kind`` of FAULT_REPLIES does, for the block."""
        with self.lock:
            self.fault = kind
        try:
            yield
        finally:
            with self.lock:
                self.fault = None

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.connections.add(session.peer)
            if self.fault == "drop":
                self.dropped += 1
                server.transport.abort()
                return "421 4.3.2 Closing the connection"
            reply = (
                FAULT_REPLIES[self.fault]
                if self.fault
                else self.always or (self.refusals.pop(0) if self.refusals else None)
            )
            recipients = tuple(envelope.rcpt_tos)
            if reply is not None:
                self.refused += 1
                self.refused_messages.append(Refused(reply, recipients, envelope.original_content))
            else:
                # Recorded when the data is in, before the answer: the server has the message
                # even if the client is gone by the time the answer is sent.
                self.accepted.append(
                    Accepted(
                        envelope.mail_from, recipients, envelope.original_content, time.time()
                    )
                )
        if self.delay:
            await asyncio.sleep(self.delay)
        return reply or "250 2.0.0 Message accepted for delivery"

    def recipients(self):
        """Return the address of every accepted message, one entry per message."""
        with self.lock:
            return [address for item in self.accepted for address in item.recipients]


def free_port() -> int:
    """Return a TCP port on loopback that nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LoopbackSMTPServer:
    def __init__(self, port=None):
        self.handler = ScriptedHandler()
        self.port = port or free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def start(self):
        # The server logs every SMTP command at INFO: far too much under load.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
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
def loopback_smtp_server(port=None):
    """Run an SMTP server on a free loopback port for the duration of the block."""
    server = LoopbackSMTPServer(port).start()
    try:
        yield server
    finally:
        server.stop()
