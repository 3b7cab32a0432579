"""The campus directory (统一身份认证, LDAP underneath): does this 工号 sign in with this password?

The one module that talks to the directory, through ldap3. A staff member's entry is the DN
made from the `user_dn` template (the 工号 escaped as an RDN value), or the one entry found
under `search_base` whose `attribute` equals the 工号 (escaped as a filter value), searched
with the service account's bind (anonymous without one). The password is then checked by a
simple bind as that entry, over STARTTLS when asked (certificates checked). Connecting and
each answer are bounded by the directory's timeout; the calls block, so callers run them in
a worker thread. Referrals are never followed: credentials go to the configured server only.
"""

from __future__ import annotations

import math
import ssl

import ldap3
from ldap3.core.exceptions import LDAPException, LDAPStartTLSError
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import escape_rdn

from service.config import Directory

REFUSED = (49, 32, 34)  # invalidCredentials, noSuchObject, invalidDNSyntax: not this person
MAX_ID = 64


class DirectoryUnavailable(Exception):
    """The directory could not be asked (unreachable, too slow, refused the service account,
    misconfigured); the message says why, in Chinese."""


def check_password(directory: Directory, staff_id: str, password: str) -> bool:
    """True when `password` binds as the person's entry; False for a wrong password or a 工号
    the directory does not know. DirectoryUnavailable when the directory cannot tell."""
    if not password or not staff_id or len(staff_id) > MAX_ID:
        return False  # an empty password would be an unauthenticated bind, which "succeeds"
    server = _server(directory)
    dn = _entry(directory, server, staff_id)
    if dn is None:
        return False
    return _bind(directory, server, dn, password)


def _server(directory: Directory) -> ldap3.Server:
    tls = ldap3.Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=directory.ca_file or None)
    return ldap3.Server(directory.url, connect_timeout=directory.timeout, tls=tls, get_info=ldap3.NONE,
                        mode=ldap3.IP_SYSTEM_DEFAULT)


def _connection(directory: Directory, server: ldap3.Server, user: str | None, password: str | None
                ) -> ldap3.Connection:
    return ldap3.Connection(server, user=user, password=password, auto_bind=ldap3.AUTO_BIND_NONE,
                            receive_timeout=math.ceil(directory.timeout), read_only=True, auto_referrals=False,
                            raise_exceptions=False)


def _entry(directory: Directory, server: ldap3.Server, staff_id: str) -> str | None:
    """The DN to bind as: from the template, or the one entry the search finds (None: none)."""
    if directory.user_dn:
        return directory.user_dn.replace("{staff_id}", escape_rdn(staff_id))
    connection = _connection(directory, server, directory.bind_dn or None, directory.bind_password or None)
    try:
        _open(directory, connection)
        if not connection.bind():
            raise DirectoryUnavailable(f"统一身份认证拒绝了本系统的查询账号（{_reason(connection)}），请联系管理员检查 "
                                       "PORTAL_LDAP_BIND_DN 与 PORTAL_LDAP_BIND_PASSWORD")
        query = f"({directory.attribute}={escape_filter_chars(staff_id)})"
        if not connection.search(directory.search_base, query, search_scope=ldap3.SUBTREE,
                                 attributes=ldap3.NO_ATTRIBUTES, size_limit=2, time_limit=math.ceil(directory.timeout)):
            code = connection.result.get("result") if connection.result else None
            if code not in (0, 32):  # success with no entry, or noSuchObject
                raise DirectoryUnavailable(f"在统一身份认证中查找工号失败（{_reason(connection)}）")
        entries = [e for e in connection.response or () if e.get("type") == "searchResEntry"]
        if len(entries) > 1:
            raise DirectoryUnavailable(f"统一身份认证中有多个账号的 {directory.attribute} 为该工号，无法确定是谁，请联系管理员")
        return str(entries[0]["dn"]) if entries else None
    except (LDAPException, OSError) as exc:
        raise DirectoryUnavailable(_unreachable(directory, exc)) from None
    finally:
        connection.unbind()


def _bind(directory: Directory, server: ldap3.Server, dn: str, password: str) -> bool:
    connection = _connection(directory, server, dn, password)
    try:
        _open(directory, connection)
        if connection.bind():
            return True
        code = connection.result.get("result") if connection.result else None
        if code in REFUSED:
            return False
        raise DirectoryUnavailable(f"统一身份认证暂时无法验证密码（{_reason(connection)}）")
    except (LDAPException, OSError) as exc:
        raise DirectoryUnavailable(_unreachable(directory, exc)) from None
    finally:
        connection.unbind()


def _open(directory: Directory, connection: ldap3.Connection) -> None:
    connection.open()
    if not directory.starttls:
        return
    try:
        started = connection.start_tls()
    except LDAPStartTLSError as exc:
        started, why = False, str(exc)[:100]
    else:
        why = _reason(connection)
    if not started:
        raise DirectoryUnavailable(f"统一身份认证没有建立 STARTTLS 加密连接（{why}），密码未发送；请检查 PORTAL_LDAP_STARTTLS、"
                                   "PORTAL_LDAP_CA_FILE 与服务器证书")


def _reason(connection: ldap3.Connection) -> str:
    result = connection.result or {}
    text = str(result.get("description") or "无说明")
    message = str(result.get("message") or "").strip()
    return f"{text}：{message[:100]}" if message else text


def _unreachable(directory: Directory, exc: Exception) -> str:
    return f"无法连接统一身份认证服务（{directory.url}，{type(exc).__name__}：{str(exc)[:100]}）"
