<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="zh_CN">
<context>
    <name>AskPanel</name>
    <message>
        <location filename="../ask_panel.py" line="105" />
        <source>New conversation</source>
        <translation>新对话</translation>
    </message>
    <message>
        <location filename="../ask_panel.py" line="131" />
        <source>Ask a question about your files (Ctrl+Enter)</source>
        <translation>就你的文件提问（Ctrl+Enter）</translation>
    </message>
    <message>
        <location filename="../ask_panel.py" line="135" />
        <source>Ask</source>
        <translation>提问</translation>
    </message>
    <message>
        <location filename="../ask_panel.py" line="138" />
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <location filename="../ask_panel.py" line="155" />
        <source>Answer generation is not installed in this build, so questions cannot be answered yet. Search works as usual.</source>
        <translation>此版本未安装回答生成功能，暂时无法回答问题。搜索照常可用。</translation>
    </message>
    <message>
        <location filename="../ask_panel.py" line="175" />
        <source>Conversation %1</source>
        <translation>对话 %1</translation>
    </message>
    <message>
        <location filename="../ask_panel.py" line="278" />
        <source>You</source>
        <translation>你</translation>
    </message>
    <message>
        <location filename="../ask_panel.py" line="288" />
        <source>(stopped)</source>
        <translation>（已停止）</translation>
    </message>
    <message>
        <location filename="../ask_panel.py" line="289" />
        <source>Sources</source>
        <translation>来源</translation>
    </message>
</context>
<context>
    <name>Locator</name>
    <message>
        <location filename="../i18n.py" line="44" />
        <source>sheet {sheet}</source>
        <translation>工作表 {sheet}</translation>
    </message>
    <message>
        <location filename="../i18n.py" line="45" />
        <source>p. {page}</source>
        <translation>第 {page} 页</translation>
    </message>
    <message>
        <location filename="../i18n.py" line="46" />
        <source>lines {start}-{end}</source>
        <translation>第 {start}–{end} 行</translation>
    </message>
    <message>
        <location filename="../i18n.py" line="47" />
        <source>line {line}</source>
        <translation>第 {line} 行</translation>
    </message>
    <message>
        <location filename="../i18n.py" line="48" />
        <source>rows {start}-{end}</source>
        <translation>数据第 {start}–{end} 行</translation>
    </message>
    <message>
        <location filename="../i18n.py" line="49" />
        <source>row {row}</source>
        <translation>数据第 {row} 行</translation>
    </message>
    <message>
        <location filename="../i18n.py" line="50" />
        <source>§ {section}</source>
        <translation>§ {section}</translation>
    </message>
    <message>
        <location filename="../i18n.py" line="51" />
        <source>, </source>
        <translation>，</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../main_window.py" line="60" />
        <source>Search</source>
        <translation>搜索</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="61" />
        <source>Ask</source>
        <translation>提问</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="65" />
        <source>Settings (Ctrl+,)</source>
        <translation>设置（Ctrl+,）</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="151" />
        <source>Indexing %1…</source>
        <translation>正在索引 %1…</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="154" />
        <source>Remove folder</source>
        <translation>移除文件夹</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="155" />
        <source>Remove %1 from the library? Your files are not touched; only the index is dropped.</source>
        <translation>从资料库中移除 %1？你的文件不会被改动，只会删除索引。</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="171" />
        <source>Indexed: %1</source>
        <translation>已索引：%1</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="211" />
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="212" />
        <source>The new language is used from the next start. Restart now?</source>
        <translation>新语言将在下次启动时生效。现在重新启动吗？</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="275" />
        <source>Stopping indexing…</source>
        <translation>正在停止索引…</translation>
    </message>
</context>
<context>
    <name>MicButton</name>
    <message>
        <location filename="../mic.py" line="43" />
        <source>Spoken search is unavailable: %1</source>
        <translation>语音搜索不可用：%1</translation>
    </message>
    <message>
        <location filename="../mic.py" line="45" />
        <source>Hold to speak a query</source>
        <translation>按住说出查询</translation>
    </message>
