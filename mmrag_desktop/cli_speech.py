"""``mmrag speak``: read a text aloud through whichever generator plugin outputs audio
(the built-in one is mmrag_tts, espeak-ng). The core names no plugin: it asks the
library for a generator whose ``output_modality`` is ``audio``."""

from __future__ import annotations

from pathlib import Path

import click

from .errors import MMRagError


def audio_generator(library):  # type: ignore[no-untyped-def]
    """The first enabled generator that outputs audio."""
    for plugin, generator in library.generators:
        if generator.output_modality == "audio" and library.plugins.is_enabled(plugin):
            return generator
    raise MMRagError("No plugin can produce speech (the built-in tts plugin needs espeak-ng).")


@click.command()
@click.argument("text", nargs=-1, required=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Save the speech as this WAV file.")
@click.option("--language", type=click.Choice(["zh", "en"]), help="Voice language (default: from the text).")
@click.option("--no-play", is_flag=True, help="Only write the WAV, do not play it.")
@click.pass_context
def speak(ctx: click.Context, text: tuple[str, ...], out: Path | None, language: str | None, no_play: bool) -> None:
    """Read TEXT aloud (and/or save it as a WAV with --out)."""
    library = ctx.obj.library()
    try:
        generator = audio_generator(library)
        (path,) = generator.generate("", [], text=" ".join(text), out=out, language=language, play=not no_play)
    finally:
        library.close()
    click.echo(path)
