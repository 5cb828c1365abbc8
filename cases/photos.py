"""Case photos: validate an upload by its content, re-encode it without metadata, make a thumbnail, store it.

`photo_process` is pure (bytes in, `ProcessedPhoto` out, no database, no storage); `photo_store` writes the two
files through Django's storage API under content-addressed names. A caller stores the result in `CasePhoto`:

    processed = photo_process(upload=request.FILES["photo"])
    image_name, thumbnail_name = photo_store(processed=processed)
    CasePhoto(image=image_name, thumbnail=thumbnail_name, captured_at=processed.captured_at,
              width=processed.width, height=processed.height, size_bytes=processed.size_bytes,
              sha256=processed.sha256, ...)

Files are shared by every row with the same sha256, so deleting a row must not delete its files.
"""

import contextlib
import hashlib
import io
import math
import re
import struct
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, default_storage
from django.template.defaultfilters import filesizeformat
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from PIL import ExifTags, Image, ImageCms, ImageOps, UnidentifiedImageError

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_PIXELS = 13_000_000
MAX_SIDE = 2560
THUMBNAIL_SIDE = 320
JPEG_QUALITY = 85
THUMBNAIL_QUALITY = 80
CONTENT_TYPE = "image/jpeg"
SHANGHAI = ZoneInfo("Asia/Shanghai")

# Pillow's JPEG opener also yields "MPO" (the multi-picture JPEG many phones write): a JPEG for our purposes.
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
# HEIF only decodes when a plugin (pillow-heif) has registered it; Pillow alone cannot read it.
OPTIONAL_FORMATS = ("HEIF",)

# Errors a decoder raises on a damaged file: truncated data, bad chunk CRCs, impossible headers.
DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, KeyError, struct.error)

_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")


