"""Sign-in protection and its record: client address behind trusted proxies, lockout, API tokens, security events."""
