"""The service's one error type: an HTTP status, a machine code and a Chinese message."""

from __future__ import annotations

from typing import Any

MAX_QUOTED = 100  # characters of what the user sent that an error message repeats


def quoted(value: Any) -> str:
    """What the user sent, as an error message repeats it: at most 100 characters."""
    text = str(value)
    return text if len(text) <= MAX_QUOTED else text[:MAX_QUOTED] + "……"


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"error": self.message, "code": self.code, **self.extra}


def bad_request(code: str, message: str, **extra: Any) -> ApiError:
    return ApiError(400, code, message, **extra)


def unauthorized() -> ApiError:
    return ApiError(401, "login_required", "请先登录，或在请求头中提供有效的 API 令牌")


def forbidden(message: str = "您的账号无权访问此内容") -> ApiError:
    return ApiError(403, "forbidden", message)


def not_found(code: str, message: str) -> ApiError:
    return ApiError(404, code, message)


def unprocessable(code: str, message: str, **extra: Any) -> ApiError:
    return ApiError(422, code, message, **extra)


HTTP_MESSAGES = {
    400: ("bad_request", "请求格式不正确"),
    401: ("login_required", "请先登录"),
    403: ("forbidden", "您的账号无权访问此内容"),
    404: ("not_found", "找不到该页面或资源"),
    405: ("method_not_allowed", "不支持此请求方法"),
    408: ("body_too_slow", "请求内容发送过慢，服务器已关闭连接，请检查网络后重新提交"),
    413: ("too_large", "上传内容超过大小限制"),
    415: ("unsupported_type", "不支持的文件类型"),
    500: ("server_error", "服务器内部错误，请稍后再试"),
    503: ("unavailable", "服务暂时不可用，请稍后再试"),
}


def for_status(status: int) -> ApiError:
    code, message = HTTP_MESSAGES.get(status, ("error", "请求失败"))
    return ApiError(status, code, message)
