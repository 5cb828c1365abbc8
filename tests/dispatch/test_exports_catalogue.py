"""Every text of the exports (code, templates) has its Simplified Chinese translation in the catalogue."""

import ast

import pytest

from tests.assessment.test_catalogue import GETTEXT, ROOT, catalogue, template_texts

pytestmark = pytest.mark.django_db  # the suite's fixtures open the test database

SOURCES = [
    *sorted((ROOT / "dispatch" / "exports").glob("*.py")),
    ROOT / "dispatch" / "pages" / "exports.py",
    ROOT / "dispatch" / "models" / "exports.py",
]
TEMPLATES = [*sorted((ROOT / "templates" / "exports").glob("*.html"))]


def python_texts(path):
    """The msgids of a module's gettext calls (pgettext's second argument: its first is the context)."""
    texts = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        name = getattr(node, "func", None) and getattr(node.func, "id", None)
        if isinstance(node, ast.Call) and name in GETTEXT:
            args = node.args[1:] if name.startswith("pgettext") else node.args
            if args and isinstance(args[0], ast.Constant) and isinstance(args[0].value, str):
                texts.add(args[0].value)
    return texts


def export_texts():
    texts = {}
    for path in SOURCES:
        texts.update(dict.fromkeys(python_texts(path), path))
    for path in TEMPLATES:
        texts.update(dict.fromkeys(template_texts(path), path))
    return texts


def test_every_export_text_is_translated():
    texts = export_texts()
    assert {"Caller phone", "Download", "Export progress", "Being written", "%(done)s of %(total)s rows"} <= set(texts)
    translated = catalogue()
    missing = sorted(
        f"{path.relative_to(ROOT)}: {text!r}"
        for text, path in texts.items()
        if text not in translated or not translated[text][0] or translated[text][1]
    )
    assert missing == [], "untranslated or fuzzy:\n" + "\n".join(missing)
