"""OpenAI CLIP's byte-pair tokenizer, built from its merges file.

OpenAI-layout CLIP exports (a ``visual``/``textual`` ONNX pair, e.g. Jina AI's
clip-as-service ViT-B-32) come with no ``tokenizer.json``, only the reference code's
``bpe_simple_vocab_16e6.txt.gz``. This builds the same tokenizer in Hugging Face
``tokenizers`` (what the rest of the plugin uses), the way ``transformers`` converts
CLIP's: lower-cased, NFC, whitespace collapsed; words split as the reference regex does;
byte-level symbols with ``</w>`` marking a word's end; ``<|startoftext|> … <|endoftext|>``
around the ids. Of the reference's ``ftfy`` clean-up it keeps what changes ids on
ordinary text: HTML entities decoded and full-width forms (CJK punctuation such as
``？``) made half-width; mojibake repair is left out.
"""

from __future__ import annotations

import gzip
import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

#: Merges the reference tokenizer uses: the file's lines 1 .. 48894 (49152 ids minus the
#: 256 byte symbols, their 256 word-final forms and the two specials).
_MERGES = 49152 - 256 - 2
START, END = "<|startoftext|>", "<|endoftext|>"
_WORDS = r"""'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"""


def _byte_symbols() -> list[str]:
    """The 256 printable stand-ins for bytes, in the reference's id order."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    codes = printable[:]
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            codes.append(256 + extra)
            extra += 1
    return [chr(code) for code in codes]


#: Full-width ASCII forms (U+FF01..U+FF5E) and the ideographic space to their plain forms.
_HALF_WIDTH = {0xFF01 + n: 0x21 + n for n in range(0x5E)} | {0x3000: 0x20}


def clean(text: str) -> str:
    return html.unescape(html.unescape(text)).translate(_HALF_WIDTH).strip()


class ClipTokenizer:
    """``encode``/``encode_batch`` as ``tokenizers.Tokenizer`` has them, after :func:`clean`."""

    def __init__(self, tokenizer: Tokenizer) -> None:
        self.tokenizer = tokenizer

    def encode(self, text: str) -> Any:
        return self.tokenizer.encode(clean(text))

    def encode_batch(self, texts: Sequence[str]) -> list[Any]:
        return self.tokenizer.encode_batch([clean(t) for t in texts])


def clip_tokenizer(merges_file: Path, context_length: int = 77) -> ClipTokenizer:
    """A tokenizer giving the reference CLIP ids, truncated and zero-padded to
    ``context_length`` (the end token kept last, as the text tower reads it)."""
    lines = gzip.decompress(merges_file.read_bytes()).decode("utf-8").split("\n")[1:_MERGES + 1]
    merges = [tuple(line.split()) for line in lines if line.strip()]
    symbols = _byte_symbols()
    vocab_list = [*symbols, *(s + "</w>" for s in symbols), *("".join(m) for m in merges), START, END]
    vocab = {token: n for n, token in enumerate(vocab_list)}
    tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=[(a, b) for a, b in merges], unk_token=END,
                                     continuing_subword_prefix="", end_of_word_suffix="</w>", fuse_unk=False))
    tokenizer.normalizer = normalizers.Sequence(
        [normalizers.NFC(), normalizers.Replace(Regex(r"\s+"), " "), normalizers.Lowercase()])
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(_WORDS), behavior="removed", invert=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{START} $A {END}", special_tokens=[(START, vocab[START]), (END, vocab[END])])
    tokenizer.enable_truncation(max_length=context_length)
    tokenizer.enable_padding(length=context_length, pad_id=0, pad_token="!")  # the reference pads with id 0
    return ClipTokenizer(tokenizer)
