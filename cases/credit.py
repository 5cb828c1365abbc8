"""Management credit (管理征信) identifiers, pure: the unified social credit code's check character (GB 32100-2015),
the resident ID number's check digit (GB 11643-1999), and the salted hash and masked form an ID number is kept as."""

import hashlib
import hmac

from django.conf import settings

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, S, V, Z
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def uscc_normal(code: str) -> str:
    return str(code or "").strip().upper()


def uscc_valid(code: str) -> bool:
    """Whether `code` is an 18-character unified social credit code with the right check character."""
    code = uscc_normal(code)
    if len(code) != 18 or any(c not in USCC_CHARSET for c in code):
        return False
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(code[:17], USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31] == code[17]


def id_normal(number: str) -> str:
    return str(number or "").strip().upper()


def id_valid(number: str) -> bool:
    """Whether `number` is an 18-character resident ID number with the right check digit."""
    number = id_normal(number)
    if len(number) != 18 or not number[:17].isascii() or not number[:17].isdigit():
        return False
    total = sum(int(c) * w for c, w in zip(number[:17], ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11] == number[17]


def id_hash(number: str) -> str:
    """HMAC-SHA256 of the ID number under settings.CREDIT_ID_SALT: finds the same person again, reveals nothing."""
    key = settings.CREDIT_ID_SALT.encode()
    return hmac.new(key, id_normal(number).encode(), hashlib.sha256).hexdigest()


def id_mask(number: str) -> str:
    """The only readable form kept: the first four and the last two characters (4413************2X)."""
    number = id_normal(number)
    return number[:4] + "*" * (len(number) - 6) + number[-2:]
