"""Photo validation, re-encoding and storage (cases/photos.py). DB-free: every image is made in memory."""

import io
import struct
import zlib
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import ExifTags, Image, ImageCms

from cases import photos
from cases.photos import PhotoError, ProcessedPhoto, photo_process, photo_store

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _english():
    # The messages are English msgids; the site default is zh-hans, so pin the language the assertions read.
    with translation.override("en"):
        yield


def _image_bytes(im: Image.Image, fmt: str, **params) -> bytes:
    out = io.BytesIO()
    im.save(out, fmt, **params)
    return out.getvalue()


def _two_colour(size=(40, 20)) -> Image.Image:
    """Left half red, right half blue: shows where the pixels went after a rotation."""
    im = Image.new("RGB", size, (255, 0, 0))
    im.paste((0, 0, 255), (size[0] // 2, 0, size[0], size[1]))
    return im


def _exif(*, original=None, offset=None, datetime_ifd0=None, orientation=None, gps=False) -> Image.Exif:
    exif = Image.Exif()
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    if datetime_ifd0:
        exif[ExifTags.Base.DateTime] = datetime_ifd0
    if original or offset:
        sub = exif.get_ifd(ExifTags.IFD.Exif)
        if original:
            sub[ExifTags.Base.DateTimeOriginal] = original
        if offset:
            sub[ExifTags.Base.OffsetTimeOriginal] = offset
    if gps:
        gps_ifd = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps_ifd[ExifTags.GPS.GPSLatitudeRef] = "N"
        gps_ifd[ExifTags.GPS.GPSLatitude] = (23.0, 6.0, 42.0)
        gps_ifd[ExifTags.GPS.GPSLongitudeRef] = "E"
        gps_ifd[ExifTags.GPS.GPSLongitude] = (114.0, 24.0, 36.0)
    return exif


def _jpeg_markers(data: bytes) -> list[int]:
    """The marker bytes of every segment before the image data (APPn, COM, DQT, SOF...)."""
    assert data[:2] == b"\xff\xd8"
    markers, pos = [], 2
    while pos < len(data):
        marker = data[pos + 1]
        markers.append(marker)
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            break
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        pos += 2 + length
    return markers


def _png_declaring(width: int, height: int) -> bytes:
    """A tiny valid PNG whose header claims width × height: a decompression bomb's shape, cheap to build."""
    data = bytearray(_image_bytes(Image.new("1", (1, 1)), "PNG"))
    ihdr = 8  # after the PNG signature: length(4) type(4) data(13) crc(4)
    data[ihdr + 8 : ihdr + 16] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[ihdr + 4 : ihdr + 21]))
    data[ihdr + 21 : ihdr + 25] = struct.pack(">I", crc)
    return bytes(data)


def _error(data: bytes, **limits) -> PhotoError:
    with pytest.raises(PhotoError) as info:
        photo_process(upload=io.BytesIO(data), **limits)
    error = info.value
    assert str(error) == error.message
    assert error.message[0].isupper() and error.message.endswith("."), "a clear sentence for the user"
    return error


def test_a_camera_jpeg_loses_all_metadata_and_gps_but_keeps_its_capture_time_and_orientation():
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    exif = _exif(original="2024:05:01 09:30:00", orientation=6, gps=True)
    data = _image_bytes(_two_colour((40, 20)), "JPEG", exif=exif, icc_profile=srgb, comment=b"secret")

    result = photo_process(upload=SimpleUploadedFile("IMG_0001.JPG", data, content_type="image/jpeg"))

    stored = result.image.read()
    assert not Image.open(io.BytesIO(stored)).getexif()
    assert _jpeg_markers(stored)[0] == 0xE0  # JFIF header only: no APP1 (EXIF/XMP), APP2 (ICC) or COM
    assert not {m for m in _jpeg_markers(stored) if 0xE1 <= m <= 0xEF or m == 0xFE}
    assert b"Exif" not in stored and b"GPS" not in stored
    assert (result.width, result.height) == (20, 40)  # Orientation=6: rotate 90° clockwise for display
    upright = Image.open(io.BytesIO(stored)).convert("RGB")
    assert upright.getpixel((10, 5))[0] > 200 and upright.getpixel((10, 34))[2] > 200  # red on top, blue below
    assert result.captured_at == datetime(2024, 5, 1, 9, 30, tzinfo=SHANGHAI)
    assert result.captured_at.utcoffset().total_seconds() == 8 * 3600
    assert result.original_name == "IMG_0001.JPG"
    assert (result.content_type, result.source_format) == ("image/jpeg", "JPEG")


