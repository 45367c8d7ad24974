"""The image plugin (mmrag_image) on pictures made at test time: labels, EXIF,
thumbnails, OCR, hostile files, scanned PDF pages. Real models throughout (the
EfficientNet-Lite0 classifier converted from its PyTorch checkpoint, RapidOCR)."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

import mmrag_image
from mmrag_desktop.interfaces import ExtractContext, ExtractionError
from mmrag_desktop.testing import run_hook
from mmrag_image import picture as pic
from mmrag_image.pth import load_state_dict


def _extractor(ext: str):  # type: ignore[no-untyped-def]
    found = [e for e in run_hook("register_extractors", mmrag_image) if ext in e.extensions]
    return max(found, key=lambda e: e.priority)


def _photo_like(seed: int = 0) -> Image.Image:
    """Smooth colour waves and blobs: a picture with no text in it."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:240, 0:320]
    channels = [np.sin(x / rng.uniform(20, 60) + rng.uniform(0, 6)) + np.cos(y / rng.uniform(20, 60)) for _ in range(3)]
    array = ((np.stack(channels, axis=-1) + 2) * 63).astype(np.uint8)
    image = Image.fromarray(array)
    draw = ImageDraw.Draw(image)
    for _ in range(6):  # shapes give the picture structure at every scale, as photos have
        x, y = rng.integers(0, 280), rng.integers(0, 200)
        box = (x, y, x + rng.integers(20, 90), y + rng.integers(20, 90))
        draw.ellipse(box, fill=tuple(int(v) for v in rng.integers(0, 255, 3)))
    return image


@pytest.fixture
def media_ctx(tmp_path: Path) -> ExtractContext:
    return ExtractContext(chunk_tokens=128, overlap_tokens=8, media_dir=tmp_path / "media")


def test_checkpoint_reader_gives_the_classifier_weights() -> None:
    from mmrag_desktop.models import verify

    (checkpoint,) = verify("efficientnet-lite0")
    weights = load_state_dict(checkpoint)
    assert weights["_conv_stem.weight"].shape == (32, 3, 3, 3)
    assert weights["_fc.weight"].shape == (1000, 1280)
    assert weights["_conv_stem.weight"].flags["C_CONTIGUOUS"]
    assert np.isfinite(weights["_fc.weight"]).all()


def test_picture_with_exif_thumbnail_and_labels(tmp_path: Path, media_ctx: ExtractContext) -> None:
    image = _photo_like().resize((1600, 1200))
    exif = Image.Exif()
    exif[271], exif[272] = "Canon", "EOS 5D"
    exif.get_ifd(0x8769)[36867] = "2021:07:04 10:30:00"
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)})
    path = tmp_path / "holiday.jpg"
    image.save(path, exif=exif)
    items = list(_extractor(".jpg").extract(path, media_ctx))
    (visual,) = [i for i in items if i.modality == "image"]
    assert visual.kind == "image"
    meta = visual.meta
    assert (meta["width"], meta["height"]) == (1600, 1200)
    assert meta["camera"] == "Canon EOS 5D" and meta["taken"] == "2021-07-04T10:30:00"
    assert meta["lat"] == pytest.approx(48.858, abs=1e-3) and meta["lon"] == pytest.approx(2.2944, abs=1e-3)
    thumb = Path(meta["image"])
    assert thumb.parent.parent == media_ctx.media_dir
    with Image.open(thumb) as small:
        assert max(small.size) == 512
    assert visual.text.startswith("Picture of: ")
    assert "Canon EOS 5D" in visual.text and "2021-07-04" in visual.text
    assert len(meta["phash"]) == 16 and meta["labels"]


