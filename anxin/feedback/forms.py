"""Callback forms: they parse input; ``feedback.services.callback_record`` validates and saves."""

from __future__ import annotations

from django import forms


class CallbackForm(forms.Form):
    """A callback's answers (回访); field names are ``callback_record``'s arguments."""

    satisfaction = forms.CharField(required=False, max_length=20)
    problem_solved = forms.BooleanField(required=False)
    comment = forms.CharField(required=False, max_length=2000)
    expected_version = forms.IntegerField(min_value=1)
