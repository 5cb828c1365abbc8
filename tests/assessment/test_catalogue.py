"""Every text of the assessment (code, templates) has its Simplified Chinese translation in the catalogue."""

import ast
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils.translation.template import templatize

pytestmark = pytest.mark.django_db  # the suite's fixtures open the test database
ROOT = Path(settings.BASE_DIR)
CATALOGUE = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
GETTEXT = {"_", "gettext", "gettext_lazy", "pgettext", "pgettext_lazy", "ngettext", "ngettext_lazy"}


def catalogue():
    """{msgid: (msgstr, fuzzy)} read from the .po file (active entries only)."""
    entries = {}
    for block in CATALOGUE.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.strip().split("\n") if not line.startswith("#~")]
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        parts, current = {"msgid": [], "msgstr": []}, None
        for line in lines:
            if line.startswith("msgid "):
                current = "msgid"
            elif line.startswith("msgstr "):
                current = "msgstr"
            elif not line.startswith('"'):
                continue
            if current:
                parts[current].append(ast.literal_eval(line[line.index('"') :]))
        if parts["msgid"]:
            entries["".join(parts["msgid"])] = ("".join(parts["msgstr"]), fuzzy)
    return entries


def python_texts(path):
    texts = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in GETTEXT and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                texts.add(first.value)
    return texts


def template_texts(path):
    source = templatize(path.read_text(encoding="utf-8"), origin=str(path))
    return {ast.literal_eval(m.group(1)) for m in re.finditer(r"gettext\((u'(?:[^'\\]|\\.)*')\)", source)}


def assessment_texts():
    texts = {}
    for path in sorted((ROOT / "assessment").rglob("*.py")):
        if "migrations" not in path.parts:
            texts.update(dict.fromkeys(python_texts(path), path))
    for path in sorted((ROOT / "templates" / "assessment").glob("*.html")):
        texts.update(dict.fromkeys(template_texts(path), path))
    return texts


def test_the_extraction_finds_the_assessments_texts():
    texts = assessment_texts()
    assert "Cases (n)" in texts and "Monthly bulletin" in texts and "%(value)s pp" in texts
    assert len(texts) > 150


def test_every_assessment_text_is_translated():
    translated = catalogue()
    missing = sorted(
        f"{path.relative_to(ROOT)}: {text!r}"
        for text, path in assessment_texts().items()
        if text not in translated or not translated[text][0] or translated[text][1]
    )
    assert missing == [], "untranslated or fuzzy (run `make messages` and fill them in):\n" + "\n".join(missing)
