from django.db import models
from django.utils.translation import gettext_lazy as _


class Grade(models.TextChoices):
    """Technician grades (Haier); the level number is the highest fault difficulty the grade covers."""

    A_PLUS = "A+", _("A+ (expert)")
    A = "A", _("A (senior)")
    B = "B", _("B (intermediate)")
    C = "C", _("C (junior)")
    D = "D", _("D (trainee)")


GRADE_LEVEL = {Grade.A_PLUS: 5, Grade.A: 4, Grade.B: 3, Grade.C: 2, Grade.D: 1}
