"""The central UI error mapping (anxin.web.errors)."""

from __future__ import annotations

from django import forms
from django.http import Http404

from anxin.core.errors import InvalidTransition, NotFound, PermissionDenied, StaleVersion, ValidationFailed
from anxin.web.errors import add_service_errors, field_label, form_errors, ui_error


def test_statuses_per_error_kind():
    assert ui_error(InvalidTransition("no")).status == 409
    assert ui_error(StaleVersion()).status == 409
    assert ui_error(ValidationFailed(fields={"reason": "required"})).status == 400
    assert ui_error(PermissionDenied()).status == 403
    assert ui_error(NotFound()).status == 404
    assert ui_error(Http404()).status == 404


def test_validation_errors_name_their_fields():
    error = ui_error(ValidationFailed(fields={"technician": "Choose a technician.", "lines.1.fault_code": "Wrong category."}))
    assert error.code == "invalid"
    assert error.fields == {"technician": ["Choose a technician."], "lines.1.fault_code": ["Wrong category."]}
    assert [item["key"] for item in error.summary] == ["technician", "lines.1.fault_code"]
    assert str(field_label("technician")) in error.message  # the headline names the fields
    assert "2" in field_label("lines.1.fault_code")  # rows are counted from 1 for people
    assert field_label("something_else") == "something_else"


def test_form_errors_and_service_errors_meet_in_the_form():
    class F(forms.Form):
        reason = forms.CharField(max_length=3)
        expected_version = forms.IntegerField()

    form = F({"reason": "toolong", "expected_version": "x"})
    assert not form.is_valid()
    exc = form_errors(form)
    assert set(exc.fields) == {"reason", "expected_version"}
    form = F({"reason": "ok", "expected_version": "1"})
    assert form.is_valid()
    add_service_errors(form, ValidationFailed(fields={"reason": "Not this one.", "customer": "Gone."}))
    assert form.errors["reason"] == ["Not this one."] and form.non_field_errors() == ["Gone."]
