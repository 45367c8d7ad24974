"""``mmrag``: everything the desktop app does, from the command line.

Only calls :class:`~mmrag_desktop.library.Library`. Errors the user can act on are one
line on stderr and a non-zero exit, never a traceback (``MMRAG_DEBUG=1`` shows it).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from . import __version__, cli_ask, cli_models, netguard
from .errors import MMRagError
from .hits import without_file
from .records import Filters, Query

EXIT_ERROR = 1
EXIT_INTERRUPTED = 130


class _State:
    def __init__(self, data_dir: Path | None, safe_mode: bool) -> None:
        self.data_dir = data_dir
        self.safe_mode = safe_mode

    def library(self):  # type: ignore[no-untyped-def]
        from .library import Library

        return Library(self.data_dir, safe_mode=self.safe_mode)


# C0/C1 control characters but tab and newline: file names and snippets come from the
# user's files, and printed raw an escape sequence in them would drive the terminal.
_CONTROLS = {c: "\ufffd" for c in [*range(0, 9), *range(11, 32), *range(127, 160)]}


def _printable(text: str) -> str:
    return text.translate(_CONTROLS)


@contextmanager
def _open(ctx: click.Context) -> Iterator[Any]:
    library = ctx.obj.library()
    try:
        yield library
    finally:
        library.close()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mmrag")
@click.option("--data-dir", type=click.Path(path_type=Path), envvar="MMRAG_DATA_DIR",
              help="Library folder (default: the platform's user data folder; env MMRAG_DATA_DIR).")
@click.option("--safe-mode", is_flag=True, help="Load the built-in plugins only.")
@click.pass_context
def cli(ctx: click.Context, data_dir: Path | None, safe_mode: bool) -> None:
    """Offline multimodal search over your own files."""
    ctx.obj = _State(data_dir, safe_mode)


# -- sources ----------------------------------------------------------------------------

@cli.group()
def sources() -> None:
    """Folders this library indexes."""


@sources.command("add")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--include", multiple=True, help="Only index paths matching this glob (repeatable), e.g. '**/*.md'.")
@click.option("--exclude", multiple=True, help="Skip paths matching this glob (repeatable), e.g. '**/drafts/**'.")
@click.pass_context
def sources_add(ctx: click.Context, path: Path, include: tuple[str, ...], exclude: tuple[str, ...]) -> None:
    """Add a folder (not indexed until `mmrag index`)."""
    with _open(ctx) as library:
        source = library.add_source(path, include, exclude)
        click.echo(f"Added {source.path}")


@sources.command("remove")
@click.argument("path", type=click.Path(path_type=Path))
@click.pass_context
def sources_remove(ctx: click.Context, path: Path) -> None:
    """Remove a folder and everything indexed from it (your files are not touched)."""
    with _open(ctx) as library:
        removed = library.remove_source(path)
        click.echo(f"Removed {path} ({removed} files dropped from the index)")


@sources.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def sources_list(ctx: click.Context, as_json: bool) -> None:
    """List the folders of this library."""
    with _open(ctx) as library:
        rows = [{"path": str(s.path), "include": list(s.include), "exclude": list(s.exclude)} for s in library.sources()]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("No sources yet. Add one with: mmrag index FOLDER")
    for row in rows:
        extra = "".join(f" +{g}" for g in row["include"]) + "".join(f" -{g}" for g in row["exclude"])
        click.echo(row["path"] + extra)


# -- index ------------------------------------------------------------------------------

@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def index(ctx: click.Context, paths: tuple[Path, ...], quiet: bool, as_json: bool) -> None:
    """Index PATHS (added as sources if new), or every source. Ctrl-C stops safely."""
    from .progress import ProgressPrinter

    cancel = threading.Event()
    with _open(ctx) as library:
        printer = ProgressPrinter(enabled=not quiet and not as_json)
        try:
            with printer:
                report = library.index(list(paths) or None, progress=printer.update, cancel=cancel)
        except KeyboardInterrupt:
            cancel.set()
            click.echo("Interrupted: files indexed so far are kept; run `mmrag index` again to resume.", err=True)
            sys.exit(EXIT_INTERRUPTED)
    if as_json:
        click.echo(json.dumps(report.__dict__, ensure_ascii=False, indent=2))
        return
    click.echo(f"Indexed: {report.summary()}")
    for problem in report.problems[:20]:
        click.echo(f"  warning: {problem}", err=True)
    if report.failed or report.skipped:
        click.echo("  See `mmrag status` for the files that failed or were skipped, with reasons.")


# -- search -----------------------------------------------------------------------------

def _parse_date(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value).timestamp()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2024-05-31") from None


def _parse_near(value: str | None) -> tuple[float, float, float] | None:
    if value is None:
        return None
    try:
        lat, lon, km = (float(part) for part in value.split(","))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not LAT,LON,KM like 48.86,2.35,10") from None
    return lat, lon, km


@cli.command()
@click.argument("query", nargs=-1)
@click.option("--image", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Search with a picture (labels, text in it, and what it looks like).")
@click.option("--file", "file_", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="More like this file (any type the library can index).")
@click.option("-k", "k", default=10, show_default=True, help="Number of files to return.")
@click.option("--json", "as_json", is_flag=True, help="JSON array, best first.")
@click.option("--explain", is_flag=True, help="Show each retriever's rank and the fused score.")
@click.option("--type", "types", multiple=True, help="File type(s) by extension, e.g. --type pdf --type md.")
@click.option("--in", "folders", multiple=True, type=click.Path(path_type=Path), help="Only files under this folder.")
@click.option("--modality", "modalities", multiple=True, help="Only items of this modality (text, image …).")
@click.option("--after", help="Only files modified on or after this date (YYYY-MM-DD).")
@click.option("--before", help="Only files modified before this date (YYYY-MM-DD).")
@click.option("--only", "retrievers", multiple=True, help="Use only these retrievers (bm25, dense).")
@click.option("--audio", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Search with what is said in a recording (a voice query).")
@click.option("--near", help="Only items recorded within KM of a point (e.g. photos' GPS): LAT,LON,KM.")
@click.pass_context
def search(ctx: click.Context, query: tuple[str, ...], image: Path | None, file_: Path | None, k: int, as_json: bool,
           explain: bool, types: tuple[str, ...], folders: tuple[Path, ...], modalities: tuple[str, ...],
           after: str | None, before: str | None, retrievers: tuple[str, ...], audio: Path | None,
           near: str | None) -> None:
    """Search the library (hybrid BM25 + dense by default) with words, a picture
    (--image), a recording (--audio) or any file (--file), or words and a file together."""
    text = " ".join(query)
    given = [(flag, path) for flag, path in (("image", image), ("audio", audio), ("file", file_)) if path]
    if len(given) > 1:
        raise click.UsageError("Give only one of --image, --audio and --file.")
    if not text.strip() and not given:
        raise click.UsageError("Give words to search for, --image FILE, --audio FILE or --file FILE.")
    filters = Filters(
        folders=tuple(p.expanduser().resolve() for p in folders),
        file_types=tuple(t.lower().lstrip(".") for t in types),
        modalities=modalities,
        modified_after=_parse_date(after),
        modified_before=_parse_date(before),
        near=_parse_near(near),
    )
    with _open(ctx) as library:
        if given:
            flag, attach = given[0]
            asked: str | Query = library.file_query(attach, text, None if flag == "file" else flag)
        else:
            asked = text
        hits = library.search(asked, k=k + 1 if given else k, filters=filters, retrievers=retrievers or None)
    if given:  # "more like this file": the file itself is not a result (its copies are)
        hits = without_file(hits, Path(given[0][1]))[:k]
    if as_json:
        click.echo(json.dumps([h.to_json(explain) for h in hits], ensure_ascii=False, indent=2))
        return
    if not hits:
        click.echo("No results.")
        return
    for number, hit in enumerate(hits, start=1):
        where = hit.best.locator.describe()
        click.echo(click.style(f"{number:>2}. {_printable(str(hit.path))}", bold=True) + (f"  ({where})" if where else ""))
        # An item may have no text (a face found in a picture): show the file's next words.
        click.echo(f"    {_printable(next((i.snippet for i in hit.items if i.snippet), ''))}")
        if explain:
            for item in hit.items:
                ranks = ", ".join(f"{name} #{rank}" for name, rank in sorted(item.ranks.items())) or "-"
                click.echo(f"    fused {item.score:.5f}  [{ranks}]  {item.locator.describe()}")


# -- status, plugins, models, config ------------------------------------------------------

@cli.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """Counts, embedding spaces, and every file that failed or was skipped (with why)."""
    with _open(ctx) as library:
        info = library.status()
    if as_json:
        click.echo(json.dumps(info, ensure_ascii=False, indent=2))
        return
    files = info["files"]
    click.echo(f"Library: {info['data_dir']}")
    click.echo(f"Sources: {len(info['sources'])}")
    for source in info["sources"]:
        click.echo(f"  {source['path']}")
    click.echo(f"Files: {files.get('indexed', 0)} indexed, {files.get('failed', 0)} failed, "
               f"{files.get('skipped', 0)} skipped; {info['items']} items")
    for modality, count in sorted(info["modalities"].items()):
        click.echo(f"  {modality or '?'}: {count} files")
    for space in info["spaces"]:
        state = "active" if space["active"] else "inactive (model not in use)"
        click.echo(f"Space {space['model_id']} ({space['dim']}-d {space['metric']}, {'/'.join(space['modalities'])}): "
                   f"{space['vectors']} vectors, {space['pending']} pending, {state}")
    if not info["encoders"]:
        click.echo("No encoder active: full-text search only (see `mmrag models`).")
    if info["problems"]:
        click.echo(f"Problems ({len(info['problems'])}):")
        for problem in info["problems"]:
            click.echo(f"  {problem['status']}: {problem['path']}: {problem['reason']}")
    for message in info["scan_problems"]:
        click.echo(f"  folder: {message}")


@cli.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def plugins(ctx: click.Context, as_json: bool) -> None:
    """Every plugin with its source, version, hooks and state."""
    with _open(ctx) as library:
        rows = library.plugin_listing()
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        line = f"{row['name']:<14} {row['state']:<12} {row['source']} {row['version']}  hooks: {', '.join(row['hooks']) or '-'}"
        click.echo(line)
        if row["reason"]:
            click.echo(f"{'':<14} reason: {row['reason']}")


@cli.group()
def plugin() -> None:
    """Write your own plugin."""


@plugin.command("new")
@click.argument("name")
@click.option("--dir", "directory", type=click.Path(path_type=Path),
              help="Folder to create (default: ./mmrag-NAME); must not exist or be empty.")
@click.option("--extension", default=".memo", show_default=True,
              help="File type of the example extractor (a made-up format).")
def plugin_new(name: str, directory: Path | None, extension: str) -> None:
    """Create a plugin distribution NAME: pyproject with the `mmrag` entry point, a
    package with an example extractor, tests that pass, README."""
    from .scaffold import PluginNames, write_plugin

    names = PluginNames.from_name(name, extension)
    target = (directory or Path.cwd() / names.distribution).expanduser().resolve()
    write_plugin(names, target)
    click.echo(f"Created {target}")
    click.echo(f"  distribution {names.distribution}, package {names.package}, entry point {names.name}, "
               f"example extractor for {names.extension}")
    click.echo(f"Next: cd {target} && pip install -e . && pytest && mmrag plugins")


@cli.group(invoke_without_command=True)
@click.pass_context
def models(ctx: click.Context) -> None:
    """Models: catalog, installed files, which are in use."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(models_list)


