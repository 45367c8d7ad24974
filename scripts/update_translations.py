#!/usr/bin/env python3
"""Refresh the desktop app's translations: collect the interface strings with
pyside6-lupdate into ``mmrag_desktop/gui/i18n/mmrag_<lang>.ts``, fill the entries a
translator has not done yet from ``glossary_<lang>.json``, and compile the ``.qm`` files
the app loads with pyside6-lrelease. Run after changing any ``self.tr(...)`` text;
commit the .ts, .qm and glossary. Reports strings that still have no translation.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUI = ROOT / "mmrag_desktop" / "gui"
I18N = GUI / "i18n"
LANGUAGES = ("zh_CN",)


def tool(name: str) -> str:
    local = Path(sys.executable).parent / name
    found = str(local) if local.exists() else shutil.which(name)
    if not found:
        sys.exit(f"{name} not found (it comes with PySide6)")
    return found


def main() -> int:
    sources = sorted(str(p.relative_to(ROOT)) for p in GUI.glob("*.py"))
    missing_total = 0
    for lang in LANGUAGES:
        ts = I18N / f"mmrag_{lang}.ts"
        subprocess.run([tool("pyside6-lupdate"), *sources, "-no-obsolete", "-ts", str(ts.relative_to(ROOT))],
                       cwd=ROOT, check=True)
        glossary = json.loads((I18N / f"glossary_{lang}.json").read_text("utf-8"))
        tree = ET.parse(ts)
        missing = []
        for message in tree.iter("message"):
            source = message.findtext("source") or ""
            translation = message.find("translation")
            if translation is None:
                continue
            if translation.get("type") == "unfinished":
                text = glossary.get(source)
                if text is None:
                    missing.append(source)
                    continue
                if message.get("numerus") == "yes":
                    translation.text = None
                    for child in list(translation):
                        translation.remove(child)
                    form = ET.SubElement(translation, "numerusform")
                    form.text = text
                else:
                    translation.text = text
                del translation.attrib["type"]
        tree.write(ts, encoding="utf-8", xml_declaration=True)
        subprocess.run([tool("pyside6-lrelease"), str(ts), "-qm", str(I18N / f"mmrag_{lang}.qm")], check=True)
        for source in missing:
            print(f"{lang}: no translation for {source!r}")
        missing_total += len(missing)
    return 1 if missing_total else 0


if __name__ == "__main__":
    sys.exit(main())
