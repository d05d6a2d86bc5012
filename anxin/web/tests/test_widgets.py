"""FastSelect writes the markup Django's Select template writes, option for option; the fast inputs
write what ``input.html`` writes."""

from __future__ import annotations

import re
from datetime import date

from django import forms

from anxin.web.widgets import FastDateInput, FastHiddenInput, FastSelect, FastTextInput

CHOICES = [("", "All"), (1, "南京<鼓楼>网点"), (2, 'Say "hi" & go'), ("Group", [(3, "三"), (4, "四")])]


def _tags(html: str) -> str:
    # Django's template leaves blank lines between options; the markup is otherwise the same.
    return re.sub(r">\s+<", "><", html)


def _pair(value, attrs=None):
    return (
        _tags(forms.Select(choices=CHOICES).render("outlet", value, attrs=attrs)),
        _tags(FastSelect(choices=CHOICES).render("outlet", value, attrs=attrs)),
    )


def test_same_markup_as_django_select():
    for value in ("", 1, "2", 4, None, "no such"):
        django_html, fast_html = _pair(value, attrs={"id": "id_outlet", "required": True, "data-x": 'a"b'})
        assert fast_html == django_html


def test_selected_and_escaped():
    html = FastSelect(choices=CHOICES).render("outlet", 2)
    assert '<option value="2" selected>Say &quot;hi&quot; &amp; go</option>' in html
    assert "南京&lt;鼓楼&gt;网点" in html
    assert html.count(" selected") == 1


def test_a_form_field_renders_through_it():
    class F(forms.Form):
        outlet = forms.TypedChoiceField(choices=CHOICES[:3], coerce=int, required=False, widget=FastSelect)

    html = str(F({"outlet": "1"})["outlet"])
    assert '<select name="outlet" id="id_outlet">' in html
    assert '<option value="1" selected>' in html


def test_inputs_same_markup_as_django():
    pairs = [
        (forms.DateInput(attrs={"type": "date"}), FastDateInput(attrs={"type": "date"})),
        (forms.HiddenInput(), FastHiddenInput()),
        (
            forms.TextInput(attrs={"size": 18, "autofocus": True, "disabled": False}),
            FastTextInput(attrs={"size": 18, "autofocus": True, "disabled": False}),
        ),
    ]
    for django_widget, fast in pairs:
        for value in (None, "", date(2026, 12, 4), 'x"<y>&', "2026-13-45"):
            for attrs in (None, {"id": "id_f", "required": True}):
                assert fast.render("f", value, attrs=attrs) == django_widget.render("f", value, attrs=attrs)
