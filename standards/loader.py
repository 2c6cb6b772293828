"""Read and validate the seal YAML files (format: standards/spec.py and the header of each seal file).

`parse_standard` checks everything and collects every problem before refusing, so whoever edits a
seal sees the whole list at once, each problem named by file and by path inside the file, e.g.
`gender-1.0.yaml: dimensions[1].indicators[3].scale.levels.4.en: missing`.

Content rules that only make sense for a real seal (3–5 dimensions, at least 12 indicators) are
asserted by the tests on the shipped seals, not here, so that small test standards still load.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from standards.spec import (
    AREAS,
    EVIDENCE_KINDS,
    LOCALES,
    STATUSES,
    TRANSLATION_LOCALES,
    DimensionSpec,
    IndicatorSpec,
    IndicatorTranslation,
    Level,
    Settings,
    StandardSpec,
    Text,
    TranslationSpec,
)

SEALS_DIR = Path(__file__).resolve().parent
# Overlay translations: <directory>/translations/<language>/<CODE>-<version>.yaml
TRANSLATIONS_DIR = "translations"

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_STANDARD_CODE = re.compile(r"^[A-Z]{2,5}$")

_TOP_KEYS = {"code", "area", "version", "status", "title", "description", "settings", "dimensions"}
_SETTINGS_KEYS = {
    "pass",
    "dimension_minimum",
    "essential_minimum",
    "levels",
    "validity_months",
    "min_reviewers",
    "disagreement_gap",
}
_LEVEL_KEYS = {"code", "minimum", "name"}
_DIMENSION_KEYS = {"code", "weight", "title", "indicators"}
_INDICATOR_REQUIRED = {"code", "weight", "text", "guidance", "scale", "evidence", "framework"}
_INDICATOR_OPTIONAL = {"essential", "allows_na"}  # both default to false
_SCALE_KEYS = {"min", "max", "levels"}


@dataclass(frozen=True)
class Problem:
    file: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path or '(file)'}: {self.message}"


class StandardFileError(Exception):
    """One or more standard files are invalid; `problems` lists every problem found."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys instead of silently keeping the last one
    (a doubled `3:` descriptor or a doubled `weight:` would otherwise go unnoticed)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    seen: set = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            duplicate = key in seen
        except TypeError:  # unhashable key: let the default constructor report it
            duplicate = False
        if duplicate:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                f"found duplicate key {key!r}",
                key_node.start_mark,
            )
        if not isinstance(key, (list, dict)):
            seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class _Checker:
    """Collects problems for one file while the parse goes on."""

    def __init__(self, source: str):
        self.source = source
        self.problems: list[Problem] = []

    def add(self, path: str, message: str) -> None:
        self.problems.append(Problem(self.source, path, message))

    @staticmethod
    def join(path: str, key: str | int) -> str:
        if isinstance(key, int) and not isinstance(key, bool):
            return f"{path}[{key}]"
        return f"{path}.{key}" if path else str(key)

    def mapping(self, value: Any, path: str, required: set[str], optional: frozenset = frozenset()) -> dict:
        """`value` as a dict with its required keys present and no unknown keys; {} if not a mapping."""
        if not isinstance(value, dict):
            self.add(path, f"must be a mapping, got {_kind(value)}")
            return {}
        for key in sorted(required - value.keys()):
            self.add(self.join(path, key), "required key is missing")
        for key in sorted(set(value) - required - set(optional), key=str):
            self.add(self.join(path, str(key)), "unknown key")
        return value

    def text(self, value: Any, path: str) -> Text | None:
        if value is None:
            return None  # already reported as missing, or reported below
        if not isinstance(value, dict):
            self.add(path, f"must be a mapping with 'es' and 'en', got {_kind(value)}")
            return None
        ok = True
        for locale in LOCALES:
            item = value.get(locale)
            if locale not in value:
                self.add(self.join(path, locale), "translation is missing")
                ok = False
            elif not isinstance(item, str) or not item.strip():
                self.add(self.join(path, locale), "translation must be a non-empty string")
                ok = False
        for key in sorted(set(value) - set(LOCALES), key=str):
            self.add(self.join(path, str(key)), f"unknown language (expected {', '.join(LOCALES)})")
        if not ok:
            return None
        return Text(es=value["es"].strip(), en=value["en"].strip())

    def required_text(self, data: dict, key: str, path: str) -> Text | None:
        if key not in data:
            return None  # `mapping` reported it
        if data[key] is None:
            self.add(self.join(path, key), "must be a mapping with 'es' and 'en', got nothing")
            return None
        return self.text(data[key], self.join(path, key))

    def code(self, data: dict, key: str, path: str, pattern: re.Pattern = _CODE) -> str | None:
        if key not in data:
            return None
        value = data[key]
        if not isinstance(value, str) or not pattern.match(value):
            self.add(self.join(path, key), f"invalid code {value!r} (expected to match {pattern.pattern})")
            return None
        return value

    def number(
        self,
        data: dict,
        key: str,
        path: str,
        *,
        positive: bool = False,
        low: float | None = None,
        high: float | None = None,
    ) -> float | None:
        if key not in data:
            return None
        value = data[key]
        where = self.join(path, key)
        if not _is_number(value):
            self.add(where, f"must be a number, got {_kind(value)}")
            return None
        if positive and value <= 0:
            self.add(where, f"must be greater than 0, got {value}")
            return None
        if low is not None and high is not None and not (low <= value <= high):
            self.add(where, f"must be between {low:g} and {high:g}, got {value}")
            return None
        return float(value)

    def positive_int(self, data: dict, key: str, path: str) -> int | None:
        if key not in data:
            return None
        value = data[key]
        if not _is_int(value) or value <= 0:
            self.add(self.join(path, key), f"must be a positive integer, got {value!r}")
            return None
        return value

    def boolean(self, data: dict, key: str, path: str) -> bool:
        value = data.get(key, False)
        if not isinstance(value, bool):
            self.add(self.join(path, key), f"must be true or false, got {value!r}")
            return False
        return value

    def choice(self, data: dict, key: str, path: str, allowed: tuple[str, ...], what: str) -> str | None:
        if key not in data:
            return None
        value = data[key]
        if value not in allowed:
            self.add(self.join(path, key), f"unknown {what} {value!r} (expected one of {', '.join(allowed)})")
            return None
        return value


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def parse_standard(data: Any, source: str) -> StandardSpec:
    """Validate the parsed YAML `data` of one standard and build its `StandardSpec`.

    Raises StandardFileError listing every problem found (not only the first).
    """
    check = _Checker(source)
    top = check.mapping(data, "", _TOP_KEYS)

    code = check.code(top, "code", "", _STANDARD_CODE)
    area = check.choice(top, "area", "", AREAS, "area")
    status = check.choice(top, "status", "", STATUSES, "status")
    version = top.get("version")
    if "version" in top and (not isinstance(version, str) or not version.strip()):
        check.add("version", f'must be a quoted string such as "1.0", got {_kind(version)}')
        version = None
    title = check.required_text(top, "title", "")
    description = check.required_text(top, "description", "")

    settings_data = check.mapping(top["settings"], "settings", _SETTINGS_KEYS) if "settings" in top else {}
    dimensions = _parse_dimensions(check, top)
    settings = _parse_settings(check, settings_data, dimensions)

    if check.problems:
        raise StandardFileError(check.problems)
    assert code and area and version and status and title and description and settings  # for the type checker
    return StandardSpec(
        code=code,
        area=area,
        version=version.strip(),
        status=status,
        title=title,
        description=description,
        settings=settings,
        dimensions=tuple(dimensions),
        source=source,
    )


