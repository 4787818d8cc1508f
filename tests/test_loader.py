"""The loader reads what Kamal reads, never runs ERB, and knows where every value was written."""

import datetime

import pytest

from kamalguard.source.document import load_text
from kamalguard.source.scalars import ErbValue, RubySymbol, resolve_plain

from .conftest import VALID, check_json, rules_fired, write_project


def structural(report):
    return [f for f in report["findings"] if f["rule"].startswith("KG0") and f["severity"] == "error"]


@pytest.mark.parametrize("text, value", [
    ("yes", True), ("No", False), ("on", True), ("OFF", False), ("true", True), ("~", None), ("null", None),
    ("", None), ("0777", 511), ("0x1f", 31), ("1_000", 1000), ("1,000", 1000), ("12:30", 45000), ("1.5", 1.5),
    (":verbose", RubySymbol("verbose")), ("2024-01-02", datetime.date(2024, 1, 2)), ("y", "y"), ("n", "n"),
    ("08", "08"), ("3000:80", "3000:80"), ("127.0.0.1:5432:5432", "127.0.0.1:5432:5432"), ("amd64", "amd64"),
])
def test_plain_scalars_resolve_as_psych_does(text, value):
    # 12:30 is 45000, not 750: Psych weighs every base-60 part as if there were three (12*3600 + 30*60)
    assert resolve_plain(text) == value
    assert type(resolve_plain(text)) is type(value)


def test_quoted_scalars_stay_strings():
    doc = load_text("a: 'yes'\nb: \"3000\"\nc: |\n  on\n")
    assert doc.data == {"a": "yes", "b": "3000", "c": "on\n"}


def test_bom_is_read_and_reported(tmp_path):
    project = write_project(tmp_path, {"config/deploy.yml": "\ufeff" + VALID})
    report = check_json(project)
    assert [f["rule"] for f in structural(report)] == ["KG008"]
    assert report["findings"][0]["line"] == 1 and "byte order mark" in report["findings"][0]["message"]


def test_crlf_file_has_the_same_data_and_positions_as_lf(tmp_path):
    text = VALID + "optoins: 1\n"
    lf = write_project(tmp_path / "lf", {"config/deploy.yml": text})
    crlf = write_project(tmp_path / "crlf", {"config/deploy.yml": text.replace("\n", "\r\n")})
    where = [(f["rule"], f["line"], f["column"]) for f in check_json(lf)["findings"]]
    assert where == [(f["rule"], f["line"], f["column"]) for f in check_json(crlf)["findings"]]
    assert ("KG003", 14, 1) in where


def test_no_final_newline_and_non_ascii_text():
    doc = load_text("service: café\nimage: acme/ünïcode  # ü")
    assert doc.problem is None and doc.data == {"service": "café", "image": "acme/ünïcode"}


def test_inline_erb_is_masked_restored_and_not_type_checked(tmp_path):
    text = VALID + 'proxy:\n  app_port: <%= ENV.fetch("PORT", 3000) %>\n  host: "<%= ENV["HOST"] %>"\n'
    doc = load_text(text)
    assert doc.source.text == text  # the original is never rewritten
    assert isinstance(doc.data["proxy"]["app_port"], ErbValue)
    assert doc.data["proxy"]["app_port"] == '<%= ENV.fetch("PORT", 3000) %>'
    report = check_json(write_project(tmp_path, {"config/deploy.yml": text}))
    assert structural(report) == []


def test_erb_with_colons_and_hashes_does_not_break_the_yaml():
    doc = load_text('image: <%= "a: b #c" %>\nservice: x\n')
    assert doc.problem is None and doc.data["service"] == "x"


def test_whole_line_and_multi_line_erb_tags_become_comments():
    text = VALID + '<% if ENV["JOBS"] %>\n  job:\n    hosts: [192.0.2.11]\n<% end %>\n<%\n  x = 1\n%>\nasset_path: /a\n'
    doc = load_text(text)
    assert doc.problem is None
    assert doc.data["servers"]["job"] == {"hosts": ["192.0.2.11"]} and doc.data["asset_path"] == "/a"