class PhotoError(ValueError):
    """An upload that is not an acceptable photo; `message` is for the user, `code` for machines."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ProcessedPhoto:
    """A photo re-encoded as metadata-free JPEG, its thumbnail and the facts the CasePhoto row keeps."""

    image: ContentFile
    thumbnail: ContentFile
    captured_at: datetime | None
    width: int
    height: int
    size_bytes: int
    sha256: str
    original_name: str
    source_format: str
    content_type: str = CONTENT_TYPE


def accepted_formats() -> tuple[str, ...]:
    Image.init()
    return ACCEPTED_FORMATS + tuple(f for f in OPTIONAL_FORMATS if f in Image.OPEN)


def photo_process(*, upload, max_bytes: int | None = None, max_pixels: int | None = None) -> ProcessedPhoto:
    """Validate an uploaded photo by content and re-encode it; raises PhotoError. No side effects."""
    if max_bytes is None:
        max_bytes = getattr(settings, "PHOTO_MAX_BYTES", DEFAULT_MAX_BYTES)
    if max_pixels is None:
        max_pixels = getattr(settings, "PHOTO_MAX_PIXELS", DEFAULT_MAX_PIXELS)
    data = _read_limited(upload, max_bytes)
    im, source_format = _decode(data, max_pixels)
    captured_at = _captured_at(im)
    im = _to_srgb(_upright(_shrink(im)))
    im.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    image_bytes = _encode(im, quality=JPEG_QUALITY)
    thumb = im.copy()
    thumb.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    sha256 = hashlib.sha256(image_bytes).hexdigest()
    return ProcessedPhoto(
        image=ContentFile(image_bytes, name=f"{sha256}.jpg"),
        thumbnail=ContentFile(_encode(thumb, quality=THUMBNAIL_QUALITY), name=f"{sha256}_thumb.jpg"),
        captured_at=captured_at,
        width=im.width,
        height=im.height,
        size_bytes=len(image_bytes),
        sha256=sha256,
        original_name=_original_name(upload),
        source_format=source_format,
    )


def photo_store(*, processed: ProcessedPhoto, storage: Storage | None = None, prefix: str = "cases/photos/"):
    """Save image and thumbnail under content-addressed names; idempotent. Returns (image_name, thumbnail_name)."""
    storage = default_storage if storage is None else storage
    sha = processed.sha256
    base = f"{prefix.rstrip('/')}/{sha[:2]}/{sha[2:4]}/{sha}"
    image_name = _save_once(storage, f"{base}.jpg", processed.image)
    thumbnail_name = _save_once(storage, f"{base}_thumb.jpg", processed.thumbnail)
    return image_name, thumbnail_name


# --- reading and decoding -----------------------------------------------------------------------------------


def _read_limited(upload, max_bytes: int) -> bytes:
    """Read at most max_bytes + 1 bytes, so an oversized upload is refused without reading or decoding it all."""
    size = getattr(upload, "size", None)
    if isinstance(size, int) and size > max_bytes:
        raise _too_large(max_bytes)
    with contextlib.suppress(AttributeError, OSError, ValueError):
        upload.seek(0)  # a form's ImageField may already have read the file
    chunks, total = [], 0
    while total <= max_bytes:
        chunk = upload.read(max_bytes + 1 - total)
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    if total > max_bytes:
        raise _too_large(max_bytes)
    return b"".join(chunks)


def _decode(data: bytes, max_pixels: int) -> tuple[Image.Image, str]:
    """Identify, check the declared size against the pixel limit before decoding, verify, then fully decode."""
    formats = accepted_formats()
    im = _open(data, formats)
    width, height = im.size
    # The budget counts the pixels that will be decoded, which is what costs memory (about 4 bytes each, twice
    # over while the photo is shrunk): a JPEG at the scale draft() picks from its header, others at full size.
    # Pillow's own bomb guard is a process-wide global; checking here keeps the limit per call (and thread-safe)
    # and refuses before a single pixel is decoded.
    _draft(im, width, height)
    if im.size[0] * im.size[1] > max_pixels:
        raise _too_many_pixels(max_pixels, width, height)
    try:
        im.verify()
        im = Image.open(io.BytesIO(data), formats=formats)
        source_format = im.format
        _draft(im, width, height)
        im.load()
    except Image.DecompressionBombError as exc:
        raise _too_many_pixels(max_pixels, width, height) from exc
    except DECODE_ERRORS as exc:
        raise PhotoError(
            "corrupt", _("The photo is damaged or incomplete and cannot be read. Upload it again.")
        ) from exc
    return im, "JPEG" if source_format == "MPO" else source_format


def _draft(im: Image.Image, width: int, height: int) -> None:
    """Ask a JPEG to decode at 1/2, 1/4 or 1/8 scale, never below MAX_SIDE; other formats ignore draft()."""
    if max(width, height) > MAX_SIDE:
        ratio = MAX_SIDE / max(width, height)
        im.draft(None, (math.ceil(width * ratio), math.ceil(height * ratio)))


def _open(data: bytes, formats: tuple[str, ...]) -> Image.Image:
    """Open (header only) among accepted formats; tell an image of another format from something else entirely."""
    try:
        return Image.open(io.BytesIO(data), formats=formats)
    except Image.DecompressionBombError as exc:
        raise PhotoError("too_many_pixels", _("The photo has too many pixels. Upload a smaller photo.")) from exc
    except (UnidentifiedImageError, *DECODE_ERRORS):
        pass
    try:
        # Header parsing only (never load()): names the format for the message without decoding untrusted data.
        other = Image.open(io.BytesIO(data)).format
    except Exception:
        other = None
    names = ", ".join(formats)
    if other:
        raise PhotoError(
            "unsupported_format",
            _("%(format)s images are not accepted. Upload a photo in one of these formats: %(formats)s.")
            % {"format": other, "formats": names},
        )
    raise PhotoError(
        "not_an_image",
        _("The file is not an image. Upload a photo in one of these formats: %(formats)s.") % {"formats": names},
    )


def _too_large(max_bytes: int) -> PhotoError:
    return PhotoError(
        "too_large",
        _("The photo is too large. Upload a file of at most %(limit)s.") % {"limit": filesizeformat(max_bytes)},
    )


def _too_many_pixels(max_pixels: int, width: int, height: int) -> PhotoError:
    return PhotoError(
        "too_many_pixels",
        _(
            "The photo is %(width)s × %(height)s pixels, more than the limit of %(limit)s megapixels. "
            "Upload a smaller photo."
        )
        % {"width": width, "height": height, "limit": f"{max_pixels / 1_000_000:g}"},
    )


# --- capture time ---------------------------------------------------------------------------------------------


def _captured_at(im: Image.Image) -> datetime | None:
    """EXIF DateTimeOriginal (else DateTime) as an aware Asia/Shanghai datetime; None when absent or malformed."""
    try:
        exif = im.getexif()
        sub = exif.get_ifd(ExifTags.IFD.Exif)
    except DECODE_ERRORS:
        return None
    candidates = (
        (sub.get(ExifTags.Base.DateTimeOriginal), sub.get(ExifTags.Base.OffsetTimeOriginal)),
        (exif.get(ExifTags.Base.DateTime), sub.get(ExifTags.Base.OffsetTime)),
    )
    for value, offset in candidates:
        parsed = _parse_exif_datetime(value, offset)
        if parsed is not None:
            return parsed
    return None


def _parse_exif_datetime(value, offset) -> datetime | None:
    text = _exif_text(value)
    if not text:
        return None
    try:
        naive = datetime.strptime(text[:19].replace("-", ":"), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None  # includes the "0000:00:00 00:00:00" cameras write when the clock was never set
    match = _OFFSET.match(_exif_text(offset))
    if match:
        sign, hours, minutes = match.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes))
        if delta <= timedelta(hours=14):
            tz = timezone(-delta if sign == "-" else delta)
            return naive.replace(tzinfo=tz).astimezone(SHANGHAI)
    # No (valid) offset: EXIF time is the camera's wall clock, and our cameras are in Huizhou.
    return naive.replace(tzinfo=SHANGHAI)


def _exif_text(value) -> str:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    return value.strip("\x00 ") if isinstance(value, str) else ""


# --- pixels -------------------------------------------------------------------------------------------------------


def _shrink(im: Image.Image) -> Image.Image:
    """Bring the long side down to MAX_SIDE first, so later steps never copy the full-size pixels."""
    # Palette, 1-bit and 16-bit images are shrunk after their conversion to RGB: resizing them directly would
    # pick nearest pixels or lose precision.
    if im.mode in ("RGB", "RGBA", "L", "LA", "CMYK"):
        im.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    return im


def _upright(im: Image.Image) -> Image.Image:
    """Apply the EXIF orientation to the pixels (in place: no copy); a malformed EXIF block is ignored."""
    with contextlib.suppress(DECODE_ERRORS):
        ImageOps.exif_transpose(im, in_place=True)
    return im


def _to_srgb(im: Image.Image) -> Image.Image:
    """Any mode to plain RGB: 16-bit scaled down, transparency flattened onto white, ICC profile applied."""
    icc = im.info.get("icc_profile")
    if im.mode.startswith("I;16") or im.mode in ("I", "F"):
        im = im.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    if im.mode in ("RGBA", "LA", "PA", "La", "RGBa") or (im.mode in ("P", "L", "RGB") and "transparency" in im.info):
        rgba = im.convert("RGBA")
        im = Image.new("RGB", rgba.size, (255, 255, 255))
        im.paste(rgba, mask=rgba.getchannel("A"))
    if icc and im.mode in ("RGB", "CMYK"):
        # The profile is dropped with the rest of the metadata, so bake it into the pixels first (wide-gamut
        # phone photos and CMYK scans would otherwise show wrong colours).
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            im = ImageCms.profileToProfile(im, source, ImageCms.createProfile("sRGB"), outputMode="RGB")
        except (ImageCms.PyCMSError, *DECODE_ERRORS):
            pass
    return im if im.mode == "RGB" else im.convert("RGB")


def _encode(im: Image.Image, *, quality: int) -> bytes:
    """JPEG with no metadata at all: no EXIF (so no GPS), no XMP, no ICC, no comments."""
    clean = im.copy()
    clean.info = {}
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=quality, optimize=True, progressive=True)
    return out.getvalue()


# --- names and storage --------------------------------------------------------------------------------------------


def _original_name(upload) -> str:
    name = getattr(upload, "name", None) or ""
    name = str(name).replace("\\", "/").rsplit("/", 1)[-1]
    try:
        return get_valid_filename(name)[:200]
    except SuspiciousFileOperation:  # raised for names like "" or ".."
        return ""


def _save_once(storage: Storage, name: str, content: ContentFile) -> str:
    if storage.exists(name):
        return name
    saved = storage.save(name, content)
    if saved != name:
        # A concurrent request saved the same content first and the storage picked a new name for ours; the
        # bytes are identical by construction, so keep the canonical file and drop the copy.
        storage.delete(saved)
    return name
