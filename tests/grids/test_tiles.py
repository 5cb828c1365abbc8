"""The offline base map: import_tiles unpacks an MBTiles file for Huizhou; /tiles/z/x/y.png serves the files."""

import sqlite3

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from grids.tiles import HUIZHOU_BBOX, tile_path, tile_range

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


def make_mbtiles(path, tiles):
    """An MBTiles 1.3 file holding `tiles` {(z, x, y_xyz): bytes} (rows stored TMS, as the format says)."""
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE metadata (name text, value text)")
        db.execute("CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer, tile_data blob)")
        for (z, x, y), data in tiles.items():
            db.execute("INSERT INTO tiles VALUES (?, ?, ?, ?)", (z, x, 2**z - 1 - y, data))
    return path


def huizhou_tile(z):
    x0, y0, _x1, _y1 = tile_range(HUIZHOU_BBOX, z)
    return z, x0, y0


@pytest.fixture
def tiles_dir(tmp_path, settings):
    settings.TILES_DIR = str(tmp_path / "tiles")
    return tmp_path / "tiles"


def signed_in(personas):
    client = Client()
    client.force_login(personas["dispatcher"])
    return client


def test_import_tiles_writes_the_tiles_inside_huizhou_as_xyz_files(tmp_path, tiles_dir):
    inside = huizhou_tile(12)
    beijing = (12, 3372, 1552)
    source = make_mbtiles(tmp_path / "city.mbtiles", {inside: PNG, beijing: PNG, huizhou_tile(13): b"not an image"})
    call_command("import_tiles", str(source))
    z, x, y = inside
    assert (tiles_dir / str(z) / str(x) / f"{y}.png").read_bytes() == PNG
    assert [p.relative_to(tiles_dir).as_posix() for p in tiles_dir.rglob("*.png")] == [f"{z}/{x}/{y}.png"]


def test_import_tiles_refuses_what_is_not_an_mbtiles_file(tmp_path, tiles_dir):
    junk = tmp_path / "junk.mbtiles"
    junk.write_bytes(b"hello")
    with pytest.raises(CommandError, match="not an MBTiles file"):
        call_command("import_tiles", str(junk))
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_tiles", str(tmp_path / "missing.mbtiles"))
    with pytest.raises(CommandError, match="--bbox"):
        call_command("import_tiles", str(junk), "--bbox", "1,2,3")


def test_a_tile_of_the_package_is_served_to_signed_in_users(tmp_path, tiles_dir, personas):
    z, x, y = huizhou_tile(11)
    call_command("import_tiles", str(make_mbtiles(tmp_path / "c.mbtiles", {(z, x, y): PNG})))
    response = signed_in(personas).get(f"/tiles/{z}/{x}/{y}.png")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG
    assert Client().get(f"/tiles/{z}/{x}/{y}.png").status_code == 302  # to the sign-in page


def test_a_jpeg_package_is_served_as_jpeg(tmp_path, tiles_dir, personas):
    z, x, y = huizhou_tile(10)
    jpeg = b"\xff\xd8\xff\xe0" + b"\x00" * 20
    call_command("import_tiles", str(make_mbtiles(tmp_path / "j.mbtiles", {(z, x, y): jpeg})))
    response = signed_in(personas).get(f"/tiles/{z}/{x}/{y}.png")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"


def test_a_missing_tile_is_a_404(tiles_dir, personas):
    client = signed_in(personas)
    assert client.get("/tiles/11/1700/890.png").status_code == 404
    assert client.get("/tiles/1/5/0.png").status_code == 404  # no such tile at zoom 1


def test_without_a_tile_package_every_tile_is_a_404(settings, personas):
    settings.TILES_DIR = ""
    assert signed_in(personas).get("/tiles/0/0/0.png").status_code == 404


@pytest.mark.parametrize(
    "url",
    ["/tiles/../../etc/passwd", "/tiles/..%2F..%2Fetc/0/0.png", "/tiles/0/0/..%2F..%2Fsecret.png", "/tiles/-1/0/0.png"],
)
def test_paths_outside_the_package_are_refused(tmp_path, tiles_dir, personas, url):
    (tmp_path / "secret.png").write_bytes(PNG)
    tiles_dir.mkdir()
    assert signed_in(personas).get(url).status_code == 404


def test_tile_paths_never_leave_the_package():
    assert tile_path("/srv/tiles", 2, 3, 1).as_posix() == "/srv/tiles/2/3/1.png"
    assert tile_path("/srv/tiles", 2, 4, 1) is None
    assert tile_path("/srv/tiles", 19, 0, 0) is None
