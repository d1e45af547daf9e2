"""Filter grammar (RFC 7644 §3.4.2.2): parsing, schema checks, errors, printing."""

from __future__ import annotations

import pytest

from glpi_scim.scim.ast import And, AttrPath, Compare, Not, Or, Present, ValuePath
from glpi_scim.scim.errors import InvalidFilter, TooMany
from glpi_scim.scim.filter import parse_filter, restrict, to_string

from .helpers import ENTERPRISE


def cmp(attr: str, op: str, value: object, sub: str | None = None) -> Compare:
    return Compare(AttrPath(attr, sub), op, value)  # type: ignore[arg-type]


def test_simple_comparison() -> None:
    assert parse_filter('userName eq "bjensen"') == cmp("userName", "eq", "bjensen")


@pytest.mark.parametrize("op", ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"])
def test_every_operator_in_any_case(op: str) -> None:
    assert parse_filter(f'title {op.upper()} "x"') == cmp("title", op, "x")


def test_present() -> None:
    assert parse_filter("title PR") == Present(AttrPath("title"))


def test_and_binds_tighter_than_or() -> None:
    a, b, c = (cmp(n, "eq", 1) for n in ("a", "b", "c"))
    assert parse_filter("a eq 1 or b eq 1 and c eq 1") == Or(a, And(b, c))
    assert parse_filter("a eq 1 and b eq 1 or c eq 1") == Or(And(a, b), c)
    assert parse_filter("a eq 1 and (b eq 1 or c eq 1)") == And(a, Or(b, c))


def test_chains_are_left_associative() -> None:
    a, b, c = (cmp(n, "eq", 1) for n in ("a", "b", "c"))
    assert parse_filter("a eq 1 or b eq 1 or c eq 1") == Or(Or(a, b), c)
    assert parse_filter("a eq 1 and b eq 1 and c eq 1") == And(And(a, b), c)


def test_keywords_are_case_insensitive() -> None:
    expected = Not(Or(cmp("a", "eq", True), cmp("b", "eq", None)))
    assert parse_filter("NOT (a EQ TRUE Or b eq NULL)") == expected
    assert parse_filter("not(a eq true or b eq null)") == expected


def test_literals() -> None:
    assert parse_filter("a eq false").value is False  # type: ignore[union-attr]
    assert parse_filter("a eq 42").value == 42  # type: ignore[union-attr]
    assert isinstance(parse_filter("a eq 42").value, int)  # type: ignore[union-attr]
    assert parse_filter("a eq -1.5e3").value == -1500.0  # type: ignore[union-attr]
    assert parse_filter('a eq "x\\"y\\\\z\\u00e9\\n"').value == 'x"y\\zé\n'  # type: ignore[union-attr]


def test_value_path_with_nested_filter() -> None:
    parsed = parse_filter('emails[type eq "work" and value co "@example.com"]')
    assert parsed == ValuePath(
        AttrPath("emails"), And(cmp("type", "eq", "work"), cmp("value", "co", "@example.com"))
    )


def test_value_path_combined_with_other_terms() -> None:
    parsed = parse_filter('userType eq "Employee" and emails[type eq "work"]')
    assert isinstance(parsed, And)
    assert isinstance(parsed.right, ValuePath)


def test_entra_value_path_with_trailing_comparison() -> None:
    # Entra ID: emails[type eq "work"].value eq "x" reads as emails[type eq "work" and value eq "x"]
    parsed = parse_filter('emails[type eq "work"].value eq "a@b.c"', "User")
    assert parsed == ValuePath(
        AttrPath("emails"), And(cmp("type", "eq", "work"), cmp("value", "eq", "a@b.c"))
    )


def test_urn_qualified_attributes() -> None:
    parsed = parse_filter(f'{ENTERPRISE}:manager.value eq "42"', "User")
    assert parsed == Compare(AttrPath("manager", "value", ENTERPRISE), "eq", "42")
    core = parse_filter('urn:ietf:params:scim:schemas:core:2.0:User:name.givenName sw "B"', "User")
    assert core == Compare(
        AttrPath("name", "givenName", "urn:ietf:params:scim:schemas:core:2.0:User"), "sw", "B"
    )


def test_legacy_core_urn_is_accepted() -> None:
    parsed = parse_filter('urn:scim:schemas:core:2.0:userName eq "x"', "User")
    assert isinstance(parsed, Compare)


def test_attribute_names_are_case_insensitive_with_schema() -> None:
    parsed = parse_filter('USERNAME eq "x" and Emails.VALUE co "y"', "User")
    assert isinstance(parsed, And)


def test_ref_sub_attribute() -> None:
    parsed = parse_filter('members.$ref co "Users"', "Group")
    assert parsed == cmp("members", "co", "Users", sub="$ref")


def test_boolean_strings_become_booleans_with_schema() -> None:
    assert parse_filter('active eq "True"', "User") == cmp("active", "eq", True)


def test_datetime_comparison() -> None:
    parsed = parse_filter('meta.lastModified gt "2011-05-13T04:42:34Z"', "User")
    assert parsed == cmp("meta", "gt", "2011-05-13T04:42:34Z", sub="lastModified")


def test_attribute_named_like_a_keyword() -> None:
    assert parse_filter('not eq "x"') == cmp("not", "eq", "x")
    assert parse_filter("and pr or or pr") == Or(Present(AttrPath("and")), Present(AttrPath("or")))


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("userName eq", 12),
        ('userName eqq "x"', 10),
        ('userName eq "x" and', 20),
        ('(userName eq "x"', 17),
        ('userName eq "x")', 16),
        ("userName eq x", 13),
        ('userName eq "unterminated', 13),
        ('emails[type eq "work"', 22),
        ('userName eq "x" userName eq "y"', 17),
        ('emails[type eq "a" and emails[value pr]]', 24),
        ("name.givenName.x eq 1", 1),
        ("userName @ 1", 10),
        ('emails.type[value eq "x"]', 1),
    ],
)
def test_syntax_errors_point_at_the_character(text: str, position: int) -> None:
    with pytest.raises(InvalidFilter) as caught:
        parse_filter(text)
    assert caught.value.status == 400
    assert caught.value.scim_type == "invalidFilter"
    assert f"at character {position}" in caught.value.detail


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('userNam eq "x"', "unknown attribute 'userNam'"),
        ('name.first eq "x"', "unknown attribute 'name.first'"),
        ('emails[kind eq "work"]', "unknown attribute 'emails.kind'"),
        (f'{ENTERPRISE}:department2 eq "x"', "unknown attribute"),
        ('urn:example:unknown:userName eq "x"', "unknown attribute"),
        ("active gt true", "'gt' is not valid for the boolean attribute"),
        ('active co "t"', "not valid for the boolean"),
        ('active eq "yes"', "is boolean"),
        ('name co "x"', "complex attribute"),
        ('meta eq "x"', "complex attribute"),
        ("userName eq 12", "quoted string"),
        ("userName gt null", "cannot compare with null"),
        ('meta.created gt "yesterday"', "is not a dateTime"),
        ('meta.created co "2011"', "not valid for the dateTime"),
        ('password eq "secret"', "cannot be used in a filter"),
        ('x509Certificates.value gt "AAAA"', "binary"),
        ('userName[value eq "x"]', "not multi-valued"),
        ('emails[urn:x:y:type eq "x"]', "plain sub-attribute"),
        ('emails[type.x eq "x"]', "plain sub-attribute"),
    ],
)
def test_schema_errors(text: str, message: str) -> None:
    with pytest.raises(InvalidFilter) as caught:
        parse_filter(text, "User")
    assert message in caught.value.detail
    assert "at character" in caught.value.detail