def test_erb_inside_comments_is_harmless():
    doc = load_text('# image: <%= `whoami` %>\nservice: x  # <% if %> and %>\n')
    assert doc.problem is None and doc.data == {"service": "x"}


def test_structure_written_by_erb_is_one_clear_kg001(tmp_path):
    hosts = '<%= HOSTS.map { |h| "      - #{h}" }.join("\\n") %>\n'
    text = VALID.replace("      - 192.0.2.10\n", hosts) + "  job:\n    hosts: [a]\n"
    report = check_json(write_project(tmp_path, {"config/deploy.yml": text}))
    kg001 = [f for f in report["findings"] if f["rule"] == "KG001"]
    assert len(kg001) == 1 and "written by ERB" in kg001[0]["message"] and kg001[0]["line"] == 13


def test_unclosed_erb_tag_is_a_syntax_error():
    assert "never closed" in load_text("service: <%= x\n").problem.message


def test_tabs_as_separators_are_accepted():
    doc = load_text("service:\tshop\nimage: acme/shop\t# tab before comment\n")
    assert doc.problem is None and doc.data == {"service": "shop", "image": "acme/shop"}


def test_anchors_aliases_and_merge_keys_follow_psych():
    doc = load_text("x-base: &base\n  a: 1\n  b: 2\nc:\n  <<: *base\n  b: 3\nd: *base\ne:\n  b: 9\n  <<: *base\n")
    assert doc.data["c"] == {"a": 1, "b": 3}
    assert doc.data["d"] == {"a": 1, "b": 2}
    assert doc.data["e"] == {"b": 2, "a": 1}  # Psych merges in order: a merge after a key overrides it
    assert doc.locations[("c", "a")].via == "merge" and doc.locations[("d",)].via == "alias"


def test_merge_of_a_list_gives_earlier_sources_precedence():
    doc = load_text("a: &a {k: 1}\nb: &b {k: 2, j: 2}\nc:\n  <<: [*a, *b]\n")
    assert doc.data["c"] == {"k": 1, "j": 2}


def test_duplicate_keys_are_reported_and_the_last_wins(tmp_path):
    report = check_json(write_project(tmp_path, {"config/deploy.yml": VALID + "image: acme/other\n"}))
    dup = [f for f in report["findings"] if f["rule"] == "KG002"]
    assert len(dup) == 1 and dup[0]["severity"] == "warning" and dup[0]["line"] == 14
    assert load_text(VALID + "image: acme/other\n").data["image"] == "acme/other"


def test_erb_if_else_branches_are_not_duplicates(tmp_path):
    text = VALID + '<% if ENV["X"] %>\nasset_path: /a\n<% else %>\nasset_path: /b\n<% end %>\n'
    assert "KG002" not in rules_fired(check_json(write_project(tmp_path, {"config/deploy.yml": text})))


def test_yes_no_are_booleans_to_kamal(tmp_path):
    report = check_json(write_project(tmp_path, {"config/deploy.yml": VALID + "allow_empty_roles: yes\n"}))
    assert structural(report) == []
    report = check_json(write_project(tmp_path, {"config/deploy.yml": VALID + "allow_empty_roles: 'yes'\n"}))
    assert [f["rule"] for f in structural(report)] == ["KG004"]


@pytest.mark.parametrize("text", ["", "# just a comment\n\n# another\n", "---\n"])
def test_empty_and_comment_only_files_are_kg001(tmp_path, text):
    report = check_json(write_project(tmp_path, {"config/deploy.yml": text}))
    assert [f["rule"] for f in structural(report)] == ["KG001"]


def test_extension_keys_at_the_root_only(tmp_path):
    report = check_json(write_project(tmp_path, {"config/deploy.yml": VALID + "x-note: anything\n"}))
    assert structural(report) == []
    text = VALID.replace("  web:\n", "  web:\n    x-note: nope\n")
    assert [f["rule"] for f in structural(check_json(write_project(tmp_path, {"config/deploy.yml": text})))] == [
        "KG003"]


def test_explicit_document_start_is_fine(tmp_path):
    assert structural(check_json(write_project(tmp_path, {"config/deploy.yml": "---\n" + VALID}))) == []
