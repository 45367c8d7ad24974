"""A light touch of styling over the platform style: spacing, a prominent search box,
quiet secondary text. Colours come from the palette, so dark and light themes both work."""

STYLE = """
#sidebar { background: palette(alternate-base); }
#sectionHeading { font-weight: 600; color: palette(mid); text-transform: uppercase; letter-spacing: 1px; }
#sources, #problems, #conversations { border: none; background: transparent; }
#sources, #problems { background: palette(alternate-base); }  /* opaque: a transparent list drew its scroll bar black */
#sources::item { padding: 6px 4px; border-radius: 6px; }
#sources::item:selected { background: palette(highlight); color: palette(highlighted-text); }
#problems::item { padding: 3px 2px; color: #c92a2a; }
#searchBox { font-size: 16px; padding: 8px 10px; border-radius: 8px; border: 1px solid palette(mid); }
#searchBox:focus { border: 2px solid palette(highlight); }
#micButton, #playButton { font-size: 15px; padding: 4px 8px; }
#resultSummary, #queryLabel, #previewWhere, #progressRate, #resultFolder, #hint { color: palette(mid); }
#resultRows, #imageGrid { border: none; }
#resultRows::item { border-bottom: 1px solid palette(midlight); }
#resultRows::item:selected, #imageGrid::item:selected { background: palette(highlight); }
#previewTitle { font-size: 15px; }
#welcomeTitle { font-size: 26px; font-weight: 600; }
#welcomeText { font-size: 14px; }
#welcome QPushButton { padding: 8px 18px; }
#primaryButton { font-weight: 600; }
#banner { padding: 10px; border-radius: 6px; background: #fff4e6; color: #7a4a00; }
#placeholder { color: palette(mid); }
QTabWidget::pane { border: none; }
"""


def icon(name: str):  # type: ignore[no-untyped-def]
    """An icon shipped in gui/icons (SVG, so it is sharp at any scale)."""
    from pathlib import Path

    from PySide6.QtGui import QIcon

    return QIcon(str(Path(__file__).resolve().parent / "icons" / f"{name}.svg"))
