from __future__ import annotations

from datetime import date

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from anxin.accounts.choices import Role
from anxin.core.models import ChoiceLabels
from anxin.core.scoping import ScopedQuerySet, ScopePaths, Through
from anxin.customers.choices import ApplianceStatus, CustomerGroup, MarketTier, PhoneKind

# Roles that answer the nationwide hotline see the whole shared archive ("one entry, shared nationwide").
ARCHIVE_WIDE_ROLES = (Role.AGENT, Role.CALLBACK_AGENT)


class Tag(models.Model):
    """A free label on customers (客户标签), e.g. "water quality hard" or "prefers mornings"."""

    name = models.CharField(_("name"), max_length=30, unique=True)
    colour = models.CharField(_("colour"), max_length=7, default="#64748b", help_text=_("A CSS colour such as #d97706."))

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CustomerQuerySet(ScopedQuerySet):
    def kept(self):
        # A merged duplicate is kept for its history but leaves every list, search and page.
        return self.filter(merged_into__isnull=True)


class Customer(ChoiceLabels, models.Model):
    """A customer (用户档案): entered once, found by any agent by phone, name or address."""

    name = models.CharField(_("name"), max_length=50)
    group = models.CharField(_("customer group"), max_length=20, choices=CustomerGroup.choices, default=CustomerGroup.URBAN)
    region = models.ForeignKey(
        "accounts.OrgUnit", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("home region")
    )
    registered_by = models.ForeignKey(
        "accounts.OrgUnit", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("registered by")
    )
    marketing_consent = models.BooleanField(_("marketing consent"), default=False)
    marketing_opt_out_at = models.DateTimeField(_("marketing opt-out at"), null=True, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="customers", verbose_name=_("tags"))
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_duplicates", verbose_name=_("merged into")
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    history = HistoricalRecords()
    objects = CustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_vip(self) -> bool:
        return self.group == CustomerGroup.VIP

    # A region sees its home customers and those of its outlets' orders; an outlet the walk-ins it
    # registered (before their first order) and its orders' customers; a technician the customers of
    # their orders; a dealer what it registered or sold to. The orders' part comes from
    # ``CustomerAccess``, which the order side keeps: customers never query orders (decision 0046).
    scope = ScopePaths(
        everything_roles=ARCHIVE_WIDE_ROLES,
        region=("region", Through("customers.CustomerAccess", "customer", "unit__parent")),
        outlet=("registered_by", Through("customers.CustomerAccess", "customer", "unit")),
        technician=(Through("customers.CustomerAccess", "customer", "user"),),
        dealer=("registered_by", Through("customers.Appliance", "customer", "dealer")),
    )


