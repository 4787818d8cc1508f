"""Plan a fix run: apply every fix in memory, verify it, and describe it as a diff; never writes a file.

For each checked config it gathers the fixes of unsuppressed findings (safe ones, and unsafe ones when
asked), applies each fix whole or not at all, and then verifies the result before anything may be written:
- every patched file parses again;
- the new config is exactly the old one with the fixes' edits applied, compared strictly (`_same_data`; deepdiff
  only describes a difference it finds);
- the findings the fixes were for are gone when the rules run again.
A config whose fixes fail verification is left as it was, and the error names the file and the fix.
"""

from __future__ import annotations

import copy
import difflib
import os

from ..kamal.view import View
from ..record import Frozen, Record
from ..rules.base import Finding
from ..source.document import Document
from ..source.text import SourceText
from .patcher import PatchBug, Patcher, Refused, TextFile, apply_to_data

MAX_ROUNDS = 4


class Suggestion(Frozen):
    """A finding's own fix as new text for lines start_line..end_line (1-based, inclusive) of the original."""

    __slots__ = ("end_line", "file", "replacement", "start_line")

    def __init__(self, file: str, start_line: int, end_line: int, replacement: str):
        self.file = file
        self.start_line = start_line
        self.end_line = end_line
        self.replacement = replacement


class FilePatch(Record):
    __slots__ = ("after", "bom", "created", "source")

    def __init__(self, source: SourceText, after: str, bom: bool, created: bool = False):
        self.source = source  # the file as read (empty for a file the fix creates)
        self.after = after  # its new text (LF line breaks, no BOM)
        self.bom = bom  # whether the new file starts with a BOM
        self.created = created  # the file does not exist yet

    @property
    def path(self) -> str:
        return self.source.path

    @property
    def changed(self) -> bool:
        return self.created or self.after != self.source.text or self.bom != self.source.bom

    def new_bytes(self) -> bytes:
        """The new file, with the original's line endings (per line, for files that mix them) and BOM choice."""
        return restore_line_endings(self.source, self.after, self.bom)


class Skipped(Record):
    __slots__ = ("finding", "reason")

    def __init__(self, finding: Finding, reason: str):
        self.finding = finding
        self.reason = reason


class Plan(Record):
    __slots__ = ("applied", "errors", "files", "not_selected", "outcome", "skipped", "unsafe")

    def __init__(self, outcome: object = None, unsafe: bool = False):
        self.files: list[FilePatch] = []
        self.applied: list[Finding] = []
        self.skipped: list[Skipped] = []
        self.not_selected: list[Finding] = []  # unsafe fixes left out without --unsafe-fixes
        self.errors: list[str] = []  # verification failures: those configs stay unchanged
        self.outcome = outcome
        self.unsafe = unsafe

    @property
    def notes(self) -> list[str]:
        seen: dict[str, None] = {}
        for finding in sorted(self.applied, key=lambda f: f.rule.id):
            if finding.fix.note:
                seen.setdefault(f"{finding.rule.id} {finding.rule.slug}: {finding.fix.note}", None)
        return list(seen)

    @property
    def diff(self) -> str:
        text = "".join(unified_diff(p.source, p.after, p.bom, p.created) for p in self.files if p.changed)
        return self.outcome.redact(text) if self.outcome is not None else text

    def suggestion(self, finding: Finding) -> Suggestion | None:
        """The finding's fix alone, applied to the original files, as a replacement of one line range."""
        if finding.fix is None:
            return None
        checked = next((c for c in self.outcome.checked if finding in c.findings), None)
        if checked is None:
            return None
        patcher = Patcher(list(checked.view.layers), checked.view.destination,
                          [e for f in checked.findings if f.fix for e in f.fix.edits])
        try:
            for edit in finding.fix.edits:
                patcher.apply(edit)
        except (Refused, PatchBug):
            return None
        changed = [(old, state) for old, state in zip(checked.view.layers, patcher.files, strict=True)
                   if state.doc.source.text != old.source.text]
        if len(changed) != 1:
            return None
        old, state = changed[0]
        return _line_range(old.source.path, old.source.text, state.doc.source.text, self.outcome)


