"""Progress lines for commands; services stay silent when no stream is given."""


def say(stdout, message: str) -> None:
    """Write one line to `stdout` (a Django OutputWrapper, a file or None)."""
    if stdout is not None:
        stdout.write(message if message.endswith("\n") else message + "\n")
