"""A decompression bomb costs the server almost nothing: the pixel budget is checked on the header, and what is
decoded stays within it. Each upload is measured in its own process (peak resident memory, which counts Pillow's
C buffers that tracemalloc does not see), above a baseline taken once the file is in memory."""

import io
import json
import struct
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
LIMIT_MB = 100
# 8000 × 5000: 40 megapixels, the size that used to take about 900 MB to decode.
WIDTH, HEIGHT = 8000, 5000

MEASURE = textwrap.dedent(
    """
    import io, json, os, resource, sys
    os.environ["DJANGO_SETTINGS_MODULE"] = "huizhou_cityops.settings.test"
    import django
    django.setup()
    from cases.photos import PhotoError, photo_process
    data = open(sys.argv[1], "rb").read()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        result = photo_process(upload=io.BytesIO(data))
        outcome = {"size": [result.width, result.height]}
    except PhotoError as error:
        outcome = {"refused": error.code, "message": error.message}
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({**outcome, "grown_mb": (after - before) / 1024}))
    """
)


def _png(width, height, colour=(90, 120, 60)) -> bytes:
    """A real, fully decodable RGB PNG built row by row, so making it costs no image-sized memory here."""
    row = b"\x00" + bytes(colour) * width
    packer = zlib.compressobj(9)
    pixels = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def _jpeg(path, width, height):
    """Encoding needs the whole image in memory: do it in a process of its own."""
    script = f"from PIL import Image; Image.new('RGB', ({width}, {height}), (90, 120, 60)).save({str(path)!r}, 'JPEG')"
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)


def _measure(path) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_header_of_a_40_megapixel_png_gives_its_size_without_decoding():
    im = Image.open(io.BytesIO(_png(WIDTH, HEIGHT)))
    assert im.size == (WIDTH, HEIGHT) and im.tile  # the pixels are still to be read


def test_a_40_megapixel_png_is_refused_from_its_header_within_the_memory_budget(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(_png(WIDTH, HEIGHT))
    outcome = _measure(path)
    assert outcome["refused"] == "too_many_pixels"
    assert "8000 × 5000" in outcome["message"]
    assert outcome["grown_mb"] < LIMIT_MB


def test_a_40_megapixel_jpeg_is_accepted_at_reduced_scale_within_the_memory_budget(tmp_path):
    path = tmp_path / "camera.jpg"
    _jpeg(path, WIDTH, HEIGHT)
    outcome = _measure(path)
    assert outcome["size"] == [2560, 1600]
    assert outcome["grown_mb"] < LIMIT_MB


@pytest.mark.django_db
def test_the_api_answers_an_image_over_the_budget_with_a_clear_400(cases, personas, settings):
    from rest_framework.test import APIClient

    from cases.models import Case

    settings.PHOTO_MAX_PIXELS = 1_000_000
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(personas["grid_worker"])
    upload = io.BytesIO(_png(1500, 1000))
    upload.name = "big.png"
    before = Case.objects.count()
    payload = {"category": "E0102", "description": "x", "lon": cases.lon, "lat": cases.lat, "photos": [upload]}
    response = client.post("/api/v1/cases/", payload, format="multipart")
    assert response.status_code == 400
    assert response.json() == {
        "photos": ["The photo is 1500 × 1000 pixels, more than the limit of 1 megapixels. Upload a smaller photo."],
        "code": "too_many_pixels",
    }
    assert Case.objects.count() == before
