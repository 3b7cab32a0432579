"""Which passwords are accepted, as a table: NFKC first, the common lists (zxcvbn's and the
Chinese one) with decorations taken off, zxcvbn's score with its feedback in Chinese; and
hashing that matches what a user types in either width, old hashes included."""

from __future__ import annotations

import base64
import hashlib

import pytest

from service.config import SettingInvalid, from_env
from service.rules import credentials
from service.rules.passwords import COMMON, common, is_common, normalized, password_problem

REFUSED = [
    # (password, what the refusal says)
    ("ＰＡＳＳＷＯＲＤ１２３", "常见"),  # full width: PASSWORD123
    ("１２３４５６７８９０", "常见"),
    ("Password1!", "常见"),
    ("iloveyou12345", "常见"),
    ("p@ssw0rd2024", "常见"),  # look-alike substitutions and a year
    ("woaini131452", "常见"),
    ("aini1314520", "常见"),
    ("qq1234567890", "常见"),
    ("5201314520", "常见"),
    ("Dearbook2011", "常见"),
    ("zhangwei1988", "常见"),
    ("zxcvbnm123456", "常见"),
    ("constitution", "常见"),  # a word of zxcvbn's English list
    ("jenniferlopez", "强度"),  # names: zxcvbn scores it low
    ("㍿㍾㍽", "至少 10 个字符"),  # NFKC makes three signs eight characters: still too short
    ("short-1", "至少 10 个字符"),
    ("x" * 201, "不能超过 200"),
    ("Qiu-ye" + "e\u0301" * 150, "不能超过 200"),  # 156 characters once composed, 306 as typed
    ("aaaaaaaaaaaaaaa", "常见"),
    ("abababababab", "常见"),
    ("abcdefghijklm", "常见"),
    ("qazwsxedcrfv", "常见"),  # a keyboard walk
    ("qazxswedcvfrtg", "强度"),  # a keyboard walk zxcvbn sees
    ("Zq8-" * 50, "强度"),  # a repeat: scored on its first 72 characters
]


@pytest.mark.parametrize(("password", "said"), REFUSED)
def test_refused(password: str, said: str) -> None:
    problem = password_problem(password)
    assert problem is not None and said in problem, problem


@pytest.mark.parametrize("password", ["mima-12345678-xin", "wo-de-mima-2019", "huanle-xinmima-42",
                                      "bench-password-1", "correct horse battery staple", "秋天的落叶很好看啊真的",
                                      "Ｈｕａｎｌｅ－ｘｉｎｍｉｍａ－４２"])
def test_accepted(password: str) -> None:
    assert password_problem(password) is None


def test_zxcvbns_feedback_is_said_in_chinese() -> None:
    problem = password_problem("jenniferlopez")
    assert problem is not None and "强度 " in problem and "至少需要 3" in problem
    assert not any(word in problem for word in ("names", "password", "Add another"))
    assert password_problem("jenniferlopez", min_score=1) is None  # the threshold is a setting


def test_the_name_of_the_account_is_refused_in_either_width() -> None:
    assert password_problem("Zhang-Wei-Mingtian-42", "zhang-wei") == "密码不能包含用户名"
    assert password_problem("ｚｈａｎｇ－ｗｅｉ-mingtian-42", "zhang-wei") == "密码不能包含用户名"


def test_the_lists_are_large_and_hold_both_languages() -> None:
    listed = common()
    assert len(listed) > 90_000
    assert {"woaini", "aini1314", "5201314", "qq123456", "dearbook", "zxcvbnm", "xiazhili"} <= listed
    assert {"iloveyou", "trustno1", "constitution", "smith"} <= listed


def test_a_one_time_password_is_never_a_common_one() -> None:
    for _ in range(200):
        made = credentials.new_password()
        assert len(made) == 12 and not is_common(made)
    assert COMMON.startswith("密码过于常见")


def test_hashes_are_of_the_normalised_password() -> None:
    stored = credentials.hash_password("Ｈｕａｎｌｅ－ｘｉｎｍｉｍａ－４２")
    assert credentials.verify_password("Huanle-xinmima-42", stored)
    assert credentials.verify_password("Ｈｕａｎｌｅ－ｘｉｎｍｉｍａ－４２", stored)
    assert not credentials.verify_password("huanle-xinmima-42", stored)
    one_time = credentials.hash_one_time_password("ＡＢＣｄｅｆ234567")
    assert credentials.verify_password("ABCdef234567", one_time)


def test_a_hash_made_before_normalising_still_matches_what_was_typed() -> None:
    typed = "Ｈｕａｎｌｅ－ｘｉｎｍｉｍａ－４２"
    salt = b"0123456789abcdef"
    digest = hashlib.scrypt(typed.encode("utf-8"), salt=salt, dklen=32, n=2**14, r=8, p=1)
    old = "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()
    assert credentials.verify_password(typed, old)
    assert normalized(typed) == "Huanle-xinmima-42"


def test_the_least_score_is_a_setting() -> None:
    assert from_env({}).password_min_score == 3
    assert from_env({"PORTAL_PASSWORD_MIN_SCORE": "4"}).password_min_score == 4
    with pytest.raises(SettingInvalid, match="PORTAL_PASSWORD_MIN_SCORE"):
        from_env({"PORTAL_PASSWORD_MIN_SCORE": "5"})