def test_offset_time_original_is_honoured_and_converted_to_shanghai_time():
    exif = _exif(original="2024:05:01 09:30:00", offset="+02:00")
    result = photo_process(upload=io.BytesIO(_image_bytes(_two_colour(), "JPEG", exif=exif)))
    assert result.captured_at == datetime(2024, 5, 1, 15, 30, tzinfo=SHANGHAI)
    assert result.captured_at.tzinfo == SHANGHAI


def test_ifd0_datetime_is_used_when_there_is_no_datetime_original():
    exif = _exif(datetime_ifd0="2023:12:31 23:59:59")
    result = photo_process(upload=io.BytesIO(_image_bytes(_two_colour(), "JPEG", exif=exif)))
    assert result.captured_at == datetime(2023, 12, 31, 23, 59, 59, tzinfo=SHANGHAI)


@pytest.mark.parametrize("value", ["0000:00:00 00:00:00", "not a date", "    "])
def test_an_unset_or_garbled_capture_time_is_none(value):
    exif = _exif(original=value)
    result = photo_process(upload=io.BytesIO(_image_bytes(_two_colour(), "JPEG", exif=exif)))
    assert result.captured_at is None


def test_a_photo_without_exif_has_no_capture_time():
    result = photo_process(upload=io.BytesIO(_image_bytes(_two_colour(), "JPEG")))
    assert result.captured_at is None


def test_a_transparent_png_becomes_a_jpeg_flattened_onto_white():
    im = Image.new("RGBA", (30, 30), (0, 0, 0, 0))
    im.paste((0, 128, 0, 255), (0, 0, 15, 30))
    result = photo_process(upload=SimpleUploadedFile("sign.png", _image_bytes(im, "PNG"), content_type="image/png"))

    out = Image.open(io.BytesIO(result.image.read()))
    assert (out.format, out.mode, result.source_format) == ("JPEG", "RGB", "PNG")
    assert min(out.getpixel((25, 15))) > 245  # was transparent: now white, not black
    assert out.getpixel((5, 15))[1] > 100


@pytest.mark.parametrize(
    ("mode", "fmt", "colour"),
    [("CMYK", "JPEG", (0, 0, 0, 0)), ("P", "PNG", 3), ("LA", "PNG", (200, 128)), ("L", "WEBP", 90)],
)
def test_other_colour_modes_and_webp_come_out_as_rgb_jpeg(mode, fmt, colour):
    data = _image_bytes(Image.new(mode, (16, 12), colour), fmt)
    result = photo_process(upload=io.BytesIO(data))
    out = Image.open(io.BytesIO(result.image.read()))
    assert (out.format, out.mode, out.size) == ("JPEG", "RGB", (16, 12))


def test_a_16_bit_greyscale_png_is_scaled_not_clipped_to_white():
    data = _image_bytes(Image.new("I;16", (8, 8), 32768), "PNG")
    out = Image.open(io.BytesIO(photo_process(upload=io.BytesIO(data)).image.read()))
    assert 110 < out.getpixel((4, 4))[0] < 145


def test_a_large_photo_is_capped_at_2560_px_and_its_thumbnail_at_320_px():
    result = photo_process(upload=io.BytesIO(_image_bytes(_two_colour((3000, 1000)), "PNG")))

    assert (result.width, result.height) == (2560, 853)
    assert Image.open(io.BytesIO(result.image.read())).size == (2560, 853)
    thumb = Image.open(io.BytesIO(result.thumbnail.read()))
    assert thumb.format == "JPEG" and max(thumb.size) == 320
    assert not thumb.getexif()


