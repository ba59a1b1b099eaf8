"""Handing messages to the mail server: one connection kept open, its errors sorted.

A run of digests keeps one connection to the mail server for a batch; a message the server
does not take raises ``TemporaryFailure`` (try again later) or ``PermanentFailure`` (trying
again would not help), and the next message goes out over a fresh connection.
"""

import smtplib
from contextlib import contextmanager


class TemporaryFailure(Exception):
    """The mail server could not take the message now; try again later."""


class PermanentFailure(Exception):
    """The mail server refused the message; trying again would not help."""


@contextmanager
def mail_session(connection):
    """Keep one connection to the mail server open for the messages of a batch."""
    _open_quietly(connection)
    try:
        yield
    finally:
        _close_quietly(connection)


def _open_quietly(connection) -> None:
    # A server that cannot be reached now fails each message on its own, as a temporary failure.
    try:
        connection.open()
    except (OSError, smtplib.SMTPException):
        _close_quietly(connection)


def _close_quietly(connection) -> None:
    try:
        connection.close()
    except (OSError, smtplib.SMTPException):
        # Nothing to lose: every message has been answered or counted as failed already.
        if hasattr(connection, "connection"):
            connection.connection = None


def reconnect(connection) -> None:
    """Start the next message on a fresh connection: a failed one may have left it unusable."""
    _close_quietly(connection)
    _open_quietly(connection)


def deliver(message, connection) -> None:
    """Send ``message`` over ``connection``; sort the server's errors: temporary or permanent."""
    try:
        # Not message.send(): a message that carries its connection is copied with it.
        connection.send_messages([message])
    except smtplib.SMTPRecipientsRefused as error:
        raise PermanentFailure(f"Recipient refused: {error.recipients}") from error
    except smtplib.SMTPResponseException as error:
        reason = f"SMTP {error.smtp_code}: {_text(error.smtp_error)}"
        if 400 <= error.smtp_code < 500:
            raise TemporaryFailure(reason) from error
        raise PermanentFailure(reason) from error
    except OSError as error:
        # Connection refused or dropped, time-outs, and SMTPServerDisconnected (an OSError).
        raise TemporaryFailure(f"{type(error).__name__}: {error}") from error


def _text(value) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)