def _line_range(path: str, before: str, after: str, outcome) -> Suggestion:
    old_lines = before.split("\n")
    new_lines = after.split("\n")
    opcodes = [op for op in difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False).get_opcodes()
               if op[0] != "equal"]
    first_old, last_old = opcodes[0][1], opcodes[-1][2]
    first_new, last_new = opcodes[0][3], opcodes[-1][4]
    if first_old == last_old:  # a pure insertion: anchor it on the line above (or below, at the top)
        above = old_lines[first_old - 1] if first_old > 0 else None
        masked_above = above is not None and outcome is not None and outcome.redact(above) != above
        if above is not None and not (masked_above and last_old < len(old_lines)):
            first_old, first_new = first_old - 1, first_new - 1
        else:  # the line above holds a secret a suggestion must not repeat: take the line below instead
            last_old, last_new = last_old + 1, last_new + 1
    replacement = "\n".join(new_lines[first_new:last_new]) + "\n"
    return Suggestion(path, first_old + 1, last_old, outcome.redact(replacement) if outcome else replacement)


def restore_line_endings(source: SourceText, text: str, bom: bool) -> bytes:
    """Encode `text` like the original: CRLF where the original's matching lines had CRLF."""
    prefix = "\ufeff" if bom else ""
    raw = source.raw.decode("utf-8", errors="surrogateescape") if source.raw else ""
    if "\r\n" not in raw:
        return (prefix + text).encode("utf-8")
    if raw.count("\r\n") == raw.count("\n"):
        return (prefix + text.replace("\n", "\r\n")).encode("utf-8")
    originals = raw.removeprefix("\ufeff").split("\n")  # mixed endings: keep each unchanged line's own
    old_lines = [line.removesuffix("\r") for line in originals]
    new_lines = text.split("\n")
    default = "\r\n" if source.crlf else "\n"
    endings = []
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            endings += ["\r\n" if originals[i].endswith("\r") else "\n" for i in range(i1, i2)]
        else:
            endings += [default] * (j2 - j1)
    out = "".join(line + (endings[i] if i < len(new_lines) - 1 else "") for i, line in enumerate(new_lines))
    return (prefix + out).encode("utf-8")


def unified_diff(source: SourceText, after: str, bom: bool, created: bool = False) -> str:
    """A `git apply`-able diff of one file, with `\\ No newline at end of file` where it applies."""
    before_text = ("\ufeff" if source.bom else "") + source.text
    after_text = ("\ufeff" if bom else "") + after
    old = before_text.splitlines(keepends=True)
    new = after_text.splitlines(keepends=True)
    out = []
    before_name = "/dev/null" if created else f"a/{source.path}"
    for line in difflib.unified_diff(old, new, before_name, f"b/{source.path}", n=3):
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    if source.crlf:
        out = [line if line.startswith(("---", "+++", "@@", "\\")) else line.replace("\n", "\r\n") for line in out]
    return "".join(out)


def _comparable(data):
    """The config as Kamal reads it: top-level `x-` extension keys are ignored by Kamal."""
    if not isinstance(data, dict):
        return data
    return {k: v for k, v in data.items() if not (isinstance(k, str) and k.startswith("x-"))}


def _same_data(one, two) -> bool:
    """Are two configs exactly the same data, as deepdiff judges it? Every value must be of the very same type
    (`true` is not 1, 1 is not 1.0; an ERB value or a Ruby symbol equals one of its kind with the same text, never
    a plain string) and equal, or be the very same object; mappings have the same keys, in any order; lists the
    same items in the same order."""
    if one is two:
        return True
    if type(one) is not type(two):
        return False
    if isinstance(one, dict):
        return one.keys() == two.keys() and all(_same_data(value, two[key]) for key, value in one.items())
    if isinstance(one, list):
        return len(one) == len(two) and all(_same_data(a, b) for a, b in zip(one, two, strict=True))
    return one == two


def _verify(checked, layers: list[Document], patcher: Patcher, applied: list[Finding], recheck):
    """(None, the findings left) when the patched config is exactly the intended one and the fixed findings
    are gone; (the reason, None) otherwise."""
    expected = copy.deepcopy(View(layers, checked.view.destination).data)
    for finding in applied:
        for edit in finding.fix.edits:
            apply_to_data(expected, edit)
    actual = View([s.doc for s in patcher.files], checked.view.destination).data
    if not _same_data(_comparable(expected), _comparable(actual)):
        from deepdiff import DeepDiff  # slow to import: only to say what differs

        difference = DeepDiff(_comparable(expected), _comparable(actual), verbose_level=1)
        if difference:
            return f"the patched config differs from the intended fix: {difference.pretty()[:300]}", None
    findings = recheck([s.doc for s in patcher.files], patcher.texts)
    remaining = {(f.rule.id, f.path, f.message) for f in findings if f.suppressed is None}
    still = [f for f in applied if (f.rule.id, f.path, f.message) in remaining]
    if still:
        return f"{still[0].rule.id} at {still[0].file}:{still[0].line} is still reported after its fix", None
    return None, findings


