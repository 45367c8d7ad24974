"""Build the bilingual retrieval dev-set corpus from Debian packages.

    python benchmarks/devset/build_corpus.py [--cache DIR] [--no-fortunes] [--force]

Downloads (``apt-get download``, pinned versions) and unpacks (``dpkg -x``) the Debian
Reference and the Debian New Maintainers' Guide in English and Simplified Chinese, then
splits every chapter into one small Markdown file per section:

    <cache>/corpus/en/debian-reference/ch02/_basic_package_management_operations.md
    <cache>/corpus/zh/debian-reference/ch02/_basic_package_management_operations.md
    <cache>/corpus/en/maint-guide/dreq/control.md
    <cache>/corpus/zh/fortunes/tang300/0042.md            (distractors, zh only)

Splitting rule (the same for both languages, so the two trees mirror each other):
  * every h3-level section is one file (deeper h4/h5 sections are folded into it);
  * every h2-level section with no h3 children is one file;
  * an h2-level section's own text before its first h3 child, and a chapter's text before
    its first h2, become a file of their own when they hold at least one real paragraph.
File names are the DocBook anchor ids (identical in both translations), so relevance
judgments in ``queries.jsonl`` can name them and cross-lingual judgments are the same
path under the other language folder. The corpus directory is wiped and rewritten on
every build, so a build is byte-for-byte reproducible from the pinned packages; a
``MANIFEST.json`` lists every file with its sha256.

Only the standard library is used (``html.parser``), plus ``apt-get`` and ``dpkg``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_CACHE = HERE.parent / "cache"

# name -> pinned version (Debian 12 "bookworm"). If the pinned version is gone from the
# archive the candidate version is used and a warning printed; the manifest records what
# was actually used.
PACKAGES: dict[str, str] = {
    "debian-reference-en": "2.100",
    "debian-reference-zh-cn": "2.100",
    "maint-guide": "1.2.53",
    "maint-guide-zh-cn": "1.2.53",
    "fortunes-zh": "2.98",
}

# (language folder, manual name, package, html directory inside the package, file suffix)
MANUALS: list[tuple[str, str, str, str, str]] = [
    ("en", "debian-reference", "debian-reference-en", "usr/share/debian-reference", ".en.html"),
    ("zh", "debian-reference", "debian-reference-zh-cn", "usr/share/debian-reference", ".zh-cn.html"),
    ("en", "maint-guide", "maint-guide", "usr/share/doc/maint-guide/html", ".en.html"),
    ("zh", "maint-guide", "maint-guide-zh-cn", "usr/share/doc/maint-guide-zh-cn/html", ".zh-cn.html"),
]

FORTUNE_FILES = ("tang300", "song100")  # Tang and Song poems; short Chinese distractors

# --------------------------------------------------------------------------- fetching


def run(cmd: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, check=False, capture_output=True, text=True)


def fetch_packages(debs: Path, names: list[str]) -> dict[str, Path]:
    debs.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    updated = False
    for name in names:
        version = PACKAGES[name]
        found = sorted(debs.glob(f"{name}_*.deb"))
        pinned = [p for p in found if p.name.startswith(f"{name}_{version}_")]
        if pinned or found:
            out[name] = (pinned or found)[-1]
            continue
        for spec in (f"{name}={version}", name):
            r = run(["apt-get", "download", spec], cwd=debs)
            if r.returncode != 0 and not updated:
                run(["apt-get", "update"])
                updated = True
                r = run(["apt-get", "download", spec], cwd=debs)
            if r.returncode == 0:
                if spec == name:
                    print(f"warning: {name}={version} unavailable, used the candidate version", file=sys.stderr)
                break
        else:
            raise SystemExit(f"could not download {name}: {r.stderr.strip()}")
        out[name] = sorted(debs.glob(f"{name}_*.deb"))[-1]
    return out


def unpack(deb: Path, dest: Path) -> Path:
    stamp = dest / ".unpacked-from"
    if stamp.exists() and stamp.read_text() == deb.name:
        return dest
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    r = run(["dpkg", "-x", str(deb), str(dest)])
    if r.returncode != 0:
        raise SystemExit(f"dpkg -x {deb} failed: {r.stderr.strip()}")
    stamp.write_text(deb.name)
    return dest


# --------------------------------------------------------------------------- tiny DOM

VOID = {"br", "hr", "img", "meta", "link", "col", "input", "area", "base", "wbr", "param", "source"}


@dataclass
class El:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[El | str] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def elements(self) -> list[El]:
        return [c for c in self.children if isinstance(c, El)]

    def iter(self):
        yield self
        for c in self.elements():
            yield from c.iter()

    def find(self, tag: str) -> El | None:
        return next((e for e in self.iter() if e.tag == tag), None)


class TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = El("#root")
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        el = El(tag, {k: (v or "") for k, v in attrs})
        self.stack[-1].children.append(el)
        if tag not in VOID:
            self.stack.append(el)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(El(tag, {k: (v or "") for k, v in attrs}))

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse_html(text: str) -> El:
    b = TreeBuilder()
    b.feed(text)
    b.close()
    return b.root


# --------------------------------------------------------------------------- HTML -> Markdown

WS = re.compile(r"\s+")
SKIP_CLASSES = {"navheader", "navfooter", "toc", "footnotes", "list-of-tables", "list-of-figures"}
ADMONITIONS = {"tip", "note", "caution", "warning", "important"}
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
BLOCK_TAGS = {"p", "pre", "table", "ul", "ol", "dl", "blockquote"}


def inline_text(node: El | str) -> str:
    if isinstance(node, str):
        return node
    if node.tag in ("script", "style"):
        return ""
    if node.tag == "br":
        return " "
    return "".join(inline_text(c) for c in node.children)


def clean(s: str) -> str:
    return WS.sub(" ", s).strip()


NUMBER_PREFIX = re.compile(r"^(?:[A-Z]\.)?\d+(?:\.\d+)*\.\s+|^[A-Z]\.\d*\.?\s+|^[A-Z]\.\s+")


def heading_of(section: El) -> tuple[str, str, str]:
    """(anchor id, title without its number, the section's number) of a div.section."""
    for el in section.iter():
        if el.tag in HEADINGS:
            anchor = el.attrs.get("id", "")
            if not anchor:
                a = next((e for e in el.iter() if e.tag == "a" and e.attrs.get("id")), None)
                anchor = a.attrs["id"] if a else ""
            full = clean(inline_text(el))
            m = NUMBER_PREFIX.match(full)
            number = m.group(0).strip().rstrip(".") if m else ""
            return anchor, full[m.end() :] if m else full, number
    return "", "", ""


def to_markdown(nodes: list[El | str]) -> list[str]:
    """Render block content as Markdown blocks (a list of strings, joined by blank lines)."""
    blocks: list[str] = []
    inline_buf: list[str] = []

    def flush():
        t = clean("".join(inline_buf))
        inline_buf.clear()
        if t:
            blocks.append(t)

    for n in nodes:
        if isinstance(n, str):
            inline_buf.append(n)
            continue
        if n.classes & SKIP_CLASSES or n.tag in ("script", "style", "head"):
            continue
        if n.classes & {"titlepage"}:
            # a sub-heading (h4/h5 folded into its h3 file, or a note/table title)
            flush()
            h = next((e for e in n.iter() if e.tag in HEADINGS), None)
            if h is not None:
                t = clean(inline_text(h))
                if t:
                    blocks.append(f"### {t}")
            continue
        if n.classes & ADMONITIONS:
            # DocBook admonition: a layout table [icon | "Tip"] / [body] -> "**Tip:** body"
            flush()
            label = clean(inline_text(n.find("th") or El("th")))
            body: list[str] = []
            for td in (e for e in n.iter() if e.tag == "td"):
                body.extend(to_markdown(td.children))
            if body:
                body[0] = f"**{label}:** {body[0]}" if label else body[0]
                blocks.extend(body)
            continue
        if n.tag in HEADINGS:
            flush()
            t = clean(inline_text(n))
            if t:
                blocks.append(f"### {t}")
        elif n.tag == "p":
            flush()
            t = clean(inline_text(n))
            if t:
                blocks.append(t)
        elif n.tag == "pre":
            flush()
            t = inline_text(n).strip("\n")
            if t.strip():
                blocks.append("```\n" + t.rstrip() + "\n```")
        elif n.tag in ("ul", "ol"):
            flush()
            items = []
            for i, li in enumerate((e for e in n.elements() if e.tag == "li"), 1):
                t = clean(inline_text(li))
                if t:
                    items.append(f"{i}. {t}" if n.tag == "ol" else f"- {t}")
            if items:
                blocks.append("\n".join(items))
        elif n.tag == "dl":
            flush()
            lines = []
            for e in n.elements():
                t = clean(inline_text(e))
                if not t:
                    continue
                lines.append(f"**{t}**" if e.tag == "dt" else f": {t}")
            if lines:
                blocks.append("\n".join(lines))
        elif n.tag == "table":
            flush()
            rows = []
            for tr in (e for e in n.iter() if e.tag == "tr"):
                cells = [clean(inline_text(c)).replace("|", "\\|") for c in tr.elements() if c.tag in ("td", "th")]
                if any(cells):
                    rows.append("| " + " | ".join(cells) + " |")
            caption = n.find("caption")
            if rows:
                ncol = rows[0].count(" | ") + 1
                rows.insert(1, "|" + "---|" * ncol)
                if caption is not None:
                    rows.insert(0, clean(inline_text(caption)))
                blocks.append("\n".join(rows))
        elif n.tag in ("div", "blockquote", "span", "section", "body", "html", "a", "sup") or n.tag not in BLOCK_TAGS:
            # containers (tables' wrappers, notes, tips, ...): recurse; inline elements: buffer
            if n.tag in ("div", "blockquote", "body", "html", "section"):
                flush()
                blocks.extend(to_markdown(n.children))
            else:
                inline_buf.append(inline_text(n))
    flush()
    return blocks


def text_len(blocks: list[str]) -> int:
    return sum(len(re.sub(r"[\s`|#*:-]", "", b)) for b in blocks)


# --------------------------------------------------------------------------- splitting


def child_sections(el: El) -> list[El]:
    return [c for c in el.elements() if c.tag == "div" and "section" in c.classes]


def own_content(el: El) -> list[El | str]:
    """Children of a section/chapter that are not sub-sections nor its own title page."""
    out: list[El | str] = []
    for c in el.children:
        if isinstance(c, El) and ("section" in c.classes or "titlepage" in c.classes):
            continue
        out.append(c)
    return out


def substantial(blocks: list[str]) -> bool:
    """An intro worth its own file: at least two blocks (paragraphs, lists, tables, code).

    Counting blocks rather than characters keeps the rule language-neutral, so the English
    and Chinese trees get the same files; a one-line lead-in ("Here are a few examples of
    ...") is dropped.
    """
    return sum(1 for b in blocks if not b.startswith("###")) >= 2


def section_doc(title: str, number: str, where: str, blocks: list[str]) -> str:
    head = f"# {title}\n\n"
    meta = f"<!-- {where} §{number} -->\n\n" if number else f"<!-- {where} -->\n\n"
    return head + meta + "\n\n".join(blocks).rstrip() + "\n"


def split_chapter(html: str, chapter: str, manual: str) -> list[tuple[str, str]]:
    """Return [(relative file name, markdown text)] for one chapter file."""
    root = parse_html(html)
    body = root.find("body") or root
    top = next((e for e in body.iter() if e.tag == "div" and e.classes & {"chapter", "appendix", "preface"}), None)
    if top is None:
        return []
    out: list[tuple[str, str]] = []
    seen: set[str] = set()

    def emit(anchor: str, title: str, number: str, blocks: list[str], fallback: str) -> None:
        name = anchor or fallback
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
        base, i = name, 2
        while name in seen:
            name, i = f"{base}-{i}", i + 1
        seen.add(name)
        out.append((f"{chapter}/{name}.md", section_doc(title, number, f"{manual} {chapter}", blocks)))

    c_anchor, c_title, c_num = heading_of(top)
    intro = to_markdown(own_content(top))
    h2s = child_sections(top)
    if substantial(intro) or not h2s:
        emit(c_anchor, c_title, c_num, intro, "chapter")
    for s2 in h2s:
        a2, t2, n2 = heading_of(s2)
        h3s = child_sections(s2)
        blocks2 = to_markdown(own_content(s2))
        if (not h3s or substantial(blocks2)) and (h3s or text_len(blocks2) > 0):
            emit(a2, t2, n2, blocks2, f"s{n2}")
        for s3 in h3s:
            a3, t3, n3 = heading_of(s3)
            blocks3 = to_markdown([c for c in s3.children if not (isinstance(c, El) and "titlepage" in c.classes)])
            emit(a3, t3, n3, blocks3, f"s{n3}")
    return out


ANSI = re.compile(r"\x1b\[[0-9;]*m")


def split_fortunes(path: Path) -> list[tuple[str, str]]:
    text = ANSI.sub("", path.read_text("utf-8", errors="replace"))
    out = []
    for i, entry in enumerate((e.strip("\n") for e in text.split("\n%\n")), 1):
        lines = [ln.rstrip() for ln in entry.splitlines() if ln.strip() and ln.strip() != "%"]
        if not lines:
            continue
        title = lines[0].strip()
        out.append((f"{path.name}/{i:04d}.md", f"# {title}\n\n" + "\n".join(lines[1:]) + "\n"))
    return out


# --------------------------------------------------------------------------- main


def build(cache: Path, fortunes: bool = True, force: bool = False, quiet: bool = False) -> Path:
    corpus = cache / "corpus"
    manifest_path = corpus / "MANIFEST.json"
    if manifest_path.exists() and not force:
        m = json.loads(manifest_path.read_text("utf-8"))
        if m.get("fortunes") == fortunes and all((corpus / f).exists() for f in m["files"]):
            if not quiet:
                print(f"corpus up to date: {corpus} ({len(m['files'])} files)")
            return corpus
    names = list(PACKAGES) if fortunes else [n for n in PACKAGES if n != "fortunes-zh"]
    debs = fetch_packages(cache / "debs", names)
    roots = {n: unpack(debs[n], cache / "unpacked" / n) for n in names}

    if corpus.exists():
        shutil.rmtree(corpus)
    files: dict[str, str] = {}
    for lang, manual, pkg, subdir, suffix in MANUALS:
        for page in sorted((roots[pkg] / subdir).glob(f"*{suffix}")):
            chapter = page.name[: -len(suffix)]
            if chapter == "index":
                continue
            for rel, text in split_chapter(page.read_text("utf-8"), chapter, manual):
                files[f"{lang}/{manual}/{rel}"] = text
    if fortunes:
        for fname in FORTUNE_FILES:
            for rel, text in split_fortunes(roots["fortunes-zh"] / "usr/share/games/fortunes" / fname):
                files[f"zh/fortunes/{rel}"] = text

    for rel, text in sorted(files.items()):
        p = corpus / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, "utf-8")
    manifest = {
        "packages": {n: debs[n].name for n in names},
        "fortunes": fortunes,
        "counts": {},
        "files": {rel: hashlib.sha256(t.encode()).hexdigest() for rel, t in sorted(files.items())},
    }
    for rel in files:
        key = "/".join(rel.split("/")[:2])
        manifest["counts"][key] = manifest["counts"].get(key, 0) + 1
    manifest_path.write_text(json.dumps(manifest, indent=1, ensure_ascii=False, sort_keys=True) + "\n", "utf-8")
    if not quiet:
        print(f"wrote {len(files)} files under {corpus}")
        for k, v in sorted(manifest["counts"].items()):
            print(f"  {k}: {v}")
    return corpus


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    ap.add_argument("--no-fortunes", action="store_true", help="leave out the Chinese poem distractors")
    ap.add_argument("--force", action="store_true", help="rebuild even if the manifest is complete")
    args = ap.parse_args(argv)
    build(args.cache, fortunes=not args.no_fortunes, force=args.force)


if __name__ == "__main__":
    main()
