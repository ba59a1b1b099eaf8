"""The admin as a signed-in user sees it, and the refusals it logs."""


def as_user(client, user):
    """Return the test client signed in as ``user``."""
    client.force_login(user)
    return client


def refusals(caplog):
    """Return the admin's refusals logged to roadmap.security, each naming milestone ids."""
    messages = [r.getMessage() for r in caplog.records if r.name == "roadmap.security"]
    return [m for m in messages if "milestone ids=" in m]
