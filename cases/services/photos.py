from cases.models import CasePhoto
from cases.photos import photo_process, photo_store


def photos_prepare(uploads):
    """Validate and re-encode uploads before any database work; a bad one raises PhotoError for all."""
    return [photo_process(upload=upload) for upload in uploads]


def photos_store(processed):
    """Write processed photos to storage (content-addressed, so a rolled-back case leaves only reusable files).

    Done before the case's transaction: slow storage must not hold the case row or the day's number lock.
    """
    return [(photo, *photo_store(processed=photo)) for photo in processed]


def photos_attach(*, case, event, kind, stored, actor, now):
    """Link stored photos to the case and to the event that brought them."""
    rows = [
        CasePhoto(
            case=case,
            event=event,
            kind=kind,
            image=image_name,
            thumbnail=thumb_name,
            captured_at=photo.captured_at,
            width=photo.width,
            height=photo.height,
            size_bytes=photo.image.size,
            sha256=photo.sha256,
            uploaded_by=actor,
            uploaded_at=now,
        )
        for photo, image_name, thumb_name in stored
    ]
    return CasePhoto.objects.bulk_create(rows)
