from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "anxin.orders"
    label = "orders"
    verbose_name = _("Work orders")

    def ready(self) -> None:
        # The rules that keep customers.CustomerAccess and the customer lookup's order-number source.
        from anxin.orders import customer_access  # noqa: F401

        register_with_lower_layers()


def register_with_lower_layers() -> None:
    """What routing and the customer pages ask of the order side: lower layers offer registration
    points rather than import orders (decisions 0043, 0044)."""
    from anxin.network.selectors import register_outlet_load
    from anxin.orders import customer_panels
    from anxin.orders.outlet_load import open_orders_by_outlet

    register_outlet_load(open_orders_by_outlet)
    customer_panels.register()
