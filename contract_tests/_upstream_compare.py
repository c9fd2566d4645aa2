"""Classifying the differences between one of our operations and KuCoin's description of it.

Three classes, from this client's point of view:

- breaking: an operation or field we use is gone, a type changed, a request field became
  required, a value or enum member we send is no longer accepted (an enum member removed, a
  request validation keyword tightened: a lower max*, a higher min*, a new pattern), the
  reply may lack a field we read, the permission or the signing (channel) changed;
- needs a spec update: new optional fields, new reply enum members, changed weight or pool,
  looser request validation, changed reply validation, anything the check cannot read (a
  renamed extension);
- deliberate: a difference `openapi.yaml` records with `x-upstream-deliberate`, only while
  upstream still has the value the record pins (`presence` records pin none).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from ._upstream_surface import (
    Deliberate,
    FieldFacts,
    OperationSurface,
    area_name,
    show,
    show_keywords,
)

BREAKING: Final = "breaking"
NEEDS_UPDATE: Final = "needs a spec update"
DELIBERATE: Final = "deliberate"
VERDICT_ORDER: Final = (BREAKING, NEEDS_UPDATE, DELIBERATE)

_REQUEST_PREFIXES: Final = ("query.", "path.", "header.", "cookie.", "body")


@dataclass(frozen=True)
class Finding:
    verdict: str
    subject: str  # the field and aspect, e.g. "body.marginMode enum", "weight"
    ours: str
    upstream: str
    note: str

    def line(self) -> str:
        return (
            f"{self.verdict:<20} {self.subject}: ours {self.ours}, upstream {self.upstream}"
            f" — {self.note}"
        )


def _judge(
    verdict: str,
    subject: str,
    ours: str,
    upstream: str,
    note: str,
    record: Deliberate | None,
) -> Finding:
    if record is not None and record.pinned in (None, upstream):
        return Finding(DELIBERATE, subject, ours, upstream, record.reason)
    if record is not None:
        note += f" (recorded as deliberate while upstream had {record.pinned})"
    return Finding(verdict, subject, ours, upstream, note)


def _is_request(path: str) -> bool:
    return path.startswith(_REQUEST_PREFIXES)


def _is_below(path: str, parent: str) -> bool:
    return path.startswith((parent + ".", parent + "[]"))


def _topmost(paths: set[str]) -> list[str]:
    """Paths none of whose parents is in the set (a missing object's fields go unsaid)."""
    return sorted(p for p in paths if not any(_is_below(p, q) for q in paths if q != p))


def _presence(path: str, facts: FieldFacts, ours_side: bool) -> tuple[str, str, str, str]:
    """(verdict, ours shown, upstream shown, why) for a field that only one side has."""
    shown = facts.type or "untyped"
    if facts.required:
        shown += ", required"
    if ours_side:
        if _is_request(path):
            return BREAKING, shown, "none", "upstream no longer has this field, which we send"
        return BREAKING, shown, "none", "the reply lost a field we read"
    if _is_request(path) and facts.required:
        return BREAKING, "none", shown, "a new required request field"
    kind = "request" if _is_request(path) else "reply"
    required = "required" if facts.required else "optional"
    return NEEDS_UPDATE, "none", shown, f"a new {required} {kind} field"


def _enum_verdict(path: str, ours: FieldFacts, theirs: FieldFacts) -> tuple[str, str]:
    request = _is_request(path)
    if ours.enum is None:
        if request:
            return BREAKING, "upstream now accepts only these values; we send any"
        return NEEDS_UPDATE, "upstream now lists the values the reply may hold"
    if theirs.enum is None:
        if request:
            return NEEDS_UPDATE, "upstream no longer restricts the values"
        return BREAKING, "upstream no longer restricts the reply's values; ours raise on others"
    gone = sorted(set(ours.enum) - set(theirs.enum))
    new = sorted(set(theirs.enum) - set(ours.enum))
    notes = []
    verdict = NEEDS_UPDATE
    if gone:
        if request:
            verdict = BREAKING
            notes.append(f"upstream no longer accepts {', '.join(gone)}, which we send")
        else:
            notes.append(f"the reply no longer holds {', '.join(gone)}")
    if new:
        notes.append(f"new member(s) {', '.join(new)}")
    return verdict, "; ".join(notes)


def _required_verdict(path: str, ours: bool, theirs: bool) -> tuple[str, str]:
    if _is_request(path):
        if theirs:
            return BREAKING, "a request field became required"
        return NEEDS_UPDATE, "a request field became optional"
    if ours:
        return BREAKING, "the reply may now lack a field we read"
    return NEEDS_UPDATE, "a reply field became required"


def compare_fields(
    ours: Mapping[str, FieldFacts], theirs: Mapping[str, FieldFacts]
) -> list[Finding]:
    findings: list[Finding] = []
    # Below a field whose type changed, every difference follows from that one: unsaid.
    # A field that only became (or stopped being) nullable keeps its fields: compared.
    retyped = {
        p for p in set(ours) & set(theirs) if _non_null(ours[p].type) != _non_null(theirs[p].type)
    }

    def follows(path: str) -> bool:
        return any(_is_below(path, parent) for parent in retyped)

    for path in _topmost(set(ours) - set(theirs)):
        if not follows(path):
            verdict, shown_ours, shown_theirs, why = _presence(path, ours[path], True)
            record = ours[path].deliberate.get("presence")
            findings.append(_judge(verdict, path, shown_ours, shown_theirs, why, record))
    for path in _topmost(set(theirs) - set(ours)):
        if not follows(path):
            verdict, shown_ours, shown_theirs, why = _presence(path, theirs[path], False)
            findings.append(Finding(verdict, path, shown_ours, shown_theirs, why))
    for path in sorted(set(ours) & set(theirs)):
        if not follows(path):
            findings += _compare_field(path, ours[path], theirs[path])
    return findings


def _compare_field(path: str, mine: FieldFacts, other: FieldFacts) -> list[Finding]:
    """Type, enum, required-ness and validation keywords of a field both sides have."""
    findings = []
    records = mine.deliberate

    def judged(verdict: str, aspect: str, ours: object, theirs: object, why: str) -> Finding:
        return _judge(
            verdict, f"{path} {aspect}", show(ours), show(theirs), why, records.get(aspect)
        )

    if mine.type != other.type:
        verdict, why = _type_verdict(path, mine.type, other.type)
        findings.append(judged(verdict, "type", mine.type, other.type, why))
    if mine.enum != other.enum:
        verdict, why = _enum_verdict(path, mine, other)
        findings.append(judged(verdict, "enum", mine.enum, other.enum, why))
    if None not in (mine.required, other.required) and mine.required != other.required:
        verdict, why = _required_verdict(path, bool(mine.required), bool(other.required))
        findings.append(judged(verdict, "required", mine.required, other.required, why))
    if mine.constraints != other.constraints:
        tighter = _tighter(dict(mine.constraints), dict(other.constraints))
        if _is_request(path) and tighter:
            verdict, why = BREAKING, f"upstream may refuse values we send ({', '.join(tighter)})"
        else:
            verdict, why = NEEDS_UPDATE, "the validation keywords differ"
        ours_shown, theirs_shown = show_keywords(mine.constraints), show_keywords(other.constraints)
        findings.append(judged(verdict, "constraints", ours_shown, theirs_shown, why))
    return findings


def _non_null(type_: str | None) -> str | None:
    return None if type_ is None else "|".join(t for t in type_.split("|") if t != "null")


def _type_verdict(path: str, ours: str | None, theirs: str | None) -> tuple[str, str]:
    if None in (ours, theirs):
        return NEEDS_UPDATE, "the type changed"
    if _non_null(ours) != _non_null(theirs):
        return BREAKING, "the type changed"
    # Only null differs: breaking where a null may reach us, or leave us and be refused.
    null_added = "null" in str(theirs).split("|")
    if null_added != _is_request(path):
        return BREAKING, "the reply may now be null" if null_added else "upstream refuses null"
    return NEEDS_UPDATE, "the request may now be null" if null_added else "the reply is never null"


_UPPER_BOUNDS: Final = {"maxLength", "maxItems", "maximum", "exclusiveMaximum", "maxProperties"}
_LOWER_BOUNDS: Final = {"minLength", "minItems", "minimum", "exclusiveMinimum", "minProperties"}


def _number(text: str | None) -> float | None:
    try:
        return None if text is None else float(text)
    except ValueError:
        return None


def _tighter(ours: Mapping[str, str], theirs: Mapping[str, str]) -> list[str]:
    """Upstream's keywords that may refuse a value ours accept (`maxItems 50`).

    A bound is tighter when ours has none or a looser one; any other keyword (`pattern`,
    `multipleOf`, `uniqueItems`, `additionalProperties`) upstream added or changed may refuse
    a value ours allow, as far as the check can tell.
    """
    found = []
    for key, value in sorted(theirs.items()):
        mine, limit = _number(ours.get(key)), _number(value)
        if mine is not None and limit is not None and key in _UPPER_BOUNDS:
            tighter = limit < mine
        elif mine is not None and limit is not None and key in _LOWER_BOUNDS:
            tighter = limit > mine
        else:
            tighter = ours.get(key) != value
        if tighter:
            found.append(f"{key} {value}")
    return found


def compare_statuses(ours: OperationSurface, theirs: OperationSurface) -> list[Finding]:
    """Documented statuses; those that differ alike share one line (`responses 400, 401`)."""
    judged = [
        _judge(
            NEEDS_UPDATE,
            status,
            "documented",
            "none",
            "upstream does not describe this reply",
            ours.statuses[status].get("presence"),
        )
        for status in sorted(set(ours.statuses) - set(theirs.statuses))
    ] + [
        Finding(NEEDS_UPDATE, status, "none", "documented", "upstream describes a reply we do not")
        for status in sorted(set(theirs.statuses) - set(ours.statuses))
    ]
    grouped: dict[tuple[str, str, str, str], list[str]] = {}
    for finding in judged:
        key = (finding.verdict, finding.ours, finding.upstream, finding.note)
        grouped.setdefault(key, []).append(finding.subject)
    return [
        Finding(verdict, "responses " + ", ".join(statuses), mine, other, note)
        for (verdict, mine, other, note), statuses in grouped.items()
    ]


def _weight_note(theirs: OperationSurface) -> str:
    if theirs.meta["weight"] is not None:
        return "the rate-limit weight changed"
    if theirs.stray_extensions:
        found = ", ".join(f"{k}: {v}" for k, v in sorted(theirs.stray_extensions.items()))
        return f"no x-api-rate-limit-weight to read; found {found} (an extension renamed?)"
    return "no x-api-rate-limit-weight to read"


def _same_number(mine: str | None, other: str | None) -> bool:
    """`2` and `2.0` are the same weight."""
    ours_number, theirs_number = _number(mine), _number(other)
    return ours_number is not None and ours_number == theirs_number


def compare_meta(ours: OperationSurface, theirs: OperationSurface) -> list[Finding]:
    findings = []
    notes = {
        "weight": (NEEDS_UPDATE, _weight_note(theirs)),
        "pool": (NEEDS_UPDATE, "the rate-limit pool changed (x-api-rate-limit-pool)"),
        "permission": (BREAKING, "keys with our permission may be refused (x-api-permission)"),
        "channel": (BREAKING, "signed or public changed (x-api-channel)"),
    }
    public = ours.meta["channel"] == "Public" and ours.meta["permission"] is None
    for aspect, (verdict, note) in notes.items():
        mine, other = ours.meta[aspect], theirs.meta[aspect]
        if aspect == "permission" and public:
            continue  # a public call uses no key, so no permission applies
        if mine == other or (aspect == "weight" and _same_number(mine, other)):
            continue
        if other is None and aspect in ("permission", "channel"):
            verdict, note = NEEDS_UPDATE, f"upstream does not say (x-api-{aspect})"
        findings.append(
            _judge(verdict, aspect, show(mine), show(other), note, ours.deliberate.get(aspect))
        )
    if theirs.unread_area_keys:
        findings.append(
            Finding(
                NEEDS_UPDATE,
                "area",
                show(ours.area),
                "none",
                f"no {' or '.join(theirs.unread_area_keys)} to read (an extension renamed?)",
            )
        )
    elif theirs.area is not None and area_name(ours.area) != area_name(theirs.area):
        findings.append(
            Finding(
                NEEDS_UPDATE,
                "area",
                show(ours.area),
                theirs.area,
                "KuCoin files the operation elsewhere (x-upstream-area)",
            )
        )
    if theirs.abandoned:
        findings.append(
            Finding(NEEDS_UPDATE, "x-abandon", "false", "true", "KuCoin marks it abandoned")
        )
    return findings


def compare_operation(ours: OperationSurface, theirs: OperationSurface) -> list[Finding]:
    findings = (
        compare_fields(ours.fields, theirs.fields)
        + compare_statuses(ours, theirs)
        + compare_meta(ours, theirs)
    )
    return sorted(findings, key=lambda f: VERDICT_ORDER.index(f.verdict))


def missing_operation(ours: OperationSurface) -> Finding:
    return Finding(
        BREAKING,
        "operation",
        ours.name,
        "none",
        f"KuCoin's {ours.area} area was read and no longer has {ours.key}",
    )


def no_area(ours: OperationSurface) -> Finding:
    return Finding(
        NEEDS_UPDATE,
        "x-upstream-area",
        "none",
        "not read",
        f"openapi.yaml does not say which KuCoin area has {ours.name}, so its removal"
        " would go unnoticed",
    )