class CustomerPhone(ChoiceLabels, models.Model):
    """A phone number of a customer, stored in national form without spaces (``13812345678``, ``057188001234``)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="phones", verbose_name=_("customer"))
    number = models.CharField(_("phone"), max_length=20)
    kind = models.CharField(_("kind"), max_length=10, choices=PhoneKind.choices, default=PhoneKind.MOBILE)
    is_primary = models.BooleanField(_("primary"), default=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("customer phone")
        verbose_name_plural = _("customer phones")
        indexes = [models.Index(fields=["number"])]

    def __str__(self) -> str:
        return self.number


class CustomerAddress(ChoiceLabels, models.Model):
    """An address (地址), parsed into administrative divisions; unresolved ones are kept and flagged."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="addresses", verbose_name=_("customer"))
    text = models.CharField(_("address"), max_length=200)
    province = models.CharField(_("province"), max_length=30, blank=True)
    city = models.CharField(_("city"), max_length=30, blank=True)
    district = models.CharField(_("district"), max_length=30, blank=True)
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    division_code = models.CharField(_("division code"), max_length=12, blank=True, db_index=True)
    market_tier = models.PositiveSmallIntegerField(_("market tier"), choices=MarketTier.choices, default=MarketTier.UNKNOWN)
    needs_review = models.BooleanField(_("needs correction"), default=False)
    is_primary = models.BooleanField(_("primary"), default=False)
    # Typed with a dealer's sale for a customer already in the archive: the install goes there, but
    # the archive does not take it as the customer's address until an agent confirms it (decision 0023).
    unconfirmed = models.BooleanField(_("to confirm"), default=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("customer address")
        verbose_name_plural = _("customer addresses")

    def __str__(self) -> str:
        return self.text


class Appliance(ChoiceLabels, models.Model):
    """An installed appliance (家电): model, serial, purchase and install dates, warranty end."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="appliances", verbose_name=_("customer"))
    product_model = models.ForeignKey("catalog.ProductModel", on_delete=models.PROTECT, related_name="+", verbose_name=_("model"))
    serial = models.CharField(_("serial / barcode"), max_length=40, blank=True, db_index=True)
    purchase_date = models.DateField(_("purchase date"), null=True, blank=True)
    install_date = models.DateField(_("install date"), null=True, blank=True)
    dealer = models.ForeignKey(
        "accounts.OrgUnit", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("dealer")
    )
    store_name = models.CharField(_("store"), max_length=100, blank=True)
    invoice_no = models.CharField(_("invoice number"), max_length=40, blank=True)
    warranty_end = models.DateField(_("warranty end"), null=True, blank=True)
    main_parts_warranty_end = models.DateField(_("main-parts warranty end"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ApplianceStatus.choices, default=ApplianceStatus.IN_USE)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("appliance")
        verbose_name_plural = _("appliances")

    def __str__(self) -> str:
        return str(self.product_model)

    def compute_warranty_end(self) -> date | None:
        start = self.purchase_date or self.install_date
        if start is None:
            return None
        return start + relativedelta(months=self.product_model.category.warranty_months)

    def compute_main_parts_warranty_end(self) -> date | None:
        start = self.purchase_date or self.install_date
        if start is None:
            return None
        return start + relativedelta(months=self.product_model.category.main_parts_warranty_months)

    def in_warranty(self, on: date) -> bool:
        return self.warranty_end is not None and on <= self.warranty_end


class ContractKind(models.TextChoices):
    EXTENDED_WARRANTY = "extended_warranty", _("Extended warranty")
    MAINTENANCE = "maintenance", _("Maintenance contract")


class ServiceContract(models.Model):
    """An extended-warranty or maintenance contract (延保 / 保养合同) on one appliance: while it runs,
    the appliance is served as in warranty whatever its purchase date says."""

    appliance = models.ForeignKey(Appliance, on_delete=models.CASCADE, related_name="contracts", verbose_name=_("appliance"))
    kind = models.CharField(_("kind"), max_length=20, choices=ContractKind.choices, default=ContractKind.EXTENDED_WARRANTY)
    number = models.CharField(_("contract number"), max_length=40, blank=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("service contract")
        verbose_name_plural = _("service contracts")
        ordering = ["-ends_on", "id"]

    def __str__(self) -> str:
        return self.number or f"{self.get_kind_display()} #{self.pk}"

    def covers(self, on: date) -> bool:
        return self.starts_on <= on <= self.ends_on


class MarketTierRule(models.Model):
    """Configured market tier (市场级别) for a division-code prefix; the longest matching prefix wins."""

    division_prefix = models.CharField(_("division code prefix"), max_length=12, unique=True)
    tier = models.PositiveSmallIntegerField(_("market tier"), choices=MarketTier.choices)
    note = models.CharField(_("note"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("market tier rule")
        verbose_name_plural = _("market tier rules")

    def __str__(self) -> str:
        return f"{self.division_prefix} → {self.tier}"


class SearchToken(models.Model):
    """One searchable piece of a customer (检索词): a name substring, pinyin, reversed phone,
    address tail, serial. Lookups are exact or prefix matches on an ordinary B-tree index, which
    works the same on SQLite and PostgreSQL and serves 1- and 2-character Chinese queries (which
    pg_trgm and FTS5 trigram cannot). Rebuilt for a customer on every write that touches it."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+", db_index=False)
    token = models.CharField(max_length=64)
    kind = models.PositiveSmallIntegerField()

    class Meta:
        verbose_name = _("search token")
        verbose_name_plural = _("search tokens")
        indexes = [
            # kind first: every scan is "this kind, this token (prefix)"; the customer column makes it
            # covering, so PostgreSQL answers from the index alone (index-only scan).
            models.Index(fields=["kind", "token", "customer"], name="search_token_kind_lookup"),
            models.Index(fields=["customer"], name="search_token_customer"),
        ]

    def __str__(self) -> str:
        return self.token


class CustomerAccess(models.Model):
    """Who reaches a customer through its work orders (客户可见范围): the part of the customer scope
    that the order side decides, kept by it (``anxin.orders.customer_access``) in the transaction of
    every order step that changes it, so that ``customers`` never queries orders (decision 0046).

    Two kinds of row. An *outlet row* (``unit`` set, ``user`` empty) while some order of the customer
    is with that outlet; a region reaches the customer through its outlets' rows. A *technician row*
    (``user`` set, ``unit`` empty) while some order of the customer is assigned to that technician;
    ``in_field`` says whether one of those orders is in a field status (assigned … on site, waiting
    for parts, revisit), which is when the technician sees the full phone and address.
    """

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+", db_index=False)
    unit = models.ForeignKey("accounts.OrgUnit", on_delete=models.CASCADE, null=True, blank=True, related_name="+", db_index=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+", db_index=False)
    in_field = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("customer access")
        verbose_name_plural = _("customer access")
        constraints = [
            # The scope reads ``customer IN (SELECT customer … WHERE unit = ? / user = ?)`` from these
            # two indexes alone (index-only scans); NULLs are distinct, so an outlet row never
            # collides with a technician row.
            models.UniqueConstraint(fields=["unit", "customer"], name="customer_access_unit"),
            models.UniqueConstraint(fields=["user", "customer"], name="customer_access_user"),
            models.CheckConstraint(
                condition=Q(unit__isnull=False, user__isnull=True) | Q(unit__isnull=True, user__isnull=False),
                name="customer_access_unit_or_user",
            ),
        ]
        # Refreshing a customer's rows and the region's path (through the unit's parent) start here.
        indexes = [models.Index(fields=["customer"], name="customer_access_customer")]

    def __str__(self) -> str:
        return f"{self.customer_id} → {self.unit_id or self.user_id}"
