"""Parsing ids from user input: ASCII digits only ("²".isdigit() is true, int("²") is not)."""

import re

_ID = re.compile(r"[0-9]{1,18}")


def parse_id(value) -> int | None:
    """The integer id in `value`, or None when it is not one."""
    text = str(value).strip() if value is not None else ""
    return int(text) if _ID.fullmatch(text) else None
