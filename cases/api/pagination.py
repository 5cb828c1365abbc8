"""Cursor pages for every API list: a broken page link is a 400 with a message, not a 404."""

from django.utils.translation import gettext as _
from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError


class CursorPagination(pagination.CursorPagination):
    """DRF's cursor pages, newest first, 50 a page; a cursor that does not decode is refused with a field message."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def decode_cursor(self, request):
        # DRF answers an undecodable cursor with 404, which would read as "no such list".
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationError(
                {"cursor": [_("This page link is not valid; start again from the first page.")]}
            ) from None
