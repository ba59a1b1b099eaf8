"""The loopback SMTP server of loadtest/smtp.py, and pointing this process's e-mail at it."""

from loadtest.smtp import Accepted, LoopbackSMTPServer, ScriptedHandler, loopback_smtp_server

__all__ = ["Accepted", "LoopbackSMTPServer", "ScriptedHandler", "loopback_smtp_server"]


def mail_through(settings, server):
    """Point Django's e-mail in this process at ``server``; return its handler."""
    for name, value in server.email_settings().items():
        setattr(settings, name, value)
    return server.handler