def _parse_settings(check: _Checker, data: dict, dimensions: list[DimensionSpec]) -> Settings | None:
    path = "settings"
    pass_threshold = check.number(data, "pass", path, low=0, high=100)
    dimension_minimum = check.number(data, "dimension_minimum", path, low=0, high=100)
    essential_minimum = check.number(data, "essential_minimum", path)
    validity_months = check.positive_int(data, "validity_months", path)
    min_reviewers = check.positive_int(data, "min_reviewers", path)
    disagreement_gap = check.number(data, "disagreement_gap", path, positive=True)
    levels = _parse_levels(check, data)

    if essential_minimum is not None:
        for dimension in dimensions:
            for indicator in dimension.indicators:
                if indicator.essential and not (indicator.scale_min <= essential_minimum <= indicator.scale_max):
                    check.add(
                        "settings.essential_minimum",
                        f"{essential_minimum:g} is outside the scale {indicator.scale_min}–"
                        f"{indicator.scale_max} of essential indicator {indicator.code}",
                    )

    values = (pass_threshold, dimension_minimum, essential_minimum, levels)
    if any(value is None for value in values) or None in (validity_months, min_reviewers, disagreement_gap):
        return None
    return Settings(
        pass_threshold=pass_threshold,
        dimension_minimum=dimension_minimum,
        essential_minimum=essential_minimum,
        levels=levels,
        validity_months=validity_months,
        min_reviewers=min_reviewers,
        disagreement_gap=disagreement_gap,
    )