def _fixable(findings, unsafe: bool):
    chosen, left_out = [], []
    for finding in findings:
        if finding.fix is None or finding.suppressed is not None:
            continue
        (chosen if finding.fix.safety == "safe" or unsafe else left_out).append(finding)
    return chosen, left_out


def _apply_all(checked, layers: list[Document], texts: dict[str, TextFile], fixes: list[Finding]):
    """Apply fixes one by one, each whole or not at all. A fix that is refused leaves the others' view of
    shared anchors wrong, so the run starts again without it until every remaining fix applies."""
    todo = list(fixes)
    skipped: list[Skipped] = []
    for _ in range(len(fixes) + 1):
        wanted = [e for f in todo for e in f.fix.edits]
        patcher = Patcher(list(layers), checked.view.destination, wanted)
        patcher.texts = {path: file.copy() for path, file in texts.items()}
        applied, refused = [], None
        for finding in todo:
            before = patcher.snapshot()
            try:
                for edit in finding.fix.edits:
                    patcher.apply(edit)  # an edit another fix already made is simply done
            except (Refused, PatchBug) as exc:
                patcher.restore(before)
                refused = (finding, str(exc))
                break
            applied.append(finding)
        if refused is None:
            return patcher, applied, skipped
        skipped.append(Skipped(*refused))
        todo.remove(refused[0])
    raise AssertionError("fix planning did not settle")  # each round removes one fix, so this never happens


def plan(outcome, unsafe: bool = False) -> Plan:
    """Apply and verify the fixes of every checked config in `outcome`; the files stay untouched."""
    from ..engine import Documents, check_target

    result = Plan(outcome=outcome, unsafe=unsafe)
    current: dict[str, Document] = {}  # display path -> its patched document
    originals: dict[str, SourceText] = {}
    texts: dict[str, TextFile] = {}  # other project files (.dockerignore) as patched so far
    for checked in outcome.checked:
        layers = [current.get(d.path, d) for d in checked.view.layers]
        for doc in checked.view.layers:
            originals.setdefault(doc.path, doc.source)
        documents = Documents()

        def recheck(docs, files, checked=checked, documents=documents):
            documents.preload(docs)
            documents.texts = {os.path.realpath(path): file.text for path, file in files.items()}
            return check_target(checked.target, documents, checked.policy, checked.selection).findings

        unchanged = layers == list(checked.view.layers) and not texts
        findings = checked.findings if unchanged else recheck(layers, texts)
        # One fix can make another possible (memory set, then memory-swap): go on until nothing new applies.
        refused: set = set()
        for _ in range(MAX_ROUNDS):
            chosen = [f for f in _fixable(findings, unsafe)[0] if (f.rule.id, f.path) not in refused]
            if not chosen:
                break
            patcher, applied, skipped = _apply_all(checked, layers, texts, chosen)
            result.skipped += skipped
            refused |= {(s.finding.rule.id, s.finding.path) for s in skipped}
            if not applied:
                break
            error, remaining = _verify(checked, layers, patcher, applied, recheck)
            if error is not None:
                result.errors.append(f"{checked.view.base.path}: fixes not applied: {error}")
                break
            result.applied += applied
            layers = [state.doc for state in patcher.files]
            texts = patcher.texts
            findings = remaining
        result.not_selected += _fixable(findings, unsafe)[1]
        for doc in layers:
            current[doc.path] = doc
    for path, doc in current.items():
        result.files.append(FilePatch(originals[path], doc.source.text, doc.source.bom))
    for path, file in texts.items():
        source = file.source or SourceText(path=path, text="", real_path=os.path.abspath(path))
        result.files.append(FilePatch(source, file.text, source.bom, created=file.source is None))
    result.files = [patch for patch in result.files if patch.changed]
    return result
