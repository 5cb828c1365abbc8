"""The public portal (/public/): a resident reports a problem without an account, follows it and rates the result.

`services` writes (the report through cases' intake, the phone's one-time code, the rating, the SMS updates),
`selectors` reads what a follow link may show (the public timeline, the outcome photos), `views` and `forms` are
the pages. Cases enter as Source.PUBLIC, created by the system user settings.PUBLIC_PORTAL_USERNAME.
"""