def test_a_large_camera_jpeg_is_decoded_at_reduced_scale_and_still_capped_exactly_at_2560_px():
    result = photo_process(upload=io.BytesIO(_image_bytes(_two_colour((6000, 4000)), "JPEG")))
    assert (result.width, result.height) == (2560, 1707)


def test_a_multi_picture_jpeg_from_a_phone_is_accepted_as_jpeg():
    data = _image_bytes(_two_colour(), "MPO", save_all=True, append_images=[_two_colour()])
    assert Image.open(io.BytesIO(data)).format == "MPO"
    result = photo_process(upload=io.BytesIO(data))
    assert (result.source_format, result.width) == ("JPEG", 40)


def test_a_small_photo_is_not_enlarged_and_its_thumbnail_stays_within_320_px():
    result = photo_process(upload=io.BytesIO(_image_bytes(_two_colour((200, 100)), "JPEG")))
    assert (result.width, result.height) == (200, 100)
    assert max(Image.open(io.BytesIO(result.thumbnail.read())).size) <= 320


def test_the_sha256_and_size_describe_the_stored_bytes():
    import hashlib

    result = photo_process(upload=io.BytesIO(_image_bytes(_two_colour(), "JPEG")))
    stored = result.image.read()
    assert result.sha256 == hashlib.sha256(stored).hexdigest()
    assert result.size_bytes == len(stored)


def test_a_text_file_named_jpg_is_not_an_image():
    upload = SimpleUploadedFile("photo.jpg", b"hello, this is not a photo\n" * 10, content_type="image/jpeg")
    with pytest.raises(PhotoError) as info:
        photo_process(upload=upload)
    assert info.value.code == "not_an_image"
    assert "not an image" in info.value.message


def test_an_empty_file_is_not_an_image():
    assert _error(b"").code == "not_an_image"


def test_a_gif_is_an_unsupported_format():
    error = _error(_image_bytes(Image.new("P", (4, 4)), "GIF"))
    assert error.code == "unsupported_format"
    assert "GIF" in error.message and "JPEG" in error.message


