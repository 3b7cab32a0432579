"""A real OpenLDAP server for the directory tests: Debian's slapd, run from a temporary
directory on 127.0.0.1 with a generated cn=config (core, cosine and inetOrgPerson schemas, one
mdb database) and a few people, stopped when the test is done.

`start_directory(root, people)` writes the configuration with slapadd -n0, the entries with
slapadd -n1 (passwords hashed by slappasswd), starts `slapd -d 0` in the foreground on a free
port and waits (bounded) until it answers. People bind as uid=<uid>,ou=people,<BASE>; the
service account cn=portal,ou=services,<BASE> may search; anonymous users may only bind.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from serverproc import terminate

BASE = "dc=example,dc=edu"
PEOPLE = f"ou=people,{BASE}"
SERVICE_DN = f"cn=portal,ou=services,{BASE}"
SERVICE_PASSWORD = "service-secret-2019"
USER_DN = f"uid={{staff_id}},{PEOPLE}"
START_TIMEOUT = 60.0
SCHEMAS = ("core", "cosine", "inetorgperson")


def _tool(name: str) -> str | None:
    return shutil.which(name) or next((str(p) for p in (Path("/usr/sbin") / name,) if p.exists()), None)


def slapd_or_skip() -> tuple[str, str, str]:
    """slapd, slapadd, slappasswd; a skip (non-root machine without them) or a failure (root, or CI)."""
    tools = [_tool(n) for n in ("slapd", "slapadd", "slappasswd")]
    if all(tools):
        return tools[0], tools[1], tools[2]  # type: ignore[return-value]
    message = "统一身份认证测试需要 Debian 的 slapd（apt-get install slapd ldap-utils；make test 以 root 运行时会自动安装）"
    if os.geteuid() == 0 or os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class DirectoryServer:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        terminate(self.process)


def _module_path() -> str:
    for candidate in ("/usr/lib/ldap", "/usr/lib/x86_64-linux-gnu/ldap", "/usr/lib/aarch64-linux-gnu/ldap"):
        if (Path(candidate) / "back_mdb.so").exists():
            return candidate
    return "/usr/lib/ldap"


def _config(db: Path) -> str:
    schemas = "\n".join(f"include: file:///etc/ldap/schema/{name}.ldif" for name in SCHEMAS)
    return f"""dn: cn=config
objectClass: olcGlobal
cn: config

dn: cn=module,cn=config
objectClass: olcModuleList
cn: module
olcModulePath: {_module_path()}
olcModuleLoad: back_mdb.so

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

{schemas}

dn: olcDatabase=frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: frontend

dn: olcDatabase=mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: mdb
olcSuffix: {BASE}
olcDbDirectory: {db}
olcDbMaxSize: 16777216
olcAccess: to attrs=userPassword by anonymous auth by self read by * none
olcAccess: to * by dn.exact="{SERVICE_DN}" read by self read by * none
"""


def _entries(people: dict[str, tuple[str, str]], hashed: dict[str, str]) -> str:
    """people: uid → (employeeNumber, password)."""
    blocks = [f"dn: {BASE}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example College\n",
              f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n",
              f"dn: ou=services,{BASE}\nobjectClass: organizationalUnit\nou: services\n",
              f"dn: {SERVICE_DN}\nobjectClass: inetOrgPerson\ncn: portal\nsn: portal\n"
              f"userPassword: {hashed[SERVICE_PASSWORD]}\n"]
    for uid, (number, password) in people.items():
        blocks.append(f"dn: uid={uid},{PEOPLE}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {uid}\nsn: {uid}\n"
                      f"employeeNumber: {number}\nuserPassword: {hashed[password]}\n")
    return "\n".join(blocks)


def start_directory(root: Path, people: dict[str, tuple[str, str]]) -> DirectoryServer:
    slapd, slapadd, slappasswd = slapd_or_skip()
    config, db = root / "slapd.d", root / "db"
    config.mkdir(parents=True)
    db.mkdir()
    passwords = {SERVICE_PASSWORD, *(p for _, p in people.values())}
    hashed = {p: subprocess.run([slappasswd, "-h", "{SSHA}", "-s", p], capture_output=True, text=True, check=True,
                                timeout=30).stdout.strip() for p in passwords}
    (root / "config.ldif").write_text(_config(db), encoding="utf-8")
    (root / "entries.ldif").write_text(_entries(people, hashed), encoding="utf-8")
    for number, name in (("0", "config.ldif"), ("1", "entries.ldif")):
        done = subprocess.run([slapadd, f"-n{number}", "-F", str(config), "-l", str(root / name)],
                              capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, f"slapadd -n{number}: {done.stderr}"
    port = free_port()
    log = root / "slapd.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([slapd, "-h", f"ldap://127.0.0.1:{port}/", "-F", str(config), "-d", "0"],
                                   stdout=out, stderr=subprocess.STDOUT)
    server = DirectoryServer(f"ldap://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if process.poll() is not None:
            raise AssertionError(f"slapd exited: {log.read_text(errors='replace')[-2000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return server
        if time.monotonic() > deadline:
            server.stop()
            raise AssertionError(f"slapd did not listen within {START_TIMEOUT} s: {log.read_text(errors='replace')[-2000:]}")
        time.sleep(0.05)


@contextlib.contextmanager
def silent_server() -> Iterator[str]:
    """A TCP server that accepts connections and never answers: a directory that hangs."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    try:
        yield f"ldap://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()
