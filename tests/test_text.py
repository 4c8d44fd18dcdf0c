"""Pure helpers: HTML to text, titles, canonical URLs, dates, encodings."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from intel.dates import check_plausible, parse_date
from intel.parse import decode_body
from intel.text import canonical_url, clean_title, content_hash, guess_language, html_to_text


def test_html_to_text_keeps_paragraphs_drops_chrome():
    html = ("<header>Menu</header><p>First <b>para</b>.</p><script>x()</script>"
            "<ul><li>one</li><li>two</li></ul><p>Line<br>break</p><aside>ad</aside>")
    assert html_to_text(html) == "First para.\n\none\n\ntwo\n\nLine\nbreak"


def test_clean_title_double_escaped_and_tags():
    assert clean_title("That&amp;#8217;s <b>bold</b>") == "That’s bold"
    assert clean_title("A\x10B\n  C") == "AB C"


@pytest.mark.parametrize("raw,expected", [
    ("https://Ex.com:443/a?utm_source=x&b=2&a=1#xtor=RSS-3", "https://ex.com/a?a=1&b=2"),
    ("http://ex.com:80/p?fbclid=1", "http://ex.com/p"),
    ("/rel/path", "https://base.example/rel/path"),
    ("http://scripting.com/2017/06/25.html#a080631", "http://scripting.com/2017/06/25.html#a080631"),
    ("javascript:alert(1)", None),
    (" JavaScript:alert(1)", None),
    ("data:text/html,<script>x()</script>", None),
])
def test_canonical_url(raw, expected):
    assert canonical_url(raw, "https://base.example/feed.xml") == expected


def test_content_hash_ignores_case_and_spacing():
    assert content_hash("Title", "Some  text here, long enough to count") == content_hash(
        "title", "some text here,\nlong enough to count")
    assert content_hash("", "x", "a") != content_hash("", "x", "b")  # short items use their link


@pytest.mark.parametrize("raw,expected,flag", [
    ("Tue, 03 Nov 2026 09:15:00 +0900", datetime(2026, 11, 3, 0, 15, tzinfo=UTC), None),
    ("2020/1/10 14:33:00", datetime(2020, 1, 10, 14, 33, tzinfo=UTC), "assumed_utc"),
    ("1518478934", datetime(2018, 2, 12, 23, 42, 14, tzinfo=UTC), None),
    ("Seg, 24 Set 2018 18:20:00 -0300", datetime(2018, 9, 24, 21, 20, tzinfo=UTC), None),
    ("07 Nov 2015 12:00:00 EST", datetime(2015, 11, 7, 17, 0, tzinfo=UTC), None),
    ("2019-08-27", datetime(2019, 8, 27, tzinfo=UTC), "date_only"),
    ("2026-11-01T10:00:00+01:00", datetime(2026, 11, 1, 9, 0, tzinfo=UTC), None),
    ("not a date at all", None, "unparsed"),
    (None, None, None),
])
def test_parse_date(raw, expected, flag):
    assert parse_date(raw) == (expected, flag)


def test_check_plausible():
    now = datetime(2026, 11, 26, tzinfo=UTC)
    assert check_plausible(datetime(2027, 1, 1, tzinfo=UTC), now) == "future"
    assert check_plausible(datetime(1970, 1, 1, tzinfo=UTC), now) == "implausible"
    assert check_plausible(datetime(2026, 11, 25, tzinfo=UTC), now) is None


def test_decode_body_prefers_valid_utf8_over_wrong_declaration():
    body = '<?xml version="1.0" encoding="ISO-8859-1"?><feed><title>Café</title></feed>'.encode()
    assert decode_body(body)[0].endswith("<title>Café</title></feed>")
    latin = '<?xml version="1.0" encoding="ISO-8859-1"?><t>Café €</t>'.encode("cp1252")
    assert decode_body(latin) == ('<?xml version="1.0" encoding="ISO-8859-1"?><t>Café €</t>', "cp1252")


def test_guess_language():
    assert guess_language("The company said that it was building a campus in the state for the AI") == "en"
    assert guess_language("anything", "pt-BR") == "pt"
    assert guess_language("short") is None


def test_html_source_line_wraps_are_spaces_not_breaks():
    html = "<p>Fluidstack has hired\n200 engineers\n   for the site.</p><p>Line<br>break</p>"
    assert html_to_text(html) == "Fluidstack has hired 200 engineers for the site.\n\nLine\nbreak"