</context>
<context>
    <name>PreviewPane</name>
    <message>
        <location filename="../preview.py" line="196" />
        <source>Open</source>
        <extracomment>A link in a preview (e.g. a transcript) asked for another file.</extracomment>
        <translation>打开</translation>
    </message>
    <message>
        <location filename="../preview.py" line="197" />
        <source>Open with the default application (Enter)</source>
        <translation>用默认应用打开（Enter）</translation>
    </message>
    <message>
        <location filename="../preview.py" line="199" />
        <source>Show in folder</source>
        <translation>在文件夹中显示</translation>
    </message>
    <message>
        <location filename="../preview.py" line="213" />
        <source>Select a result to preview it here.</source>
        <translation>选择一个结果在此预览。</translation>
    </message>
    <message>
        <location filename="../preview.py" line="311" />
        <source>Loading…</source>
        <translation>正在加载…</translation>
    </message>
    <message>
        <location filename="../preview.py" line="322" />
        <source>This picture cannot be shown.</source>
        <translation>无法显示此图片。</translation>
    </message>
    <message>
        <location filename="../preview.py" line="343" />
        <source>Transcript at %1</source>
        <translation>%1 处的文字记录</translation>
    </message>
    <message>
        <location filename="../preview.py" line="454" />
        <source>Lines %1–%2</source>
        <translation>第 %1–%2 行</translation>
    </message>
</context>
<context>
    <name>ResultsView</name>
    <message>
        <location filename="../results.py" line="120" />
        <source>Type to search your files, or drop a file on the window to find similar ones.
Results include everything indexed so far, also while indexing runs.</source>
        <translation>输入文字搜索你的文件，或把文件拖到窗口上查找相似内容。
结果包含目前已索引的全部内容，索引进行中也可搜索。</translation>
    </message>
    <message numerus="yes">
        <location filename="../results.py" line="167" />
        <source>%n result(s)</source>
        <translation>
            <numerusform>%n 个结果</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../results.py" line="169" />
        <source>No results for “%1”.</source>
        <translation>没有找到“%1”的结果。</translation>
    </message>
    <message>
        <location filename="../results.py" line="216" />
        <source>Play from %1</source>
        <translation>从 %1 开始播放</translation>
    </message>
