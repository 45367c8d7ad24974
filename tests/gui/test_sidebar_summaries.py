"""The sidebar's per-folder counts and the indexing summary are built in the GUI, so
they follow the interface language (the core's ``IndexReport.summary()`` stays English
for the CLI and logs)."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from mmrag_desktop.gui import i18n
from mmrag_desktop.gui.sidebar import Sidebar
from mmrag_desktop.pipeline.ingest import IndexReport

REPORTS = [IndexReport(added=3, failed=1, seconds=2.04),
           IndexReport(unchanged=5, moved=1, removed=2, skipped=1, embedded=9, seconds=0.5, cancelled=True)]


def test_folder_counts_and_index_summary_in_english_and_chinese(qtbot) -> None:
    sidebar = Sidebar()
    qtbot.addWidget(sidebar)
    assert sidebar.folder_summary({"image": 2, "audio": 4, "gpx": 1}, 1) == "4 audio, 1 gpx, 2 image, 1 not indexed"
    assert sidebar.folder_summary({}) == "not indexed yet"
    # In English the GUI says exactly what the core's summary says.
    assert [sidebar.index_summary(r) for r in REPORTS] == [r.summary() for r in REPORTS]

    app = QApplication.instance()
    translators = i18n.install(app, "zh_CN")
    try:
        assert translators
        chinese = Sidebar()
        qtbot.addWidget(chinese)
        # A plugin's own modality ("gpx") has no translation and is shown as it is.
        assert chinese.folder_summary({"image": 2, "audio": 4, "gpx": 1}, 1) == "音频 4，gpx 1，图片 2，1 个未索引"
        assert chinese.index_summary(REPORTS[0]) == "新增 3，更新 0，未变 0，失败 1，用时 2.0 秒"
        assert chinese.index_summary(REPORTS[1]).endswith("（已取消）")
        chinese.set_sources({"/data/Recordings": {"modalities": {"audio": 4}, "files": {"failed": 1}}})
        assert chinese.sources.item(0).text() == "Recordings\n音频 4，1 个未索引"
    finally:
        for translator in translators:
            app.removeTranslator(translator)
