"""Check a RAG question file against the corpus.

For each answerable question (non-empty ``facts``), at least one fact must occur
(case-insensitively, as ``benchmarks/rag.py`` matches answers) in the cited section, in
that section's translation (the same file name under the other language), and in no
other section of either language, so the citation is unambiguous. Unanswerable questions
must have ``facts == []`` and ``cite: null``.

    python benchmarks/rag/check_questions.py benchmarks/rag/questions-fresh.jsonl
    python benchmarks/rag/check_questions.py FILE --disjoint-from benchmarks/rag/questions.jsonl

``--disjoint-from`` also fails a question whose cited section (in either language) is
cited by the given file. Only reads files; exits 1 on any failure.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_CORPUS = HERE.parent / "cache" / "rag" / "corpus"
LANGS = ("en", "zh")


def load_corpus(root: Path) -> dict[str, str]:
    """Every section, keyed by its path relative to ``root``, lower-cased."""
    sections = {}
    for lang in LANGS:
        for path in sorted((root / lang).rglob("*.md")):
            sections[path.relative_to(root).as_posix()] = path.read_text(encoding="utf-8").lower()
    return sections


def load_questions(path: Path) -> list[dict]:
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                questions.append(json.loads(line))
            except json.JSONDecodeError as error:
                raise SystemExit(f"{path}:{number}: not JSON: {error}") from error
    return questions


def section_key(cite: str) -> str:
    """The section without its language, so a section used in one language counts for both."""
    return cite.split("/", 1)[1]


def translation(cite: str) -> str:
    lang, rest = cite.split("/", 1)
    other = LANGS[1 - LANGS.index(lang)]
    return f"{other}/{rest}"


def check(questions: list[dict], sections: dict[str, str], used_elsewhere: set[str]) -> list[str]:
    """Print one line per question; return the failures."""
    failures = []
    seen_ids = set()
    for q in questions:
        qid = q.get("id", "?")
        problems = []
        if qid in seen_ids:
            problems.append("duplicate id")
        seen_ids.add(qid)
        missing = {"id", "lang", "question", "facts", "cite"} - q.keys()
        if missing:
            problems.append(f"missing keys {sorted(missing)}")
        if q.get("lang") not in LANGS:
            problems.append(f"bad lang {q.get('lang')!r}")
        facts, cite = q.get("facts"), q.get("cite")
        if not isinstance(facts, list) or not all(isinstance(f, str) and f for f in facts):
            problems.append("facts must be a list of non-empty strings")
            facts = []
        if not facts:
            if cite is not None:
                problems.append("unanswerable question with a cite")
            status = "unanswerable"
        elif not isinstance(cite, str) or cite not in sections:
            problems.append(f"cite {cite!r} is not a section of the corpus")
            status = "answerable"
        else:
            if not cite.startswith(f"{q.get('lang')}/"):
                problems.append("cite is not in the question's language")
            other = translation(cite)
            if other not in sections:
                problems.append(f"no translation {other}")
            if section_key(cite) in used_elsewhere:
                problems.append("section is cited by a --disjoint-from file")
            good = []
            for fact in facts:
                needle = fact.lower()
                where = [name for name, text in sections.items() if needle in text]
                if set(where) == {cite, other}:
                    good.append(fact)
                else:
                    elsewhere = [name for name in where if name not in (cite, other)]
                    detail = []
                    if cite not in where:
                        detail.append("not in cite")
                    if other not in where:
                        detail.append("not in translation")
                    if elsewhere:
                        detail.append(f"also in {len(elsewhere)}: " + ", ".join(elsewhere[:4])
                                      + (" ..." if len(elsewhere) > 4 else ""))
                    print(f"    {qid}: fact {fact!r}: " + "; ".join(detail))
            if not good:
                problems.append("no fact is in the cite and its translation only")
            status = f"answerable, unique facts {good}"
        if problems:
            failures.append(f"{qid}: " + "; ".join(problems))
            print(f"FAIL {qid} ({status}): " + "; ".join(problems))
        else:
            print(f"ok   {qid} ({status})")
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("questions", type=Path)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS,
                        help="corpus root holding en/ and zh/ (default: %(default)s)")
    parser.add_argument("--disjoint-from", type=Path, action="append", default=[],
                        help="a question file whose cited sections this file must not cite")
    args = parser.parse_args(argv)
    if not (args.corpus / "en").is_dir():
        print(f"no corpus at {args.corpus} (run benchmarks/rag.py once, or pass --corpus)", file=sys.stderr)
        return 2
    sections = load_corpus(args.corpus)
    used = {section_key(q["cite"]) for path in args.disjoint_from for q in load_questions(path) if q.get("cite")}
    questions = load_questions(args.questions)
    failures = check(questions, sections, used)
    answerable = [q for q in questions if q.get("facts")]
    print(f"{args.questions}: {len(questions)} questions ({len(answerable)} answerable, "
          f"{len(questions) - len(answerable)} unanswerable), {len(failures)} failing")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
