"""Form widgets of the UI kit.

``FastSelect`` is Django's ``Select`` with the same HTML, written out in Python instead of one
template include per ``<option>``: a filters bar offering 500 outlets and 300 technicians spent
most of a list page's time rendering option templates (decision 0052). ``FastDateInput``,
``FastHiddenInput`` and ``FastTextInput`` likewise write Django's ``input.html`` in Python: a filters
bar's few inputs cost as much as the rest of its template (decision 0056).
"""

from __future__ import annotations

from django import forms
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import mark_safe


def _attrs(attrs: dict) -> str:
    """Django's ``attrs.html``: ``True`` → a bare attribute, ``False`` / ``None`` → left out."""
    parts = []
    for name, value in attrs.items():
        if value is False or value is None:
            continue
        parts.append(format_html(" {}", name) if value is True else format_html(' {}="{}"', name, str(value)))
    return _joined(parts)


class FastSelect(forms.Select):
    """A ``<select>`` rendered without a template per option (same markup as ``forms.Select``:
    options carry no attributes but ``selected``, the first matching option only)."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = set(self.format_value(value))
        found = False

        def option(option_value, label):
            nonlocal found
            option_value = "" if option_value is None else str(option_value)
            selected = not found and option_value in chosen
            found = found or selected
            return f'\n  <option value="{escape(option_value)}"{" selected" if selected else ""}>{conditional_escape(label)}</option>'

        out = [format_html('<select name="{}"{}>', name, _attrs(self.build_attrs(self.attrs, attrs)))]
        for option_value, label in self.choices:
            if isinstance(label, (list, tuple)):
                out.append(format_html('\n  <optgroup label="{}">', option_value))
                out.extend(option(v, sub) for v, sub in label)
                out.append("\n  </optgroup>")
            else:
                out.append(option(option_value, label))
        out.append("\n</select>")
        return _joined(out)


class _FastInput:
    """An ``<input>`` with the markup of Django's ``input.html`` (and ``attrs.html``)."""

    def render(self, name, value, attrs=None, renderer=None):
        value = self.format_value(value)
        shown = "" if value is None else format_html(' value="{}"', str(value))
        return _joined(
            [format_html('<input type="{}" name="{}"{}{}>', self.input_type, name, shown, _attrs(self.build_attrs(self.attrs, attrs)))]
        )


class FastDateInput(_FastInput, forms.DateInput):
    pass


class FastHiddenInput(_FastInput, forms.HiddenInput):
    pass


class FastTextInput(_FastInput, forms.TextInput):
    pass


def _joined(parts) -> str:
    """The parts, each already escaped by ``format_html`` or a literal of this module, as safe HTML."""
    return mark_safe("".join(parts))  # noqa: S308 — every part is format_html output or a constant tag
