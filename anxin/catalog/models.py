from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProductCategory(models.Model):
    """A product category (产品大类): 冰箱, 洗衣机, 空调 … with its warranty policy."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=50)
    warranty_months = models.PositiveSmallIntegerField(_("whole-unit warranty (months)"), default=24)
    main_parts_warranty_months = models.PositiveSmallIntegerField(_("main-parts warranty (months)"), default=36)

    class Meta:
        verbose_name = _("product category")
        verbose_name_plural = _("product categories")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class ProductModel(models.Model):
    """A sellable model (型号), e.g. KFR-35GW."""

    category = models.ForeignKey(ProductCategory, on_delete=models.PROTECT, related_name="models", verbose_name=_("category"))
    code = models.CharField(_("model"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    high_end = models.BooleanField(_("high-end model"), default=False)

    class Meta:
        verbose_name = _("product model")
        verbose_name_plural = _("product models")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class FaultCode(models.Model):
    """A fault type (故障代码) with its difficulty level 1–5; only a technician whose grade covers it may take it."""

    category = models.ForeignKey(ProductCategory, on_delete=models.PROTECT, related_name="fault_codes", verbose_name=_("category"))
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    difficulty = models.PositiveSmallIntegerField(_("difficulty"), default=1)

    class Meta:
        verbose_name = _("fault code")
        verbose_name_plural = _("fault codes")
        ordering = ["code"]
        constraints = [models.CheckConstraint(condition=models.Q(difficulty__gte=1, difficulty__lte=5), name="fault_difficulty_1_5")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class SparePart(models.Model):
    """A spare part (备件) that a completion report can list; stock and warehouses come later."""

    code = models.CharField(_("part code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    category = models.ForeignKey(
        ProductCategory, on_delete=models.PROTECT, null=True, blank=True, related_name="spare_parts", verbose_name=_("category")
    )
    main_part = models.BooleanField(_("main part"), default=False, help_text=_("Covered by the longer main-parts warranty."))
    unit_price = models.DecimalField(_("unit price"), max_digits=10, decimal_places=2, default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("spare part")
        verbose_name_plural = _("spare parts")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class LabourItem(models.Model):
    """A priced labour item (工时项目) for completion reports and quotes."""

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    category = models.ForeignKey(
        ProductCategory, on_delete=models.PROTECT, null=True, blank=True, related_name="labour_items", verbose_name=_("category")
    )
    price = models.DecimalField(_("price"), max_digits=10, decimal_places=2, default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("labour item")
        verbose_name_plural = _("labour items")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"