@models.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def models_list(ctx: click.Context, as_json: bool = False) -> None:
    """List catalogued models and available encoders."""
    with _open(ctx) as library:
        rows = library.model_listing()
        runtimes = [] if as_json else library.generator_runtimes()
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        if "encoder" in row:
            click.echo(f"encoder {row['encoder']:<24} {row['id']}  {'ACTIVE' if row['active'] else 'available'}")
        else:
            size = f"{row['size'] / 1048576:7.1f} MB" if row["size"] is not None else "      ? MB"  # not published
            licence = row["licence"] if len(row["licence"]) <= 11 else row["licence"][:10] + "…"  # full: --json
            click.echo(f"{row['id']:<44} {row['role']:<14} {size}  {licence:<11} {row['state']:<12}"
                       f"  {row['source_kind']}: {row['source_text']}")
    for entry in runtimes:
        if entry["runtime"]:
            click.echo(f"generator {entry['generator']:<22} {entry['runtime']}")


cli_models.register(models)  # install, import, remove


@models.command("verify")
@click.argument("model_id", required=False)
def models_verify(model_id: str | None) -> None:
    """Check size and sha256 of installed model files."""
    from . import models as catalog

    ids = [model_id] if model_id else [row["id"] for row in catalog.status() if row["installed"]]
    failed = False
    for current in ids:
        try:
            catalog.verify_installed(current)
            click.echo(f"{current}: ok")
        except MMRagError as exc:
            failed = True
            click.echo(f"{current}: {exc}", err=True)
    if failed:
        sys.exit(EXIT_ERROR)


