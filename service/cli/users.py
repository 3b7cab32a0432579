"""`portal users …`: accounts, passwords and API tokens."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from service.content.codes import ROLES

if TYPE_CHECKING:
    pass

from service.cli.base import Failed, cli, open_context


@cli.group(help="管理账号：添加、重置密码、停用与启用、改密码、API 令牌。账号不能删除（审计记录保留其名称）。")
def users() -> None:
    pass


def _password(prompt: str = "密码") -> str:
    """A password typed twice at a terminal, or two equal lines on standard input."""
    if sys.stdin.isatty():
        return str(click.prompt(prompt, hide_input=True, confirmation_prompt=f"再次输入{prompt}"))
    lines = sys.stdin.read().splitlines()
    if len(lines) < 2 or lines[0] != lines[1]:
        raise Failed(f"错误：标准输入应为两行相同的{prompt}", exit_code=2)
    return lines[0]


def _account_command(action: Any, *args: Any) -> Any:
    from service.errors import ApiError

    try:
        return action(open_context(), *args)
    except ApiError as exc:
        raise Failed(f"错误：{exc.message}") from None


@users.command("add", help="添加账号。密码在终端中输入两次；非终端时从标准输入读取两行（至少 10 个字符，不能是常见或容易猜到的密码）。")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True, help="角色")
@click.option("--department", default=None, help="部门代码（部门账号必填，见 departments.yml）")
@click.option("--display-name", default="", help="显示名称（各处记录中代替用户名显示）")
@click.option("--email", default="", help="电子邮箱")
@click.option("--phone", default="", help="联系电话")
@click.option("--oversees", default="", help="院领导主管的部门代码，逗号分隔（如 jxx,dqx）")
def users_add(name: str, role: str, department: str | None, display_name: str, email: str, phone: str,
              oversees: str) -> None:
    from service.workflows import accounts

    details = accounts.profile(display_name, email, phone, department, oversees.replace("，", ",").split(","))
    password = _password()
    _account_command(lambda ctx: accounts.add_user(ctx, name, role, None, password, "cli", details))
    scope = department or "、".join(details.oversees)
    click.echo(f"已添加账号 {name}（{role}{'，' + scope if scope else ''}）")


@users.command("token", help="为账号生成新的 API 令牌（输出的最后一个词；只显示这一次）。")
@click.argument("name")
@click.option("--name", "token_name", default="", help="令牌名称（用途）")
def users_token(name: str, token_name: str) -> None:
    from service.workflows import accounts

    token = _account_command(accounts.new_token, name, "cli", token_name)
    click.echo(f"{name} 的新 API 令牌（只显示这一次；请求头 Authorization: Bearer 令牌）：")
    click.echo(token)


@users.command("tokens", help="列出账号的 API 令牌：编号、名称、生成时间、最近使用、状态。")
@click.argument("name")
def users_tokens(name: str) -> None:
    from service.workflows import accounts

    for t in _account_command(accounts.tokens, name):
        state = f"已停用 {t['revoked_at']}" if t["revoked_at"] else "有效"
        click.echo("\t".join([t["id"], t["name"] or "-", t["created_at"] or "-", t["last_used_at"] or "从未使用", state]))


@users.command("revoke", help="停用账号的一个 API 令牌（编号见 portal users tokens），从下一次请求起拒绝。")
@click.argument("name")
@click.argument("token_id")
def users_revoke(name: str, token_id: str) -> None:
    from service.workflows import accounts

    _account_command(accounts.revoke_token, name, token_id, "cli")
    click.echo(f"已停用 {name} 的令牌 {token_id}")


@users.command("reset", help="重置账号的密码：生成一次性密码（只显示这一次，首次登录后须修改），其所有登录会话立即结束，API 令牌全部停用。")
@click.argument("name")
def users_reset(name: str) -> None:
    from service.workflows import accounts

    reset = _account_command(accounts.reset_password, name, "cli")
    click.echo(f"{name} 的登录会话已全部结束，{reset.tokens_revoked} 个 API 令牌已停用。")
    click.echo(f"{name} 的一次性密码（只显示这一次，首次登录后须修改）：")
    click.echo(reset.password)


@users.command("disable", help="停用账号：其所有登录会话立即结束，API 令牌不再可用。")
@click.argument("name")
def users_disable(name: str) -> None:
    from service.workflows import accounts

    _account_command(accounts.set_active, name, False, "cli")
    click.echo(f"已停用账号 {name}")


@users.command("enable", help="重新启用已停用的账号。")
@click.argument("name")
def users_enable(name: str) -> None:
    from service.workflows import accounts

    _account_command(accounts.set_active, name, True, "cli")
    click.echo(f"已启用账号 {name}")


@users.command("passwd", help="修改账号的密码：先输入当前密码，再输入两次新密码（非终端时从标准输入读三行）。"
                              "其所有登录会话结束，API 令牌也全部停用（--keep-tokens 保留）。")
@click.argument("name")
@click.option("--keep-tokens", is_flag=True, help="保留账号的 API 令牌（默认全部停用）")
def users_passwd(name: str, keep_tokens: bool) -> None:
    from service.workflows import accounts

    if sys.stdin.isatty():
        current = str(click.prompt("当前密码", hide_input=True))
        new = str(click.prompt("新密码", hide_input=True, confirmation_prompt="再次输入新密码"))
    else:
        lines = sys.stdin.read().splitlines()
        if len(lines) < 3 or lines[1] != lines[2]:
            raise Failed("错误：标准输入应为三行：当前密码、新密码、新密码", exit_code=2)
        current, new = lines[0], lines[1]
    revoked = _account_command(lambda ctx: accounts.change_password(ctx, name, current, new,
                                                                    revoke_tokens=not keep_tokens))
    click.echo(f"已修改 {name} 的密码" + (f"，{revoked} 个 API 令牌已停用" if revoked else ""))


@users.command("list", help="列出所有账号：用户名、角色、部门（院领导：主管部门）、显示名称、状态。")
def users_list() -> None:
    from service.workflows import accounts

    for user in _account_command(accounts.users):
        scope = user["department"] or ",".join(user["oversees"])
        state = "已停用" if not user["active"] else "待改密" if user["must_change_password"] else "启用"
        click.echo("\t".join([user["username"], user["role"], scope, user["display_name"], state]))
