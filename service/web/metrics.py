"""The service's metrics in the Prometheus text format, on /metrics: requests by route template
and status, their latency, uploads, the store's commit time, open connections and reminders.
One registry per app (never the process-wide default), so two apps in one process count apart."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.types import Scope

from service.content.codes import ROLE_HR
from service.errors import ApiError
from service.storage.meters import Meters
from service.web.auth import by_token, client_address, user_of
from service.web.views.common import off_loop

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})
UNROUTED = "-"  # answered before routing (a refused token, a body refused by the server)
FORBIDDEN = ApiError(403, "metrics_forbidden", "运行指标只对允许的地址（PORTAL_METRICS_ALLOW）或人事处的 API 令牌开放")


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter("portal_http_requests", "请求数（按路由模板、方法与状态码）",
                                ("route", "method", "status"), registry=r)
        self.latency = Histogram("portal_http_request_duration_seconds", "请求处理时间（秒，按路由模板）",
                                 ("route",), registry=r,
                                 buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
        self.uploads = Counter("portal_uploads", "已保存的上传文件数", registry=r)
        self.upload_bytes = Counter("portal_upload_bytes", "已保存的上传文件字节数", registry=r)
        self.commits = Histogram("portal_store_commit_seconds", "数据写入磁盘（一次提交）用时（秒）", registry=r,
                                 buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5))
        self.connections = Gauge("portal_open_connections", "当前打开的连接数", registry=r)
        self.active = 0  # requests being answered (counted on the event loop)
        Gauge("portal_http_requests_in_progress", "正在处理的请求数", registry=r).set_function(lambda: self.active)
        self.reminders = Counter("portal_reminders", "催办发送次数（按结果 sent/failed）", ("outcome",), registry=r)

    def meters(self) -> Meters:
        """The hooks the store and the workflows call (storage/meters.py)."""
        return Meters(committed=self.commits.observe, uploaded=self._uploaded,
                      reminded=lambda outcome: self.reminders.labels(outcome).inc())

    def _uploaded(self, size: int) -> None:
        self.uploads.inc()
        self.upload_bytes.inc(size)

    def track_connections(self, count: Callable[[], int]) -> None:
        self.connections.set_function(lambda: float(count()))

    def busy(self) -> bool:
        """Whether a request is being answered now (what runs in the background gives way)."""
        return self.active > 0

    def request(self, scope: Scope, status: int, seconds: float) -> None:
        route = route_template(scope)
        method = scope.get("method", "")
        self.requests.labels(route, method if method in METHODS else "OTHER", str(status)).inc()
        self.latency.labels(route).observe(seconds)


def route_template(scope: Scope) -> str:
    """The matched route's path template (/board/{department_id}), never the raw path, so the
    labels stay few; the published site is one label."""
    route = scope.get("route")
    if route is None:
        return UNROUTED
    if isinstance(route, Mount):
        return route.name or route.path or "/"
    return str(getattr(route, "path", UNROUTED))


def allowed(request: Request, networks: tuple[str, ...]) -> bool:
    """The client's address is in PORTAL_METRICS_ALLOW, or an HR account's API token is presented."""
    user = user_of(request)
    if user is not None and user.role == ROLE_HR and by_token(request):
        return True
    try:
        address = ipaddress.ip_address(client_address(request.scope))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in networks)


async def metrics_page(request: Request) -> Response:
    if not allowed(request, request.app.state.context.settings.metrics_allow):
        raise FORBIDDEN
    metrics: Metrics = request.app.state.metrics
    body = await off_loop(generate_latest, metrics.registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
