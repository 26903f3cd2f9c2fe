"""X-HelpScout-Signature: vectors computed here by hand (hmac over literal byte strings), not by our code."""
from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote

import pytest

from backend.integrations.helpdesks.helpscout.signature import (
    SignatureError, php_json_encode, php_request_params, sign, verify_body_signature, verify_query_signature,
)

SECRET = "my-secret-key"


def by_hand(secret: str, data: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), data, hashlib.sha1).digest()).decode()


# --- legacy dynamic app: the raw body ---------------------------------------------------------
RAW_BODY = (b'{"ticket":{"id":"1","number":"2"},"customer":{"id":"1","fname":"Jackie","lname":"Chan",'
            b'"email":"jackie.chan@somewhere.com","emails":["jackie.chan@somewhere.com"]}}')


def test_body_signature_matches_a_hand_computed_vector():
    # base64(HMAC-SHA1("test", RAW_BODY)), computed once with `openssl dgst -sha1 -hmac test -binary | base64`
    verify_body_signature("test", RAW_BODY, "uLBknJgCigCYZMckMcmWtPOR1EY=")


def test_body_signature_is_over_raw_bytes_not_a_reencoding():
    spaced = b'{"ticket": {"id": "1"}, "customer": {"emails": ["a@b.test"]}}'
    verify_body_signature(SECRET, spaced, by_hand(SECRET, spaced))
    compact = b'{"ticket":{"id":"1"},"customer":{"emails":["a@b.test"]}}'
    with pytest.raises(SignatureError):
        verify_body_signature(SECRET, compact, by_hand(SECRET, spaced))


@pytest.mark.parametrize("signature", [None, "", "not base64!!", by_hand("other-secret", RAW_BODY),
                                       by_hand(SECRET, RAW_BODY + b" ")])
def test_body_signature_refusals(signature):
    with pytest.raises(SignatureError):
        verify_body_signature(SECRET, RAW_BODY, signature)


def test_sign_agrees_with_hand_computation():
    assert sign(SECRET, RAW_BODY) == by_hand(SECRET, RAW_BODY)


# --- iframe app: PHP json_encode of the query parameters --------------------------------------
def _query(pairs, signature):
    parts = [f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs]
    return "&".join(parts + [f"X-HelpScout-Signature={quote(signature, safe='')}"])


def test_query_signature_over_php_json_encode_in_query_order():
    literal = b'{"conversation-id":"123","mailbox-id":"7","user-id":"42"}'
    query = _query([("conversation-id", "123"), ("mailbox-id", "7"), ("user-id", "42")], by_hand(SECRET, literal))
    assert verify_query_signature(SECRET, query) == {"conversation-id": "123", "mailbox-id": "7", "user-id": "42"}


def test_query_order_matters():
    literal = b'{"conversation-id":"123","mailbox-id":"7"}'
    swapped = _query([("mailbox-id", "7"), ("conversation-id", "123")], by_hand(SECRET, literal))
    with pytest.raises(SignatureError):
        verify_query_signature(SECRET, swapped)


def test_slashes_and_non_ascii_are_escaped_like_php():
    # PHP: json_encode(["ref" => "https://x.test/a", "name" => "José 😀"])
    literal = b'{"ref":"https:\\/\\/x.test\\/a","name":"Jos\\u00e9 \\ud83d\\ude00"}'
    query = _query([("ref", "https://x.test/a"), ("name", "José 😀")], by_hand(SECRET, literal))
    assert verify_query_signature(SECRET, query)["name"] == "José 😀"


def test_control_characters_and_quotes_are_escaped_like_php():
    literal = b'{"q":"a\\"b\\\\c\\nd\\u0001\x7f"}'  # PHP leaves DEL (0x7f) as is
    query = _query([("q", 'a"b\\c\nd\x01\x7f')], by_hand(SECRET, literal))
    assert verify_query_signature(SECRET, query)["q"] == 'a"b\\c\nd\x01\x7f'


def test_our_own_callback_params_are_left_out_and_plus_is_a_space():
    literal = b'{"conversation-id":"9","note":"a b"}'
    query = "installation=5&conversation-id=9&note=a+b&X-HelpScout-Signature=" + quote(by_hand(SECRET, literal))
    assert verify_query_signature(SECRET, query, own_params=("installation",)) == {"conversation-id": "9",
                                                                                     "note": "a b"}
    with pytest.raises(SignatureError):
        verify_query_signature(SECRET, query)  # not removed: another byte string


def test_php_name_mangling_and_repeated_names():
    assert php_request_params("a.b=1&c d=2&x=1&y=2&x=3") == [("a_b", "1"), ("c_d", "2"), ("x", "3"), ("y", "2")]
    literal = b'{"a_b":"1","x":"3"}'
    query = "a.b=1&x=1&x=3&X-HelpScout-Signature=" + quote(by_hand(SECRET, literal))
    assert verify_query_signature(SECRET, query) == {"a_b": "1", "x": "3"}


def test_empty_context_and_integer_keys_encode_as_php_lists():
    assert php_json_encode([]) == b"[]"
    assert php_json_encode([("0", "a"), ("1", "b")]) == b'["a","b"]'
    assert php_json_encode([("1", "a")]) == b'{"1":"a"}'
    query = "X-HelpScout-Signature=" + quote(by_hand(SECRET, b"[]"))
    assert verify_query_signature(SECRET, query) == {}


@pytest.mark.parametrize("query", [
    "conversation-id=1",  # unsigned
    "conversation-id=1&X-HelpScout-Signature=" + quote(by_hand("wrong", b'{"conversation-id":"1"}')),
    "conversation-id=2&X-HelpScout-Signature=" + quote(by_hand(SECRET, b'{"conversation-id":"1"}')),
    "conversation-id=%ff&X-HelpScout-Signature=x",  # not UTF-8
    "a[]=1&X-HelpScout-Signature=x",  # arrays are not Help Scout context
])
def test_query_refusals(query):
    with pytest.raises(SignatureError):
        verify_query_signature(SECRET, query)
