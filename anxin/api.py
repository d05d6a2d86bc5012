"""The JSON API under /api/v1/: one NinjaAPI that mounts each app's router."""

from anxin.core.api import AnxinAPI, BrowserSessionAuth, TokenAuth, install_error_handlers

api = AnxinAPI(
    title="Anxin API",
    version="1",
    urls_namespace="api",
    auth=[TokenAuth(), BrowserSessionAuth()],
    docs_url="/docs",
    description='安心售后服务系统 JSON API. Errors: {"error": {"code", "message", "fields"}}. POST accepts an Idempotency-Key header.',
)
install_error_handlers(api)

from anxin.accounts.api import router as accounts_router  # noqa: E402
from anxin.complaints.api import router as complaints_router  # noqa: E402
from anxin.customers.api import router as customers_router  # noqa: E402
from anxin.notifications.api import router as notifications_router  # noqa: E402
from anxin.orders.api.completion import router as completion_router  # noqa: E402
from anxin.orders.api.orders import router as orders_router  # noqa: E402
from anxin.sales.api import router as sales_router  # noqa: E402
from anxin.telephony.api import router as telephony_router  # noqa: E402

api.add_router("/", accounts_router)
api.add_router("/customers", customers_router)
api.add_router("/orders", orders_router)
api.add_router("/orders", completion_router)  # /orders/{id}/completion, …/completion-code, …/attachments
api.add_router("/telephony", telephony_router)
api.add_router("/sales", sales_router)
api.add_router("/notifications", notifications_router)
api.add_router("/complaints", complaints_router)