</context>
<context>
    <name>SearchPanel</name>
    <message>
        <location filename="../search_panel.py" line="71" />
        <source>Search your files — or drop a file here to find similar ones</source>
        <translation>搜索你的文件，或把文件拖到这里查找相似内容</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="80" />
        <source>Search by a file (like dropping it on the window)</source>
        <translation>按文件搜索（与把文件拖到窗口上相同）</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="93" />
        <source>Any time</source>
        <translation>任何时间</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="93" />
        <source>Past day</source>
        <translation>过去一天</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="93" />
        <source>Past week</source>
        <translation>过去一周</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="94" />
        <source>Past month</source>
        <translation>过去一个月</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="94" />
        <source>Past year</source>
        <translation>过去一年</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="122" />
        <source>All kinds</source>
        <translation>所有类型</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="123" />
        <source>All folders</source>
        <translation>所有文件夹</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="161" />
        <source>Searching…</source>
        <translation>正在搜索…</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="170" />
        <source>Like: %1</source>
        <translation>相似于：%1</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="174" />
        <source>Searching by %1…</source>
        <translation>正在按 %1 搜索…</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="204" />
        <source>Search failed: %1</source>
        <translation>搜索失败：%1</translation>
    </message>
    <message>
        <location filename="../search_panel.py" line="211" />
        <source>Search by a file</source>
        <translation>按文件搜索</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <location filename="../settings.py" line="55" />
        <location filename="../settings.py" line="333" />
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <location filename="../settings.py" line="60" />
        <source>Folders</source>
        <translation>文件夹</translation>
    </message>
    <message>
        <location filename="../settings.py" line="61" />
        <source>Models</source>
        <translation>模型</translation>
    </message>
    <message>
        <location filename="../settings.py" line="62" />
        <source>Plugins</source>
        <translation>插件</translation>
    </message>
    <message>
        <location filename="../settings.py" line="63" />
        <source>Performance</source>
        <translation>性能</translation>
    </message>
    <message>
        <location filename="../settings.py" line="64" />
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <location filename="../settings.py" line="75" />
        <source>Folders in this library:</source>
        <translation>此资料库中的文件夹：</translation>
    </message>
    <message>
        <location filename="../settings.py" line="79" />
        <source>Add folder…</source>
        <translation>添加文件夹…</translation>
    </message>
    <message>
        <location filename="../settings.py" line="81" />
        <location filename="../settings.py" line="130" />
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <location filename="../settings.py" line="87" />
        <source>Skip files and folders matching (one glob per line, e.g. **/drafts/**):</source>
        <translation>跳过匹配的文件和文件夹（每行一个通配符，例如 **/drafts/**）：</translation>
    </message>
    <message>
        <location filename="../settings.py" line="99" />
        <source>Add a folder to the library</source>
        <translation>向资料库添加文件夹</translation>
    </message>
    <message>
        <location filename="../settings.py" line="117" />
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <location filename="../settings.py" line="117" />
        <source>Role</source>
        <translation>用途</translation>
    </message>
    <message>
        <location filename="../settings.py" line="117" />
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <location filename="../settings.py" line="118" />
        <location filename="../settings.py" line="233" />
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <location filename="../settings.py" line="118" />
        <source>Use for search</source>
        <translation>用于搜索</translation>
    </message>
    <message>
        <location filename="../settings.py" line="126" />
        <source>Download…</source>
        <translation>下载…</translation>
    </message>
    <message>
        <location filename="../settings.py" line="128" />
        <source>Import a file…</source>
        <translation>导入文件…</translation>
    </message>
    <message>
        <location filename="../settings.py" line="136" />
        <source>The model manager is not part of this build.</source>
        <translation>此版本不包含模型管理器。</translation>
    </message>
    <message>
        <location filename="../settings.py" line="153" />
        <source>in use</source>
        <translation>使用中</translation>
    </message>
    <message>
        <location filename="../settings.py" line="153" />
        <source>installed</source>
        <translation>已安装</translation>
    </message>
    <message>
        <location filename="../settings.py" line="154" />
        <location filename="../settings.py" line="175" />
        <source>not installed</source>
        <translation>未安装</translation>
    </message>
    <message>
        <location filename="../settings.py" line="186" />
        <source>Downloading %1…</source>
        <translation>正在下载 %1…</translation>
    </message>
    <message>
        <location filename="../settings.py" line="186" />
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../settings.py" line="208" />
        <location filename="../settings.py" line="214" />
        <source>Import a model file</source>
        <translation>导入模型文件</translation>
    </message>
    <message>
        <location filename="../settings.py" line="209" />
        <source>Models (*.onnx *.gguf);;All files (*)</source>
        <translation>模型 (*.onnx *.gguf);;所有文件 (*)</translation>
    </message>
    <message>
        <location filename="../settings.py" line="213" />
        <source>Detect from the file</source>
        <translation>根据文件自动识别</translation>
    </message>
    <message>
        <location filename="../settings.py" line="214" />
        <source>Use it as:</source>
        <translation>用作：</translation>
    </message>
    <message>
        <location filename="../settings.py" line="233" />
        <source>On</source>
        <translation>启用</translation>
    </message>
    <message>
        <location filename="../settings.py" line="233" />
        <source>Plugin</source>
        <translation>插件</translation>
    </message>
    <message>
        <location filename="../settings.py" line="233" />
        <source>Source</source>
        <translation>来源</translation>
    </message>
    <message>
        <location filename="../settings.py" line="234" />
        <source>Problem</source>
        <translation>问题</translation>
    </message>
    <message>
        <location filename="../settings.py" line="239" />
        <source>A plugin that fails or is incompatible is turned off with the reason.</source>
        <translation>出错或不兼容的插件会被关闭，并注明原因。</translation>
    </message>
    <message>
        <location filename="../settings.py" line="271" />
        <source>Automatic</source>
        <translation>自动</translation>
    </message>
    <message>
        <location filename="../settings.py" line="273" />
        <source>CPU threads for models:</source>
        <translation>模型使用的 CPU 线程：</translation>
    </message>
    <message>
        <location filename="../settings.py" line="274" />
        <location filename="../settings.py" line="285" />
        <source>GPU: used automatically when the model runtime finds one.</source>
        <translation>GPU：模型运行时检测到时自动使用。</translation>
    </message>
    <message>
        <location filename="../settings.py" line="286" />
        <source>Answers (%1): %2</source>
        <translation>回答（%1）：%2</translation>
    </message>
    <message>
        <location filename="../settings.py" line="296" />
        <source>System default</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <location filename="../settings.py" line="298" />
        <source>Language:</source>
        <translation>语言：</translation>
    </message>
</context>
<context>
    <name>Sidebar</name>
    <message>
        <location filename="../sidebar.py" line="53" />
        <source>Library</source>
        <translation>资料库</translation>
    </message>
    <message>
        <location filename="../sidebar.py" line="62" />
        <source>Add folder…</source>
        <translation>添加文件夹…</translation>
    </message>
    <message>
        <location filename="../sidebar.py" line="64" />
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <location filename="../sidebar.py" line="66" />
        <source>Rescan</source>
        <translation>重新扫描</translation>
    </message>
    <message>
        <location filename="../sidebar.py" line="67" />
        <source>Look for new, changed and deleted files in every folder</source>
        <translation>在所有文件夹中查找新增、修改和删除的文件</translation>
    </message>
    <message>
        <location filename="../sidebar.py" line="89" />
        <location filename="../sidebar.py" line="146" />
        <location filename="../sidebar.py" line="207" />
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <location filename="../sidebar.py" line="91" />
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../sidebar.py" line="116" />
        <source>Add a folder to the library</source>
        <translation>向资料库添加文件夹</translation>
    </message>
    <message>
        <location filename="../sidebar.py" line="176" />
        <source>text</source>
        <translation>文本</translation>
    </message>
    <message>
        <location filename="../sidebar.py" line="176" />
        <source>image</source>
        <translation>图片</translation>
    </message>
    <message>
        <location filename="../sidebar.py" line="176" />
        <source>audio</source>
        <translation>音频</translation>
    </message>
    <message>
        <location filename="../sidebar.py" line="177" />
        <source>video</source>
        <translation>视频</translation>
    </message>
    <message>
        <location filename="../sidebar.py" line="177" />
        <source>3D</source>
        <translation>三维模型</translation>
    </message>
    <message>
        <location filename="../sidebar.py" line="182" />
        <source>%1 %2</source>
        <comment>count, then what (e.g. 4 audio)</comment>
        <translation>%2 %1</translation>
    </message>
    <message>
        <location filename="../sidebar.py" line="186" />
        <source>%1 not indexed</source>
        <translation>%1 个未索引</translation>
    </message>
    <message>
        <location filename="../sidebar.py" line="187" />
        <source>not indexed yet</source>
        <translation>尚未索引</translation>
    </message>
    <message>
        <location filename="../sidebar.py" line="147" />
        <location filename="../sidebar.py" line="154" />
        <source>Looking for files…</source>
        <translation>正在查找文件…</translation>
    </message>
    <message>
        <location filename="../sidebar.py" line="154" />
        <source>Reading files</source>
        <translation>正在读取文件</translation>
    </message>
    <message>
        <location filename="../sidebar.py" line="155" />
        <source>Understanding content</source>
        <translation>正在理解内容</translation>
    </message>
    <message>
        <location filename="../sidebar.py" line="155" />
        <source>Finishing…</source>
        <translation>即将完成…</translation>
    </message>
    <message>
        <location filename="../sidebar.py" line="168" />
        <source>%1 files/s · about %2 left</source>
        <translation>%1 个文件/秒 · 约剩 %2</translation>
    </message>
    <message>
        <location filename="../sidebar.py" line="171" />
        <source>%1 passages/s · about %2 left</source>
        <translation>%1 段/秒 · 约剩 %2</translation>
    </message>
    <message>
        <location filename="../sidebar.py" line="187" />
        <location filename="../sidebar.py" line="197" />
        <source>, </source>
        <translation>，</translation>
    </message>
    <message>
        <location filename="../sidebar.py" line="191" />
        <source>%1 added</source>
        <translation>新增 %1</translation>
    </message>
    <message>
        <location filename="../sidebar.py" line="191" />
        <source>%1 updated</source>
        <translation>更新 %1</translation>
    </message>
    <message>
        <location filename="../sidebar.py" line="192" />
        <source>%1 unchanged</source>
        <translation>未变 %1</translation>
    </message>
    <message>
        <location filename="../sidebar.py" line="194" />
        <source>%1 moved</source>
        <translation>移动 %1</translation>
    </message>
    <message>
        <location filename="../sidebar.py" line="194" />
        <source>%1 removed</source>
        <translation>删除 %1</translation>
    </message>
    <message>
        <location filename="../sidebar.py" line="195" />
        <source>%1 failed</source>
        <translation>失败 %1</translation>
    </message>
    <message>
        <location filename="../sidebar.py" line="195" />
        <source>%1 skipped</source>
        <translation>跳过 %1</translation>
    </message>
    <message>
        <location filename="../sidebar.py" line="196" />
        <source>%1 embedded</source>
        <translation>向量化 %1</translation>
    </message>
    <message>
        <location filename="../sidebar.py" line="198" />
        <source>%1 in %2 s</source>
        <translation>%1，用时 %2 秒</translation>
    </message>
    <message>
        <location filename="../sidebar.py" line="199" />
        <source>%1 (cancelled)</source>
        <translation>%1（已取消）</translation>
    </message>
    <message>
        <location filename="../sidebar.py" line="207" />
        <source>Resume</source>
        <translation>继续</translation>
    </message>
    <message>
        <location filename="../sidebar.py" line="209" />
        <source>Paused</source>
        <translation>已暂停</translation>
    </message>
    <message>
        <location filename="../sidebar.py" line="223" />
        <source>Problems (%1)</source>
        <translation>问题（%1）</translation>
    </message>
</context>
<context>
    <name>WaveformView</name>
    <message>
        <location filename="../waveform.py" line="47" />
        <source>Waveform of the recording; the match is marked</source>
        <extracomment>The marked range as fractions of the width (None: nothing marked).</extracomment>
        <translation>录音波形，已标出匹配的片段</translation>
    </message>
</context>
<context>
    <name>WelcomePage</name>
    <message>
        <location filename="../welcome.py" line="18" />
        <source>Welcome to MM-RAG Desktop</source>
        <translation>欢迎使用 MM-RAG Desktop</translation>
    </message>
    <message>
        <location filename="../welcome.py" line="22" />
        <source>Search your documents, notes, code, tables and pictures by meaning — in English and Chinese — and ask questions about them. Everything stays on this computer.</source>
        <translation>按含义搜索你的文档、笔记、代码、表格和图片（中英文皆可），并就它们提问。所有数据都留在这台电脑上。</translation>
    </message>
    <message>
        <location filename="../welcome.py" line="24" />
        <source>Add the folders you want to search; they are indexed in the background and kept up to date.</source>
        <translation>添加要搜索的文件夹；它们会在后台建立索引并保持最新。</translation>
    </message>
    <message>
        <location filename="../welcome.py" line="40" />
        <source>Add a folder…</source>
        <translation>添加文件夹…</translation>
    </message>
    <message>
        <location filename="../welcome.py" line="44" />
        <source>Try the sample library</source>
        <translation>试用示例资料库</translation>
    </message>
    <message>
        <location filename="../welcome.py" line="51" />
        <source>Tip: drop a file on the window to find similar ones.</source>
        <translation>提示：把文件拖到窗口上即可查找相似内容。</translation>
    </message>
    <message>
        <location filename="../welcome.py" line="59" />
        <source>Add a folder to the library</source>
        <translation>向资料库添加文件夹</translation>
    </message>
</context>
</TS>