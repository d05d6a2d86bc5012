"""Periodic jobs of the orders app, found by ``anxin.core.periodic.load_jobs`` (autodiscovery of every
app's ``jobs`` module; core names no app above it, decision 0043)."""

from __future__ import annotations

from anxin.orders.sla.escalation import escalate_due_job

__all__ = ["escalate_due_job"]