def _parse_levels(check: _Checker, data: dict) -> tuple[Level, ...] | None:
    if "levels" not in data:
        return None
    path = "settings.levels"
    raw = data["levels"]
    if not isinstance(raw, list) or not raw:
        check.add(path, f"must be a non-empty list of levels, got {_kind(raw)}")
        return None
    levels: list[Level] = []
    ok = True
    seen: set[str] = set()
    previous: float | None = None
    for index, item in enumerate(raw):
        where = check.join(path, index)
        level = check.mapping(item, where, _LEVEL_KEYS)
        level_code = check.code(level, "code", where)
        minimum = check.number(level, "minimum", where, low=0, high=100)
        name = check.required_text(level, "name", where)
        if level_code is not None:
            if level_code in seen:
                check.add(check.join(where, "code"), f"duplicate level code {level_code!r}")
                ok = False
            seen.add(level_code)
        if minimum is not None:
            if previous is not None and minimum <= previous:
                check.add(
                    check.join(where, "minimum"),
                    f"levels must be in ascending order of minimum ({minimum:g} after {previous:g})",
                )
                ok = False
            previous = minimum
        if level_code is None or minimum is None or name is None:
            ok = False
        else:
            levels.append(Level(code=level_code, minimum=minimum, name=name))
    return tuple(levels) if ok else None


def _parse_dimensions(check: _Checker, top: dict) -> list[DimensionSpec]:
    if "dimensions" not in top:
        return []
    raw = top["dimensions"]
    if not isinstance(raw, list) or not raw:
        check.add("dimensions", f"must be a list with at least one dimension, got {_kind(raw)}")
        return []
    dimensions: list[DimensionSpec] = []
    dimension_codes: dict[str, str] = {}
    indicator_codes: dict[str, str] = {}
    for index, item in enumerate(raw):
        path = check.join("dimensions", index)
        data = check.mapping(item, path, _DIMENSION_KEYS)
        code = check.code(data, "code", path)
        if code is not None:
            if code in dimension_codes:
                check.add(
                    check.join(path, "code"),
                    f"duplicate dimension code {code!r} (first at {dimension_codes[code]})",
                )
            else:
                dimension_codes[code] = path
        weight = check.number(data, "weight", path, positive=True)
        title = check.required_text(data, "title", path)
        indicators: list[IndicatorSpec] = []
        if "indicators" in data:
            raw_indicators = data["indicators"]
            if not isinstance(raw_indicators, list) or not raw_indicators:
                check.add(
                    check.join(path, "indicators"),
                    f"must be a list with at least one indicator, got {_kind(raw_indicators)}",
                )
            else:
                for position, raw_indicator in enumerate(raw_indicators):
                    where = check.join(check.join(path, "indicators"), position)
                    indicator = _parse_indicator(check, raw_indicator, where, indicator_codes)
                    if indicator is not None:
                        indicators.append(indicator)
        if code is not None and weight is not None and title is not None:
            dimensions.append(DimensionSpec(code=code, weight=weight, title=title, indicators=tuple(indicators)))
    return dimensions


