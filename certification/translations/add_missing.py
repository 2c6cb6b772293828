"""Append the msgids the code marks but a catalog lacks, as one block at the end of that catalog.

    .venv/bin/python certification/translations/add_missing.py fr      # then fill in each empty msgstr

Unlike `pybabel update`, nothing else in the file moves, so branches that each append their own block
merge cleanly. Each new entry carries the Spanish translation as a translator comment, when there is one,
to help. tests/unit/test_translations.py fails until every msgstr is filled in, placeholders intact.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "certification" / "translations"
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "N_": None}
SOURCES = {"certification", "workflows", "standards", "templates"}


def _marked() -> dict[str, tuple[str | tuple[str, ...], list[tuple[str, int]]]]:
    """msgid → (the message as marked: a str, or (singular, plural) for ngettext; where it is marked)."""
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f, "babel.cfg")

    def wanted(dirpath: str) -> bool:
        parts = Path(dirpath).resolve().relative_to(ROOT).parts
        return not parts or (parts[0] in SOURCES and not any(p.startswith((".", "_")) for p in parts))

    found: dict[str, tuple[str | tuple[str, ...], list[tuple[str, int]]]] = {}
    for filename, lineno, message, _c, _ctx in extract_from_dir(
        ROOT, method_map, options_map, keywords=KEYWORDS, directory_filter=wanted
    ):
        singular = message[0] if isinstance(message, tuple) else message
        if singular:
            found.setdefault(singular, (message, []))[1].append((filename, lineno))
    return found


def _read(locale: str) -> Catalog:
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=locale)


def main(locale: str) -> int:
    catalog = _read(locale)
    spanish = _read("es") if locale != "es" else None
    known = {m.id[0] if isinstance(m.id, tuple) else m.id for m in catalog if m.id}
    missing = {msgid: places for msgid, places in _marked().items() if msgid not in known}
    if not missing:
        print(f"{locale}: nothing missing")
        return 0
    block = Catalog(locale=locale)
    for msgid, (message, places) in missing.items():
        hint = spanish.get(msgid) if spanish else None
        comments = [f"es: {hint.string}"] if hint is not None and hint.string else []
        empty = ("", "") if isinstance(message, tuple) else ""
        block.add(message, empty, locations=places[:1], user_comments=comments)
    po_path = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
    tmp = po_path.with_suffix(".block")
    with tmp.open("wb") as f:
        write_po(f, block, omit_header=True, width=120)
    with po_path.open("a", encoding="utf-8") as f:
        f.write("\n" + tmp.read_text(encoding="utf-8"))
    tmp.unlink()
    print(f"{locale}: appended {len(missing)} entries to {po_path.relative_to(ROOT)}; fill in their msgstr")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "fr"))