def test_unknown_attribute_error_points_at_it() -> None:
    with pytest.raises(InvalidFilter) as caught:
        parse_filter('userName eq "x" and nickname pr and nick pr', "User")
    assert "unknown attribute 'nick' at character 37" in caught.value.detail


def test_group_schema() -> None:
    parse_filter('displayName eq "Ops" and members[value eq "1"]', "Group")
    with pytest.raises(InvalidFilter):
        parse_filter('userName eq "x"', "Group")


def test_length_limit() -> None:
    text = " or ".join(f'userName eq "{i}"' for i in range(300))
    assert len(text) > 4096
    with pytest.raises(TooMany) as caught:
        parse_filter(text)
    assert caught.value.status == 400
    assert "4096" in caught.value.detail
    parse_filter(text, max_length=len(text), max_clauses=300)


def test_long_chains_are_not_nesting() -> None:
    text = " or ".join(f'userName eq "{i}"' for i in range(200))
    parse_filter(text, "User", max_clauses=200)


def test_clause_limit_counts_every_comparison() -> None:
    text = " and ".join(['emails[type eq "work" or value pr]', "not (active eq true)"] * 10)
    parse_filter(text, "User", max_clauses=30)
    with pytest.raises(InvalidFilter) as caught:
        parse_filter(text, "User", max_clauses=29)
    assert caught.value.scim_type == "invalidFilter"
    assert "30 comparisons; at most 29" in caught.value.detail