def test_text_in_a_picture_is_read_with_boxes(tmp_path: Path, media_ctx: ExtractContext, text_picture) -> None:
    path = tmp_path / "sign.png"
    text_picture(["Hardware Store Receipt", "Total 42 dollars"]).save(path)
    items = list(_extractor(".png").extract(path, media_ctx))
    visual = items[0]
    assert "Hardware" in visual.text and "Receipt" in visual.text
    ocr = [i for i in items if i.kind == "ocr"]
    assert ocr and "Total 42" in ocr[0].text
    x, y, w, h = ocr[0].locator.bbox
    assert 0 <= x < 200 and 0 <= y < 120 and 300 < w <= 900 and h > 40
    assert ocr[0].meta["image"] == visual.meta["image"]


def test_picture_without_text_skips_ocr(tmp_path: Path, media_ctx: ExtractContext) -> None:
    path = tmp_path / "blobs.webp"
    _photo_like(3).save(path)
    items = list(_extractor(".webp").extract(path, media_ctx))
    assert [i.kind for i in items] == ["image"]
    assert "Text in the picture" not in items[0].text


def test_heic_photo_is_decoded_upright_with_its_exif(tmp_path: Path, media_ctx: ExtractContext) -> None:
    # HEIC as iPhones save it: pillow-heif (a dependency) decodes it, and its wheel's
    # x265 encoder writes one here. EXIF orientation 6 (stored turned 90 degrees
    # counter-clockwise) becomes the HEIF rotation that libheif undoes when decoding.
    stored = _photo_like(5)
    stored.paste((255, 0, 0), (0, 0, 60, 60))  # red in the stored top-left corner ...
    exif = Image.Exif()
    exif[271], exif[272], exif[306], exif[0x0112] = "Apple", "iPhone 15", "2024:05:01 09:15:00", 6
    path = tmp_path / "IMG_0042.heic"
    stored.save(path, "HEIF", quality=90, exif=exif.tobytes())
    assert path.read_bytes()[4:12] == b"ftypheic"
    upright = pic.open_picture(path).image
    assert upright.size == (240, 320)
    red, green, blue = upright.getpixel((upright.width - 20, 20))  # ... is top-right when upright
    assert red > 200 and green < 60 and blue < 60
    extractor = _extractor(".heic")
    assert extractor.name == "image" and extractor.media_type_for(path) == "image/heic"
    (visual,) = list(extractor.extract(path, media_ctx))
    assert visual.meta["format"] == "HEIF" and visual.meta["camera"] == "Apple iPhone 15"
    assert visual.meta["taken"] == "2024-05-01T09:15:00" and visual.meta["labels"]
    with Image.open(visual.meta["image"]) as thumb:
        assert thumb.format == "JPEG" and thumb.size == (240, 320)
    cut = tmp_path / "cut.heic"
    cut.write_bytes(path.read_bytes()[:2000])
    with pytest.raises(ExtractionError, match=r"damaged|truncated|not an image"):
        list(extractor.extract(cut, media_ctx))


def test_gif_first_frame_and_palette(tmp_path: Path, media_ctx: ExtractContext) -> None:
    frames = [_photo_like(i).convert("P") for i in range(3)]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:])
    (item,) = list(_extractor(".gif").extract(path, media_ctx))
    assert item.meta["animated"] is True and item.meta["format"] == "GIF"


@pytest.mark.parametrize("cut", [0.5, 20])
def test_corrupt_jpeg_is_refused_with_reason(tmp_path: Path, media_ctx: ExtractContext, cut: float) -> None:
    data = io.BytesIO()
    _photo_like().save(data, "JPEG")
    raw = data.getvalue()
    path = tmp_path / "broken.jpg"
    path.write_bytes(raw[: int(len(raw) * cut)] if isinstance(cut, float) else raw[:cut])
    with pytest.raises(ExtractionError, match=r"damaged|truncated|not an image"):
        list(_extractor(".jpg").extract(path, media_ctx))


def test_empty_and_fake_images_are_refused(tmp_path: Path, media_ctx: ExtractContext) -> None:
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    with pytest.raises(ExtractionError, match="empty"):
        list(_extractor(".png").extract(empty, media_ctx))
    fake = tmp_path / "fake.jpg"
    fake.write_text("not a picture")
    with pytest.raises(ExtractionError, match="not an image"):
        list(_extractor(".jpg").extract(fake, media_ctx))