@cli.group(invoke_without_command=True)
@click.pass_context
def config(ctx: click.Context) -> None:
    """Show or change this library's settings."""
    if ctx.invoked_subcommand is None:
        with _open(ctx) as library:
            click.echo(json.dumps(library.config_dict(), ensure_ascii=False, indent=2))


@config.command("set")
@click.argument("key")
@click.argument("value", nargs=-1, required=True)
@click.pass_context
def config_set(ctx: click.Context, key: str, value: tuple[str, ...]) -> None:
    """Set KEY to VALUE (JSON values are parsed; several values make a list)."""
    parsed: list[Any] = []
    for raw in value:
        try:
            parsed.append(json.loads(raw))
        except ValueError:
            parsed.append(raw)
    with _open(ctx) as library:
        current = library.config_dict()
        if key not in current:
            raise MMRagError(f"Unknown setting {key!r}; known: {', '.join(sorted(current))}.")
        new = tuple(parsed) if isinstance(current[key], (list, tuple)) or len(parsed) > 1 or key == "encoders" else parsed[0]
        library.update_config(**{key: new})
        click.echo(f"{key} = {json.dumps(new, ensure_ascii=False)}")


@cli.command()
@click.option("--no-ask", is_flag=True, help="Only index and search; do not ask the language model.")
@click.pass_context
def demo(ctx: click.Context, no_ask: bool) -> None:
    """Index the bundled sample corpus, run a few searches (English and Chinese) and ask one question."""
    sample = Path(__file__).parent / "sample"
    with _open(ctx) as library:
        click.echo(f"Indexing the sample corpus in {sample} …")
        report = library.index([sample])
        click.echo(f"Indexed: {report.summary()}")
        for question in ("how do I make a backup of my files", "怎么设置网络代理", "phone number of the office in Berlin",
                         "function that parses dates"):
            click.echo(click.style(f"\n> {question}", fg="cyan", bold=True))
            for number, hit in enumerate(library.search(question, k=3), start=1):
                where = hit.best.locator.describe()
                click.echo(f"  {number}. {hit.path.name}" + (f" ({where})" if where else ""))
                click.echo(f"     {hit.best.snippet[:160]}")
        if not no_ask:
            cli_ask.demo_answer(library)  # the generation stage, or how to get a model


from .cli_speech import speak as _speak  # noqa: E402  (after `cli` exists; its own module)

cli.add_command(_speak)

cli.add_command(cli_ask.ask)
cli.add_command(cli_ask.chat)


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    debug = os.environ.get("MMRAG_DEBUG", "") not in ("", "0")
    netguard.enforce()  # offline: only `mmrag models install` may download
    try:
        cli.main(args=argv, prog_name="mmrag", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Interrupted.", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except MMRagError as exc:
        if debug:
            raise
        click.echo(f"Error: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except Exception as exc:
        if debug:
            raise
        click.echo(f"Internal error: {type(exc).__name__}: {exc} (set MMRAG_DEBUG=1 for details)", err=True)
        sys.exit(EXIT_ERROR)


if __name__ == "__main__":
    main()
