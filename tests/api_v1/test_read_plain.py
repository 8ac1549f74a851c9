"""The common send request is read without marshmallow (edge.octeth_send._read_plain): on every
request it takes, it must make exactly what the schema makes; on anything else it steps aside."""
import itertools
import random

import pytest

from edge.octeth_send import _read_plain, _read_schema
from edge.errors import Refusal

POOLS = {
    "from": [None, {"email": "shop@example.com", "name": "Shop"}, {"email": "shop@example.com"}, {"name": "x"},
             {"email": "not an address"}, "shop@example.com", [], {"email": "Shop@EXAMPLE.com ", "name": 7}],
    "to": [None, [{"email": "rob@example.net", "name": "Rob"}], {"email": "rob@example.net"}, "rob@example.net",
           ["rob@example.net", {"email": "ann@example.net"}], [], "", {}, [{"name": "x"}], [{"email": "bad@"}],
           [["rob@example.net"]], 5],
    "cc": [None, [{"email": "cc@example.net"}], [], "", {"email": "cc@example.net", "name": "C"}, [{"email": "@x"}]],
    "subject": [None, "Your receipt", "", "x" * 2000, "x" * 2001, 5, ["a"]],
    "contenttype": [None, "html", "plain", " HTML ", "Plain", "text", "", 1],
    "htmlcontent": [None, "<p>Hi</p>", "", 3],
    "plaincontent": [None, "Hi", "", ["x"]],
    "bcc": [None, None, None, ["b@example.net"]],
    "senderapikey": [None, "k"],
    "tags": [None, None, None, ["t"]],
    "listid": [None, None, None, 3],
}


def _outcome(values):
    try:
        return _read_schema(values, ())
    except Refusal as exc:
        return exc


def _requests(count: int, seed: int):
    rng = random.Random(seed)
    for _ in range(count):
        yield {k: v for k, pool in POOLS.items() if (v := rng.choice(pool)) is not None}


def _mostly_good():
    """Every combination of values the plain reader may take, and some it may not."""
    keys = ("from", "to", "cc", "subject", "contenttype", "htmlcontent", "plaincontent")
    pools = [POOLS["from"][1:3] + [None], POOLS["to"][:6], POOLS["cc"][:4], POOLS["subject"][1:5],
             POOLS["contenttype"][1:6], POOLS["htmlcontent"][:3], POOLS["plaincontent"][:3]]
    for combination in itertools.product(*pools):
        yield {k: v for k, v in zip(keys, combination) if v is not None}


@pytest.mark.parametrize("seed", range(2))
def test_the_plain_reader_agrees_with_the_schema(seed):
    taken = 0
    for values in itertools.chain(_requests(2000, seed), _mostly_good() if seed == 0 else ()):
        plain = _read_plain(values)
        if plain is None:
            continue
        taken += 1
        assert plain == _outcome(values), values
    assert taken >= (500 if seed == 0 else 1)  # the common request does take it