def test_ten_thousand_pixel_png_is_refused_before_decoding(tmp_path: Path, media_ctx: ExtractContext) -> None:
    # A real 10,000 x 10,000 PNG (compresses to ~300 kB): decoding it would take 300 MB.
    path = tmp_path / "huge.png"
    Image.new("L", (10_000, 10_000), 255).save(path, optimize=False, compress_level=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ExtractionError, match=r"10000x10000 pixels .*over the 40-megapixel limit"):
            list(_extractor(".png").extract(path, media_ctx))
    # Pillow's own DecompressionBombWarning used to reach the terminal during `mmrag index`.
    assert not [w for w in caught if issubclass(w.category, Image.DecompressionBombWarning)]


def test_large_jpeg_is_decoded_at_reduced_scale(tmp_path: Path) -> None:
    path = tmp_path / "big.jpg"
    _photo_like().resize((6000, 4000)).save(path, quality=70)
    picture = pic.open_picture(path)
    assert (picture.width, picture.height) == (6000, 4000)
    assert max(picture.image.size) <= pic.WORK_SIDE
    # The extractor's fast decode: a 12-MP photo at 1/4 scale (1000 x 750: the short side
    # still >= 512) rather than at 1/2 and then shrunk to 1024 x 768.
    camera = tmp_path / "camera.jpg"
    _photo_like().resize((4000, 3000)).save(camera, quality=70)
    fast = pic.open_picture(camera, work_side=pic.FAST_SIDE, least_side=pic.LEAST_SIDE)
    assert (fast.width, fast.height) == (4000, 3000) and fast.image.size == (1000, 750)


def test_perceptual_hash_matches_near_copies() -> None:
    original = _photo_like(1)
    shrunk = original.resize((160, 120))
    other = _photo_like(2)
    assert pic.hamming(pic.phash(original), pic.phash(shrunk)) <= 6
    assert pic.hamming(pic.phash(original), pic.phash(other)) > 12


def test_describe_contract_for_other_plugins(text_picture) -> None:
    text = mmrag_image.describe(text_picture(["Launch moved to May"]))
    assert text.startswith("Picture of: ") and "Launch" in text


def test_scanned_pdf_page_is_ocred_with_page_and_box(tmp_path: Path, media_ctx: ExtractContext, text_picture) -> None:
    scan = text_picture(["Quarterly invoice from Contoso", "Amount due 1200"], size=(1240, 1754))
    path = tmp_path / "scan.pdf"
    scan.save(path, "PDF", resolution=150)
    items = list(_extractor(".pdf").extract(path, media_ctx))
    visual = [i for i in items if i.kind == "scanned-page"]
    assert len(visual) == 1 and visual[0].modality == "image" and visual[0].locator.page == 1
    assert "invoice" in visual[0].text and Path(visual[0].meta["image"]).exists()
    (ocr,) = [i for i in items if i.kind == "ocr"]
    assert ocr.locator.page == 1 and "Contoso" in ocr.text
    x, y, w, _h = ocr.locator.bbox  # PDF points: the page is 595 x 842
    assert 0 <= x < 100 and 0 <= y < 100 and 200 < w < 595


def test_a_query_picture_that_is_no_picture_is_a_user_error(tmp_path: Path) -> None:
    from mmrag_desktop.errors import MMRagError
    from mmrag_desktop.records import Query

    notes = tmp_path / "notes.png"
    notes.write_text("not a picture")
    with pytest.raises(MMRagError, match=r"notes.png cannot be read as a picture"):
        mmrag_image.ImageQueryTransform().transform(Query(modality="image", path=notes))


