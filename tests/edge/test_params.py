"""edge.params: request parameters as PHP reads bracketed form keys."""
from edge.params import php_form


def test_bracketed_keys_nest_and_whole_numbers_make_lists():
    pairs = [("To[0][email]", "a@b"), ("To[0][name]", "A"), ("To[1][email]", "c@d"), ("Tags[]", "x"),
             ("Tags[]", "y"), ("0", "zero")]
    assert php_form(pairs) == {"To": [{"email": "a@b", "name": "A"}, {"email": "c@d"}], "Tags": ["x", "y"],
                               "0": "zero"}


def test_only_ascii_digits_are_indexes():
    """"²" and "٣" are digits to str.isdigit (and "٣" to int), not to PHP: such keys name a map's
    entries (a fuzzed `0[][²]` made int("²") raise: a 500)."""
    assert php_form([("0[][²]", "v"), ("0[][APIKey]", "k")]) == {"0": [{"²": "v"}, {"APIKey": "k"}]}
    assert php_form([("a[٣]", "v"), ("a[1]", "w")]) == {"a": {"٣": "v", "1": "w"}}