def _parse_indicator(check: _Checker, raw: Any, path: str, seen_codes: dict[str, str]) -> IndicatorSpec | None:
    data = check.mapping(raw, path, _INDICATOR_REQUIRED, frozenset(_INDICATOR_OPTIONAL))
    code = check.code(data, "code", path)
    if code is not None:
        if code in seen_codes:
            check.add(check.join(path, "code"), f"duplicate indicator code {code!r} (first at {seen_codes[code]})")
        else:
            seen_codes[code] = path
    weight = check.number(data, "weight", path, positive=True)
    essential = check.boolean(data, "essential", path)
    allows_na = check.boolean(data, "allows_na", path)
    text = check.required_text(data, "text", path)
    guidance = check.required_text(data, "guidance", path)
    scale = _parse_scale(check, data, path)
    evidence = _parse_evidence(check, data, path)

    framework = data.get("framework")
    if "framework" in data and (not isinstance(framework, str) or not framework.strip()):
        check.add(check.join(path, "framework"), "must name the framework the indicator traces to")
        framework = None

    parts = (code, weight, text, guidance, scale, evidence, framework)
    if any(part is None for part in parts):
        return None
    scale_min, scale_max, descriptors = scale
    return IndicatorSpec(
        code=code,
        weight=weight,
        essential=essential,
        allows_na=allows_na,
        text=text,
        guidance=guidance,
        scale_min=scale_min,
        scale_max=scale_max,
        descriptors=descriptors,
        evidence=evidence,
        framework=framework.strip(),
    )


def _parse_scale(check: _Checker, data: dict, path: str) -> tuple[int, int, dict[int, Text]] | None:
    if "scale" not in data:
        return None
    path = check.join(path, "scale")
    scale = check.mapping(data["scale"], path, _SCALE_KEYS)
    if not scale:
        return None
    low, high = scale.get("min"), scale.get("max")
    ok = True
    for key, value in (("min", low), ("max", high)):
        if key in scale and not _is_int(value):
            check.add(check.join(path, key), f"must be an integer, got {_kind(value)}")
            ok = False
    if ok and "min" in scale and "max" in scale and low >= high:
        check.add(path, f"min ({low}) must be less than max ({high})")
        ok = False
    if "min" not in scale or "max" not in scale:
        ok = False
    bounds_ok = ok  # min and max are usable to check the levels against
    if "levels" not in scale:
        return None
    levels_path = check.join(path, "levels")
    raw_levels = scale["levels"]
    if not isinstance(raw_levels, dict):
        check.add(levels_path, f"must be a mapping from each scale value to its descriptor, got {_kind(raw_levels)}")
        return None
    descriptors: dict[int, Text] = {}
    for key, value in raw_levels.items():
        where = f"{levels_path}.{key}"
        if not _is_int(key):
            check.add(where, "scale level must be an integer")
            ok = False
            continue
        if bounds_ok and not (low <= key <= high):
            check.add(where, f"level {key} is outside the scale {low}–{high}")
            ok = False
            continue
        descriptor = check.text(value, where) if value is not None else None
        if value is None:
            check.add(where, "descriptor is empty")
        if descriptor is None:
            ok = False
        else:
            descriptors[key] = descriptor
    if bounds_ok:
        for value in range(low, high + 1):
            if value not in raw_levels:
                check.add(f"{levels_path}.{value}", f"no descriptor for scale level {value}")
                ok = False
    if not ok:
        return None
    return low, high, dict(sorted(descriptors.items()))