def test_a_truncated_jpeg_is_corrupt():
    data = _image_bytes(Image.effect_noise((300, 300), 64).convert("RGB"), "JPEG")
    assert _error(data[: len(data) // 2]).code == "corrupt"


def test_a_png_with_a_broken_checksum_is_corrupt():
    data = bytearray(_image_bytes(Image.effect_noise((64, 64), 64), "PNG"))
    data[-30] ^= 0xFF  # inside the IDAT chunk
    assert _error(bytes(data)).code == "corrupt"


def test_an_upload_larger_than_the_limit_is_refused_without_reading_or_decoding_it(monkeypatch):
    class DeclaredBig:
        name, size = "big.jpg", 2000

        def read(self, *args):
            raise AssertionError("the declared size is enough: must not read")

    monkeypatch.setattr(photos.Image, "open", lambda *a, **k: pytest.fail("must not decode"))
    upload = DeclaredBig()

    with pytest.raises(PhotoError) as info:
        photo_process(upload=upload, max_bytes=1000)
    assert info.value.code == "too_large"
    assert "1000\xa0bytes" in info.value.message or "1000 bytes" in info.value.message


def test_a_stream_without_a_size_is_read_only_up_to_one_byte_past_the_limit(monkeypatch):
    monkeypatch.setattr(photos.Image, "open", lambda *a, **k: pytest.fail("must not decode"))
    stream = io.BytesIO(b"x" * 10_000)
    assert _error(stream.getvalue(), max_bytes=1000).code == "too_large"

    with pytest.raises(PhotoError):
        photo_process(upload=stream, max_bytes=1000)
    assert stream.tell() == 1001


def test_the_default_size_limit_comes_from_settings(settings):
    settings.PHOTO_MAX_BYTES = 1000
    data = _image_bytes(Image.effect_noise((64, 64), 64), "PNG")
    assert len(data) > 1000
    assert _error(data).code == "too_large"


def test_an_image_over_the_pixel_limit_is_refused():
    error = _error(_image_bytes(_two_colour((40, 30)), "PNG"), max_pixels=1000)
    assert error.code == "too_many_pixels"
    assert "40 × 30" in error.message


def test_a_tiny_file_declaring_8000_by_8000_pixels_is_refused_before_decoding(settings):
    settings.PHOTO_MAX_PIXELS = 40_000_000
    error = _error(_png_declaring(8000, 8000))
    assert error.code == "too_many_pixels"
    assert "8000 × 8000" in error.message and "40 megapixels" in error.message


def test_a_file_over_pillows_own_bomb_limit_is_too_many_pixels_even_with_a_huge_setting():
    assert _error(_png_declaring(20_000, 20_000), max_pixels=10**12).code == "too_many_pixels"


def test_heif_is_accepted_only_when_a_plugin_registered_it():
    assert ("HEIF" in photos.accepted_formats()) == ("HEIF" in Image.OPEN)
    assert {"JPEG", "PNG", "WEBP"} <= set(photos.accepted_formats())


@pytest.mark.parametrize(
    ("name", "expected"),
    [("C:\\Users\\li\\现场 照片.jpg", "现场_照片.jpg"), ("../../etc/passwd", "passwd"), ("..", ""), (None, "")],
)
def test_the_original_name_is_a_plain_file_name(name, expected):
    class Upload(io.BytesIO):
        pass

    upload = Upload(_image_bytes(_two_colour(), "JPEG"))
    upload.name = name
    assert photo_process(upload=upload).original_name == expected


# --- storage ---------------------------------------------------------------------------------------------------


@pytest.fixture
def processed() -> ProcessedPhoto:
    return photo_process(upload=io.BytesIO(_image_bytes(_two_colour((640, 480)), "JPEG")))


def test_photo_store_saves_both_files_under_content_addressed_names(tmp_path, processed):
    storage = FileSystemStorage(location=tmp_path)

    image_name, thumbnail_name = photo_store(processed=processed, storage=storage)

    sha = processed.sha256
    assert image_name == f"cases/photos/{sha[:2]}/{sha[2:4]}/{sha}.jpg"
    assert thumbnail_name == f"cases/photos/{sha[:2]}/{sha[2:4]}/{sha}_thumb.jpg"
    processed.image.seek(0)
    assert (tmp_path / image_name).read_bytes() == processed.image.read()
    assert max(Image.open(tmp_path / thumbnail_name).size) == 320


def test_photo_store_is_idempotent(tmp_path, processed, monkeypatch):
    storage = FileSystemStorage(location=tmp_path)
    first = photo_store(processed=processed, storage=storage, prefix="evidence")

    monkeypatch.setattr(storage, "save", lambda *a, **k: pytest.fail("an existing file must not be rewritten"))
    again = photo_store(processed=processed, storage=storage, prefix="evidence/")

    assert again == first
    assert first[0].startswith("evidence/")
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*.jpg")) == sorted(first)


def test_photo_store_keeps_one_file_when_a_concurrent_request_saved_it_first(tmp_path, processed):
    class RacingStorage(FileSystemStorage):
        checked = set()

        def exists(self, name):
            if name in self.checked:
                return super().exists(name)
            self.checked.add(name)
            return False  # as if the other request wrote the file just after our check

    storage = RacingStorage(location=tmp_path)
    photo_store(processed=processed, storage=FileSystemStorage(location=tmp_path))

    names = photo_store(processed=processed, storage=storage)

    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*.jpg")) == sorted(names)


def test_photo_store_uses_the_default_storage_when_none_is_given(tmp_path, settings, processed):
    settings.MEDIA_ROOT = str(tmp_path)
    image_name, _ = photo_store(processed=processed)
    assert (tmp_path / image_name).is_file()
