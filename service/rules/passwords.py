"""Which passwords are accepted (pure): NFKC-normalised first, so a full-width `ＰＡＳＳＷＯＲＤ１２３`
is the `PASSWORD123` it looks like; at least 10 characters; not in the common-password lists
(zxcvbn's own frequency lists in full, and common Chinese passwords shipped beside this file),
also once lowercased, stripped of the digits and symbols around it and with the usual
look-alike substitutions undone (p@ssw0rd123 → password); no run or repeat; not containing the
account's name; and scored at least `min_score` by zxcvbn, whose feedback says why in Chinese.
"""

from __future__ import annotations

import functools
import importlib.resources
import itertools
import unicodedata

MIN_PASSWORD = 10
MAX_PASSWORD = 200
SCORED_LENGTH = 72  # zxcvbn scores at most this many characters; a longer one is scored by its start
CHINESE_LIST = "common_passwords_zh.txt"
COMMON = "密码过于常见或有规律（如 1234567890、qwertyuiop、woaini1314、Password1!），请换一个不易猜到的密码"
# zxcvbn's look-alike substitutions, undone (1 and | read both as i and as l)
LEET = [str.maketrans({"4": "a", "@": "a", "8": "b", "(": "c", "{": "c", "[": "c", "<": "c", "3": "e",
                       "6": "g", "9": "g", "1": "i", "!": "i", "|": "i", "0": "o", "$": "s", "5": "s",
                       "+": "t", "7": "t", "%": "x", "2": "z"}),
        str.maketrans({"1": "l", "|": "l", "7": "l"})]


def normalized(password: str) -> str:
    """The password as stored and as checked: NFKC (full-width letters and digits become plain ones)."""
    return unicodedata.normalize("NFKC", password)


@functools.cache
def common() -> frozenset[str]:
    """Every listed password, lowercase (10 MB of zxcvbn's lists: read when first asked)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    text = importlib.resources.files(__package__).joinpath(CHINESE_LIST).read_text(encoding="utf-8")
    lines = (line.strip().lower() for line in text.splitlines())
    chinese = (line for line in lines if line and not line.startswith("#"))
    return frozenset(itertools.chain(*FREQUENCY_LISTS.values(), chinese))


def _variants(lowered: str) -> set[str]:
    """The password and what it is made from: without the digits and symbols around it, and with
    look-alike substitutions undone (stems shorter than 4 letters say nothing)."""
    stripped = lowered.strip("0123456789!@#$%^&*()_+-=.,;:?~`'\" ")
    found = {lowered, *(lowered.translate(t) for t in LEET)}
    if len(stripped) >= 4:
        found |= {stripped, *(stripped.translate(t) for t in LEET)}
    return found


def is_common(password: str) -> bool:
    """Listed (as typed or once its decoration is taken off), a run like 0123456789, or at most
    two different characters."""
    lowered = normalized(password).lower()
    return (len(set(lowered)) <= 2 or _run(lowered) or not _variants(lowered).isdisjoint(common()))


def _run(text: str) -> bool:
    """A run like 0123456789, abcdefghij or 9876543210."""
    steps = {ord(b) - ord(a) for a, b in itertools.pairwise(text)}
    return steps in ({1}, {-1})


def password_problem(password: str, username: str = "", min_score: int = 3) -> str | None:
    """Why `password` is refused (Chinese), or None."""
    text = normalized(password)
    if len(text) < MIN_PASSWORD:
        return f"密码至少 {MIN_PASSWORD} 个字符"
    if max(len(text), len(password)) > MAX_PASSWORD:  # as typed too: the login reads 256 at most
        return f"密码不能超过 {MAX_PASSWORD} 个字符"
    if is_common(text):
        return COMMON
    if username and normalized(username).lower() in text.lower():
        return "密码不能包含用户名"
    return weakness(text, min_score)


def weakness(password: str, min_score: int) -> str | None:
    """zxcvbn's verdict when it scores the password below `min_score` (0–4), in Chinese."""
    if min_score <= 0:
        return None
    from zxcvbn import zxcvbn  # its word lists: loaded when a password is first scored

    result = zxcvbn(password[:SCORED_LENGTH])
    if result["score"] >= min_score:
        return None
    feedback = result["feedback"]
    said = [feedback.get("warning") or "", *feedback["suggestions"]]
    reasons = "".join(dict.fromkeys(FEEDBACK[s] for s in said if s in FEEDBACK))
    return f"密码太容易被猜到（强度 {result['score']}/4，至少需要 {min_score}）。{reasons or '请换一个更长、更不规则的密码。'}"


FEEDBACK = {
    "This is a top-10 common password.": "这是最常见的十个密码之一。",
    "This is a top-100 common password.": "这是最常见的一百个密码之一。",
    "This is a very common password.": "这是非常常见的密码。",
    "This is similar to a commonly used password.": "与常见密码相近。",
    "A word by itself is easy to guess.": "单个英文单词很容易被猜到。",
    "Names and surnames by themselves are easy to guess.": "单独的姓名很容易被猜到。",
    "Common names and surnames are easy to guess.": "常见的姓名很容易被猜到。",
    "Straight rows of keys are easy to guess.": "键盘上连成一排的键很容易被猜到。",
    "Short keyboard patterns are easy to guess.": "简短的键盘图案很容易被猜到。",
    'Repeats like "aaa" are easy to guess.': "“aaa”这样的重复很容易被猜到。",
    'Repeats like "abcabcabc" are only slightly harder to guess than "abc".': "“abcabcabc”这样的重复并不比“abc”难猜多少。",
    'Sequences like "abc" or "6543" are easy to guess.': "“abc”“6543”这样的顺序很容易被猜到。",
    "Recent years are easy to guess.": "最近的年份很容易被猜到。",
    "Dates are often easy to guess.": "日期往往很容易被猜到。",
    "Add another word or two. Uncommon words are better.": "请再加一两个词，不常见的词更好。",
    "Use a few words, avoid common phrases.": "请用几个词组合，避免常见短语。",
    "No need for symbols, digits, or uppercase letters.": "不必非加符号、数字或大写字母，长一些更有用。",
    "Capitalization doesn't help very much.": "首字母大写帮助不大。",
    "All-uppercase is almost as easy to guess as all-lowercase.": "全部大写和全部小写几乎一样容易猜到。",
    "Reversed words aren't much harder to guess.": "把单词倒过来写并不难猜多少。",
    "Predictable substitutions like '@' instead of 'a' don't help very much.": "用“@”代替“a”这类替换帮助不大。",
    "Use a longer keyboard pattern with more turns.": "键盘图案请更长、拐弯更多。",
    "Avoid repeated words and characters.": "避免重复的词和字符。",
    "Avoid sequences.": "避免顺序排列的字符。",
    "Avoid recent years.": "避免使用最近的年份。",
    "Avoid years that are associated with you.": "避免使用与自己有关的年份。",
    "Avoid dates and years that are associated with you.": "避免使用与自己有关的日期和年份。",
}