def test_pictures_are_indexed_without_text_when_ocr_cannot_load(
        tmp_path: Path, media_ctx: ExtractContext, text_picture, monkeypatch: pytest.MonkeyPatch) -> None:
    # Simulates a machine without OpenCV's system libraries (libGL): importing it fails.
    from mmrag_image import analysis
    from mmrag_image.ocr import Ocr

    broken = Ocr()

    def no_opencv() -> None:
        raise ImportError("libGL.so.1: cannot open shared object file")

    monkeypatch.setattr(broken, "_load", no_opencv)
    monkeypatch.setattr(analysis, "OCR", broken)
    path = tmp_path / "sign.png"
    text_picture(["Hardware Store Receipt"]).save(path)
    items = list(_extractor(".png").extract(path, media_ctx))
    assert [i.kind for i in items] == ["image"] and "Receipt" not in items[0].text
    assert "libGL" in broken.unavailable


def test_gps_position_filters_search_without_place_names(tmp_path: Path) -> None:
    from mmrag_desktop.config import Config
    from mmrag_desktop.library import Library
    from mmrag_desktop.records import Filters

    photos = tmp_path / "photos"
    photos.mkdir()
    places = {"paris.jpg": (48.8584, 2.2945), "tokyo.jpg": (35.6586, 139.7454), "versailles.jpg": (48.8049, 2.1204)}
    for seed, (name, (lat, lon)) in enumerate(places.items()):  # different pictures: copies would be folded
        exif = Image.Exif()
        exif.get_ifd(0x8825).update({1: "N", 2: (int(lat), int(lat % 1 * 60), lat * 3600 % 60),
                                     3: "E", 4: (int(lon), int(lon % 1 * 60), lon * 3600 % 60)})
        _photo_like(10 + seed).save(photos / name, exif=exif)
    with Library(tmp_path / "lib", config=Config(encoders=())) as library:
        library.index([photos])
        everywhere = {h.path.name for h in library.search("JPEG image", k=10)}
        assert everywhere == {"paris.jpg", "tokyo.jpg", "versailles.jpg"}
        near_paris = {h.path.name for h in library.search("JPEG image", k=10, filters=Filters(near=(48.86, 2.35, 20)))}
        assert near_paris == {"paris.jpg", "versailles.jpg"}
        centre = {h.path.name for h in library.search("JPEG image", k=10, filters=Filters(near=(48.86, 2.35, 5)))}
        assert centre == {"paris.jpg"}


def test_ocr_spaces_the_recogniser_dropped_are_put_back() -> None:
    from mmrag_image.ocr import respace

    # What PP-OCR read from a scanned invoice and from skimage's page.png.
    assert respace("INVOICE4471") == "INVOICE 4471"
    assert respace("background.These markers") == "background. These markers"
    # Glued English words are split; words, unknown words and codes are kept.
    assert respace("Totaldue:380EUR") == "Total due: 380 EUR"
    assert respace("Region-basedsegmentation ofgreyvalues") == "Region-based segmentation of grey values"
    assert respace("hardwarestore receipt") == "hardware store receipt"
    for kept in ("Wi-Fi password:", "sunflower-42", "10:30", "http://example.org", "H2O", "报销4471元",
                 "photosynthesis", "kubernetes", "Datenschutz", "INVOICE", "misspeled", "Contoso"):
        assert respace(kept) == kept


def test_a_picture_of_text_is_not_named_after_a_guessed_label() -> None:
    from mmrag_image.analysis import Analysis
    from mmrag_image.ocr import TextLine
    from mmrag_image.vision import Label

    guess = (Label(111, "nematode, nematode worm, roundworm", 0.01),)
    line = (TextLine("INVOICE 4471", (0.0, 0.0, 100.0, 20.0), 0.95),)
    assert Analysis(guess, np.zeros(1280, np.float32), line).caption() == "Picture of: text."
    # Without text the guess is all there is; a confident label stays with text too.
    assert "nematode" in Analysis(guess, np.zeros(1280, np.float32), ()).caption()
    sure = (Label(917, "menu", 0.4),)
    assert Analysis(sure, np.zeros(1280, np.float32), line).caption().startswith("Picture of: menu.")