def _parse_evidence(check: _Checker, data: dict, path: str) -> tuple[str, ...] | None:
    if "evidence" not in data:
        return None
    path = check.join(path, "evidence")
    raw = data["evidence"]
    if not isinstance(raw, list) or not raw:
        check.add(path, f"must be a non-empty list of evidence kinds, got {_kind(raw)}")
        return None
    ok = True
    for index, kind in enumerate(raw):
        if kind not in EVIDENCE_KINDS:
            check.add(
                check.join(path, index),
                f"unknown evidence kind {kind!r} (expected one of {', '.join(EVIDENCE_KINDS)})",
            )
            ok = False
    if len(set(raw)) != len(raw) and ok:
        check.add(path, "lists the same evidence kind twice")
        ok = False
    return tuple(raw) if ok else None


def load_file(path: str | Path) -> StandardSpec:
    """Read, parse and validate one seal file. Raises StandardFileError (YAML syntax errors included)."""
    path = Path(path)
    return parse_standard(_read_yaml(path, path.name), path.name)


def _read_yaml(path: Path, source: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise StandardFileError([Problem(source, "", f"cannot read the file: {error}")]) from error
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 — a SafeLoader subclass
    except yaml.YAMLError as error:
        message = " ".join(str(error).split())
        raise StandardFileError([Problem(source, "", f"invalid YAML: {message}")]) from error


_TRANSLATION_TOP_KEYS = {"code", "version", "language", "title", "description", "levels", "dimensions", "indicators"}
_TRANSLATION_INDICATOR_KEYS = {"text", "guidance", "levels"}


def parse_translation(data: Any, source: str, spec: StandardSpec, language: str) -> TranslationSpec:
    """Validate one overlay against the version it translates: it names that version and language, every
    text of the version is there (title, description, level names, dimension titles, and per indicator its
    text, guidance and one descriptor per scale level), each a non-empty string, and nothing else (an
    unknown code or key is refused). Raises StandardFileError listing every problem."""
    check = _Checker(source)
    top = check.mapping(data, "", _TRANSLATION_TOP_KEYS)

    def string(value: Any, path: str) -> str | None:
        if not isinstance(value, str) or not value.strip():
            check.add(path, f"must be a non-empty text, got {_kind(value)}")
            return None
        return value.strip()

    def keyed(key: str, expected: list, build) -> dict:
        return _keyed(check, top[key], key, expected, build)

    if top.get("code") is not None and top.get("code") != spec.code:
        check.add("code", f"is {top.get('code')!r} but the file translates {spec.code}")
    if top.get("version") is not None and str(top.get("version")) != spec.version:
        check.add("version", f"is {top.get('version')!r} but the file translates version {spec.version}")
    if top.get("language") is not None and top.get("language") != language:
        check.add("language", f"is {top.get('language')!r} but the file is in the {language!r} folder")
    title = string(top["title"], "title") if "title" in top else None
    description = string(top["description"], "description") if "description" in top else None
    levels = keyed("levels", [level.code for level in spec.settings.levels], string) if "levels" in top else {}
    dimensions = keyed("dimensions", [d.code for d in spec.dimensions], string) if "dimensions" in top else {}

    def indicator(value: Any, path: str) -> IndicatorTranslation | None:
        entry = check.mapping(value, path, _TRANSLATION_INDICATOR_KEYS)
        text = string(entry["text"], check.join(path, "text")) if "text" in entry else None
        guidance = string(entry["guidance"], check.join(path, "guidance")) if "guidance" in entry else None
        wanted = scales.get(path, [])
        descriptors = (
            _keyed(check, entry["levels"], check.join(path, "levels"), wanted, string) if "levels" in entry else None
        )
        if text is None or guidance is None or descriptors is None:
            return None
        return IndicatorTranslation(text=text, guidance=guidance, descriptors=descriptors)

    scales = {f"indicators.{i.code}": list(range(i.scale_min, i.scale_max + 1)) for i in spec.indicators()}
    indicators = keyed("indicators", [i.code for i in spec.indicators()], indicator) if "indicators" in top else {}
    if check.problems:
        raise StandardFileError(check.problems)
    return TranslationSpec(
        code=spec.code,
        version=spec.version,
        locale=language,
        title=title,
        description=description,
        levels=levels,
        dimensions=dimensions,
        indicators=indicators,
        source=source,
    )


def _keyed(check: _Checker, raw: Any, path: str, expected: list, build) -> dict:
    """A mapping with exactly the `expected` keys (codes or scale levels), each value built by `build`."""
    if not isinstance(raw, dict):
        check.add(path, f"must be a mapping keyed by code, got {_kind(raw)}")
        return {}
    result = {}
    for key in expected:
        where = f"{path}.{key}"
        if key not in raw:
            check.add(where, "translation is missing")
            continue
        value = build(raw[key], where)
        if value is not None:
            result[key] = value
    for key in sorted(set(raw) - set(expected), key=str):
        check.add(f"{path}.{key}", "unknown code: the version has no such entry")
    return result


def load_translations(directory: str | Path, specs: list[StandardSpec]) -> list[TranslationSpec]:
    """Every overlay under `directory`/translations/, each validated against its version among `specs`.

    All or nothing like `load_directory`: one StandardFileError carries every problem of every file.
    A file for a version that is not declared, or in a folder that is not a translation language, is refused.
    """
    root = Path(directory) / TRANSLATIONS_DIR
    if not root.is_dir():
        return []
    by_name = {f"{spec.code}-{spec.version}": spec for spec in specs}
    translations: list[TranslationSpec] = []
    problems: list[Problem] = []
    for folder in sorted(path for path in root.iterdir() if path.is_dir()):
        files = sorted(folder.glob("*.yaml"))
        if folder.name not in TRANSLATION_LOCALES:
            for path in files:
                problems.append(
                    Problem(
                        f"{TRANSLATIONS_DIR}/{folder.name}/{path.name}",
                        "",
                        f"unknown translation language {folder.name!r} (expected {', '.join(TRANSLATION_LOCALES)})",
                    )
                )
            continue
        for path in files:
            source = f"{TRANSLATIONS_DIR}/{folder.name}/{path.name}"
            spec = by_name.get(path.stem)
            if spec is None:
                problems.append(Problem(source, "", f"no standard version {path.stem} is declared to translate"))
                continue
            try:
                translations.append(parse_translation(_read_yaml(path, source), source, spec, folder.name))
            except StandardFileError as error:
                problems.extend(error.problems)
    if problems:
        raise StandardFileError(problems)
    return translations


def load_directory(directory: str | Path = SEALS_DIR) -> list[StandardSpec]:
    """Load every `*.yaml` in `directory`, in file-name order.

    All or nothing: if any file is invalid, one StandardFileError carries the problems of every bad
    file and no standard is returned. Two files declaring the same area and version are refused too.
    """
    standards: list[StandardSpec] = []
    problems: list[Problem] = []
    for path in sorted(Path(directory).glob("*.yaml")):
        try:
            standards.append(load_file(path))
        except StandardFileError as error:
            problems.extend(error.problems)
    seen: dict[tuple[str, str], str] = {}
    for standard in standards:
        key = (standard.area, standard.version)
        if key in seen:
            problems.append(
                Problem(
                    standard.source,
                    "version",
                    f"{standard.area} {standard.version} is already declared in {seen[key]}",
                )
            )
        else:
            seen[key] = standard.source
    if problems:
        raise StandardFileError(problems)
    return standards
