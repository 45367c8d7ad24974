"""Interface language: Qt translation files (``i18n/mmrag_<lang>.qm``) chosen from the
library setting, else the system locale. English is the source language."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from ..records import Locator

FOLDER = Path(__file__).resolve().parent / "i18n"
AVAILABLE = ("en", "zh_CN")


def pick_language(setting: str, system: str | None = None) -> str:
    """``setting`` when set; else the system locale mapped to one we ship (zh* → zh_CN)."""
    if setting:
        return setting
    name = system or QLocale.system().name()
    return "zh_CN" if name.lower().startswith("zh") else "en"


def install(app: QCoreApplication, language: str) -> list[QTranslator]:
    """Load our translation and Qt's own (dialog buttons) for ``language``."""
    installed: list[QTranslator] = []
    if language == "en":
        return installed
    ours = QTranslator(app)
    if ours.load(str(FOLDER / f"mmrag_{language}.qm")):
        app.installTranslator(ours)
        installed.append(ours)
    qt = QTranslator(app)
    if qt.load(f"qtbase_{language}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        app.installTranslator(qt)
        installed.append(qt)
    return installed


def locator_text(locator: Locator) -> str:
    """Where in a file a hit is (``p. 3``, ``lines 10-24``), in the interface language."""
    translate = QCoreApplication.translate
    return locator.describe({
        "sheet": translate("Locator", "sheet {sheet}"),
        "page": translate("Locator", "p. {page}"),
        "lines": translate("Locator", "lines {start}-{end}"),
        "line": translate("Locator", "line {line}"),
        "rows": translate("Locator", "rows {start}-{end}"),
        "row": translate("Locator", "row {row}"),
        "section": translate("Locator", "§ {section}"),
        "separator": translate("Locator", ", "),
    })
