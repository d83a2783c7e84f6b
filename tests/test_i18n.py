"""English as the second language: the catalogue is complete and compiled, and the key
pages read in English with the ``lang=en`` cookie (Thai stays the default)."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from billpay.accounts.models import Role
from billpay.i18n import TRANSLATIONS_DIR

ROOT = Path(__file__).resolve().parents[1]
PO = TRANSLATIONS_DIR / "en" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
THAI = re.compile(r"[\u0e00-\u0e7f]")
PLACEHOLDER = re.compile(r"%\(\w+\)s|\{\w+\}")
# Words printed on the (Thai) documents themselves, quoted in English so people find them
DOCUMENT_WORDS = ("สำเนา", "ทดลอง")


def _catalogue():
    with PO.open("rb") as f:
        return read_po(f, locale="en")


def _source_msgids() -> set[str]:
    """Every msgid in the templates and the Python code, as ``babel.cfg`` extracts them."""
    method_map = [("billpay/**.py", "python"), ("templates/**.html", "jinja2")]
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map=method_map, keywords={"_": None, "gettext": None, "N_": None},
            options_map={"templates/**.html": {"extensions": "jinja2.ext.i18n"}}):
        if isinstance(message, str):
            found.add(message)
    return found


def test_every_msgid_is_translated():
    catalogue = _catalogue()
    untranslated = [m.id for m in catalogue if m.id and not m.string]
    fuzzy = [m.id for m in catalogue if m.id and m.fuzzy]
    assert not untranslated, f"msgids without an English msgstr: {untranslated[:10]}"
    assert not fuzzy, f"fuzzy (unchecked) translations: {fuzzy[:10]}"
    for message in catalogue:
        if message.id:
            assert sorted(PLACEHOLDER.findall(message.id)) == sorted(
                PLACEHOLDER.findall(message.string)), f"placeholders differ: {message.id}"
            english = message.string
            for word in DOCUMENT_WORDS:
                english = english.replace(word, "")
            assert not THAI.search(english), f"Thai left in English: {message.string}"


def test_catalogue_covers_the_sources():
    """A string wrapped in ``_()`` (or marked ``N_``) but missing from the .po would show
    Thai on an English page: run ``pybabel extract``/``update`` (see babel.cfg)."""
    in_po = {m.id for m in _catalogue() if m.id}
    missing = sorted(_source_msgids() - in_po)
    assert not missing, f"not in messages.po (pybabel extract + update): {missing[:10]}"


def test_mo_is_compiled_from_the_po():
    """The committed .mo (what the app reads) says the same as the .po."""
    with MO.open("rb") as f:
        compiled = {m.id: m.string for m in read_mo(f) if m.id}
    expected = {m.id: m.string for m in _catalogue() if m.id}
    assert compiled == expected, "messages.mo is stale: pybabel compile -d billpay/translations"
    buffer = io.BytesIO()
    write_mo(buffer, _catalogue())  # and it is a valid catalogue babel can write
    assert buffer.getvalue()


class _Texts(HTMLParser):
    """Text inside headings, navigation, labels, legends, buttons and table headings."""

    WATCHED = {"h1", "h2", "h3", "nav", "label", "legend", "button", "th", "title"}

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in ("input", "meta", "link", "br", "img", "hr"):
            self.stack.append(tag)
        if tag in ("nav", "input", "select", "textarea") or tag == "a":
            label = dict(attrs).get("aria-label")
            if label:
                self.found.append(label)

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop() == tag:
                break

    def handle_data(self, data):
        if data.strip() and self.WATCHED & set(self.stack):
            self.found.append(data.strip())


def thai_in_chrome(html: str) -> list[str]:
    parser = _Texts()
    parser.feed(html)
    return [t for t in parser.found if THAI.search(t)]


def _english(client):
    client.set_cookie("lang", "en")
    return client


def test_login_page_in_english(client):
    html = _english(client).get("/login").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Sign in" in html and "Username" in html and "Password" in html
    assert thai_in_chrome(html) == []


def test_login_page_is_thai_by_default(client):
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="th">' in html and "เข้าสู่ระบบ" in html and "Sign in" not in html


@pytest.mark.parametrize("path, heading", [
    ("/bills/new", "Issue a payment bill"),
    ("/bills", "Search bills"),
    ("/receipts", "Search receipts"),
])
def test_clerk_pages_in_english(make_user, signed_in, path, heading):
    client = _english(signed_in(make_user(Role.CLERK, "5001")))
    response = client.get(path)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f"<h1>{heading}</h1>" in html
    assert "Sign out" in html and "Issue a bill" in html  # the navigation
    assert thai_in_chrome(html) == []


def test_reports_index_in_english(make_user, signed_in):
    client = _english(signed_in(make_user(Role.FINANCE, "00")))
    html = client.get("/reports/").get_data(as_text=True)
    assert "<h1>Reports and statistics</h1>" in html
    assert "Daily collection report" in html and "Fee collection statistics" in html
    assert thai_in_chrome(html) == []


def test_language_switch_sets_the_cookie(client):
    response = client.get("/lang/en")
    assert response.status_code == 302
    assert "lang=en" in response.headers["Set-Cookie"]
    assert "Sign in" in client.get("/login").get_data(as_text=True)