def test_depth_limit() -> None:
    ok = "(" * 32 + "a pr" + ")" * 32
    parse_filter(ok)
    with pytest.raises(InvalidFilter) as caught:
        parse_filter("(" * 33 + "a pr" + ")" * 33)
    assert "nesting deeper than 32" in caught.value.detail
    with pytest.raises(InvalidFilter):
        parse_filter("not (" * 5 + "a pr" + ")" * 5, max_depth=4)


def test_empty_filter() -> None:
    with pytest.raises(InvalidFilter):
        parse_filter("  ")


@pytest.mark.parametrize(
    "text",
    [
        'userName eq "bjensen"',
        "a eq 1 or (b eq 2 or c eq 3)",
        "(a eq 1 or b eq 2) and c eq 3",
        "a eq 1 and (b eq 2 and c eq 3)",
        'not (a pr) and not (b eq "x" or c eq false)',
        'emails[type eq "work" and (value co "@" or primary eq true)] or title pr',
        'x eq "quote\\" backslash\\\\ tab\\t é ☃"',
        "n gt -0.5 and m le 1e+30 and o eq null",
    ],
)
def test_to_string_round_trips(text: str) -> None:
    parsed = parse_filter(text)
    assert parse_filter(to_string(parsed)) == parsed


def test_to_string_output() -> None:
    parsed = parse_filter('A EQ "x" AND (b pr OR NOT (c eq TRUE))')
    assert to_string(parsed) == 'A eq "x" and (b pr or not (c eq true))'


class TestRestrict:
    def test_unknown_attributes_are_false_for_the_type(self) -> None:
        parsed = parse_filter('userName eq "x" or displayName eq "Ops"')
        assert restrict(parsed, "Group") == cmp("displayName", "eq", "Ops")
        assert restrict(parsed, "User") == Or(
            cmp("userName", "eq", "x"), cmp("displayName", "eq", "Ops")
        )

    def test_simplification(self) -> None:
        assert restrict(parse_filter('userName eq "x"'), "Group") is False
        assert restrict(parse_filter('not (userName eq "x")'), "Group") is True
        assert restrict(parse_filter("members pr and userName pr"), "Group") is False
        assert restrict(parse_filter("not (userName pr) and displayName pr"), "Group") == Present(
            AttrPath("displayName")
        )

    def test_invalid_use_still_raises(self) -> None:
        with pytest.raises(InvalidFilter):
            restrict(parse_filter("active gt 1"), "User")
