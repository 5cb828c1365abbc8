"""The HTML pages of the command centre and the department workspace, kept apart from dispatch's domain code.

`command` (the centre: queues, map, counts, orders), `dept` (the department's board), `panel` (the case panel and
its action forms, shared by both), `access` (who may open which page), `forms` (their filters and order form),
`selectors` (what the pages read). They call dispatch's and cases' selectors and services; nothing below imports
them (import-linter's layers contract).
"""
