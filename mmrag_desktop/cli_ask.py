"""``mmrag ask`` and ``mmrag chat``: answers from your files, streamed, with citations.

Registered on the main command group in :mod:`mmrag_desktop.cli`; like it, this module
only calls :class:`~mmrag_desktop.library.Library`.
"""

from __future__ import annotations

import json
import shutil
import sys
import threading
import unicodedata
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from .errors import MMRagError
from .pipeline.generate import Withdrawal
from .records import Answer, Filters


def _library(ctx: click.Context) -> Any:
    return ctx.find_root().obj.library()


def _filters(types: tuple[str, ...], folders: tuple[Path, ...]) -> Filters:
    return Filters(folders=tuple(p.expanduser().resolve() for p in folders),
                   file_types=tuple(t.lower().lstrip(".") for t in types))


def _print_sources(answer: Answer) -> None:
    if not answer.citations:
        return
    click.echo("")
    for citation in answer.citations:
        where = citation.locator.describe()
        kind = "" if citation.modality == "text" else f" [{citation.modality}]"
        click.echo(click.style(f"[{citation.n}] ", bold=True) + str(citation.path) + (f"  ({where})" if where else "")
                   + kind)


WITHDRAWN = "[the answer above is withdrawn: your files do not support it]"


class _Printer:
    """Prints streamed pieces. When the draft is withdrawn (the grounding check found it
    unsupported), a terminal erases it and shows the refusal in its place; a pipe or a
    file, which cannot be rewritten, gets a marker line and then the refusal."""

    def __init__(self, tty: bool, width: int) -> None:
        self.tty, self.width = tty, max(1, width)
        self.shown = ""

    def __call__(self, piece: str) -> None:
        if isinstance(piece, Withdrawal):
            refusal = piece.lstrip("\n")
            if self.tty and self.shown:
                piece = self.erase() + refusal
            else:
                piece = ("\n" + WITHDRAWN + "\n" if self.shown else "") + refusal
            self.shown = ""
        else:
            self.shown += piece
        # color=True keeps the erase codes (click strips escape codes it thinks unwanted).
        click.echo(piece, nl=False, color=True if self.tty else None)
        sys.stdout.flush()

    def erase(self) -> str:
        """Terminal codes that move the cursor to the start of the draft and clear to the
        end of the screen (the draft's rows counted with wide CJK characters and wrapping)."""
        rows = sum(max(1, -(-_width(line) // self.width)) for line in self.shown.split("\n"))
        return "\r" + (f"\x1b[{rows - 1}A" if rows > 1 else "") + "\x1b[J"


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _stream(library: Any, question: str, conversation_id: int | None, filters: Filters) -> Answer:
    """Ask, printing tokens as they come; Ctrl-C stops the answer, not the program."""
    cancel = threading.Event()
    show = _Printer(sys.stdout.isatty(), shutil.get_terminal_size().columns)

    try:
        answer = library.ask(question, conversation_id=conversation_id, filters=filters, on_token=show, cancel=cancel)
    except KeyboardInterrupt:
        cancel.set()
        click.echo("\n(stopped)")
        raise
    click.echo("")
    return answer


def _spoken(library: Any, answer: Answer, out: Path | None, *, play: bool) -> Path:
    """The answer read aloud by the first generator plugin whose output is audio (the
    built-in one speaks through espeak-ng); returns the WAV it wrote."""
    from .cli_speech import audio_generator

    (path,) = audio_generator(library).generate("", [], text=answer.text, out=out, play=play)
    return Path(path)


#: The question `mmrag demo` asks about the bundled sample (notes/meeting-2024-03.txt).
#: Answered by the default 0.5B model from the sample (checked with it: "We agreed to move
#: the public launch from April to 3 June, because the translation of the user guide into
#: Chinese is not finished. [1]"); earlier wordings it restates or answers without the
#: reason (docs/rag.md, "The demo question").
DEMO_QUESTION = "Why did we move the public launch?"


def demo_answer(library: Any, question: str = DEMO_QUESTION) -> None:
    """The generation stage of `mmrag demo`: one question answered from the sample with
    its sources, or, without a generator model, what to install to get one."""
    click.echo(click.style(f"\n> mmrag ask \"{question}\"", fg="cyan", bold=True))
    try:
        answer = _stream(library, question, None, Filters())
    except MMRagError as exc:
        click.echo(f"Answers with citations need a local language model, which is not ready here:\n  {exc}\n"
                   "Then run `mmrag demo` again, or `mmrag ask QUESTION` on your own files.")
        return
    _print_sources(answer)
    if not answer.supported and question == DEMO_QUESTION:
        # The sample does answer it: say so rather than leave the user wondering.
        click.echo("(The answer is in notes/meeting-2024-03.txt, but the language model missed "
                   "it; small models do. The optional qwen2.5-coder-1.5b-instruct-q4_k_m answers it, more slowly: "
                   "see `mmrag models list`.)")


@click.command()
@click.argument("question", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True,
              help='Print one JSON object: {"answer", "citations", "evidence", "supported", ...}.')
@click.option("--conversation", "conversation_id", type=int, help="Continue this conversation (see `mmrag chat --list`).")
@click.option("--type", "types", multiple=True, help="Only files of this type (extension), e.g. --type md.")
@click.option("--in", "folders", multiple=True, type=click.Path(path_type=Path), help="Only files under this folder.")
@click.option("--timings", is_flag=True, help="Show how long each stage took.")
@click.option("--speak", is_flag=True, help="Also read the answer aloud (a generator plugin that outputs audio).")
@click.option("--save-audio", type=click.Path(dir_okay=False, path_type=Path),
              help="Also save the spoken answer as this WAV file.")
@click.pass_context
def ask(ctx: click.Context, question: tuple[str, ...], as_json: bool, conversation_id: int | None,
        types: tuple[str, ...], folders: tuple[Path, ...], timings: bool, speak: bool,
        save_audio: Path | None) -> None:
    """Answer QUESTION from your files, with numbered citations (file + place)."""
    text = " ".join(question)
    library = _library(ctx)
    try:
        if as_json:
            answer = library.ask(text, conversation_id=conversation_id, filters=_filters(types, folders))
            result = answer.to_json()
            if speak or save_audio:
                result["audio"] = str(_spoken(library, answer, save_audio, play=speak))
            click.echo(json.dumps(result, ensure_ascii=False, indent=2))
            return
        answer = _stream(library, text, conversation_id, _filters(types, folders))
        _print_sources(answer)
        if speak or save_audio:
            click.echo(f"Spoken answer: {_spoken(library, answer, save_audio, play=speak)}", err=True)
        if timings:
            sys.stdout.flush()
            click.echo(", ".join(f"{k} {v:.2f}" for k, v in answer.timings.items()), err=True)
    finally:
        library.close()


@click.command()
@click.option("--list", "list_", is_flag=True, help="List saved conversations and exit.")
@click.option("--resume", "resume", type=int, help="Continue conversation ID.")
@click.option("--json", "as_json", is_flag=True, help="With --list: print JSON.")
@click.pass_context
def chat(ctx: click.Context, list_: bool, resume: int | None, as_json: bool) -> None:
    """Talk with your files: follow-up questions keep their context. Empty line or Ctrl-D ends."""
    library = _library(ctx)
    try:
        if list_:
            rows = library.conversations()
            if as_json:
                click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
            elif not rows:
                click.echo("No conversations yet. Start one with: mmrag chat")
            for row in [] if as_json else rows:
                when = datetime.fromtimestamp(row["updated_at"]).strftime("%Y-%m-%d %H:%M")
                click.echo(f"{row['id']:>4}  {when}  {row['turns'] // 2:>2} questions  {row['title']}")
            return
        conversation_id = resume
        if resume is not None:
            for turn in library.conversation(resume):
                prefix = "> " if turn["role"] == "user" else ""
                click.echo(prefix + turn["text"])
        click.echo("Ask a question (empty line or Ctrl-D to end, Ctrl-C stops an answer).")
        while True:
            try:
                question = click.prompt("", prompt_suffix="> ", default="", show_default=False)
            except (EOFError, click.exceptions.Abort):
                break
            if not question.strip():
                break
            try:
                answer = _stream(library, question, conversation_id, Filters())
            except KeyboardInterrupt:
                continue
            conversation_id = answer.conversation_id
            _print_sources(answer)
        if conversation_id is not None:
            click.echo(f"Saved as conversation {conversation_id} (resume: mmrag chat --resume {conversation_id}).")
    finally:
        library.close()
