"""Bulk insert of old, finished demo orders (large scale only).

Writes the rows the services would have written — the order, its lines, one status-change row per
step (each checked against ``orders.transitions.TRANSITIONS``), the callback and the audit history
(one snapshot per step) — without running the services once per step. Routing and technician
choice call the domain's rules over rows held in memory: the coverage rule
``network.coverage.coverage_matches`` / ``routing_preference`` (load balancing aside: these orders
are long closed) and ``network.selectors.qualification_problems`` for the grade
``orders.workflow.grading.order_required_level`` says the order needs.
"""

from __future__ import annotations

import random
from datetime import timedelta

from anxin.accounts.choices import Role
from anxin.customers.models import Appliance, CustomerAddress
from anxin.demo import data as D
from anxin.demo.builder import (
    GRADE_LEVEL,
    SeedError,
    _field,
    _local,
    bulk_appliance_fields,
    check_transitions,
    explicit_timestamps,
    order_steps,
    plan_timeline,
    reindex,
    update_rows,
    visit_deadline_for,
)
from anxin.feedback.models import Callback
from anxin.network.coverage import coverage_matches, routing_preference
from anxin.network.models import OutletCoverage
from anxin.network.selectors import qualification_problems
from anxin.orders.models import OrderLine, StatusChange, WorkOrder
from anxin.orders.workflow.grading import order_required_level, vip_minimum_level
from anxin.orders.workflow.transitions import TRANSITIONS

MS = timedelta(milliseconds=3)


class BulkOrderWriter:
    def __init__(self, builder):
        self.b = builder
        self.outlets = {}
        self.coverages = []  # (outlet id, division prefix, category code or None): network.coverage's rows
        for c in OutletCoverage.objects.select_related("outlet", "category").filter(outlet__status__in=D.ROUTABLE_STATUSES):
            self.outlets[c.outlet_id] = c.outlet
            self.coverages.append((c.outlet_id, c.division_prefix, c.category.code if c.category_id else None))
        self.order_fields = WorkOrder.history.model.tracked_fields
        self.line_fields = OrderLine.history.model.tracked_fields
        self.vip_minimum = vip_minimum_level()  # the graded-dispatch policy, read once

    def route(self, division_code: str, categories: set[str], exclude: int | None = None):
        best = coverage_matches(self.coverages, division_code=division_code, categories=categories)
        eligible = [self.outlets[pk] for pk in best if pk != exclude]
        eligible.sort(key=lambda o: routing_preference(prefix_length=best[o.pk], open_orders=0, code=o.code))
        return eligible[0] if eligible else None

    def write(self, indices: list[int]) -> None:
        b = self.b
        plan = b.plan
        specs = {i: plan.orders[i] for i in indices}
        timelines = {i: plan_timeline(s, order_steps(s), b.now, random.Random(s.rseed)) for i, s in specs.items()}
        indices = sorted(indices, key=lambda i: (timelines[i].created, i))
        customer_ids = {b.customer_ids[s.customer] for s in specs.values()}
        addresses = {
            a.customer_id: a
            for a in CustomerAddress.objects.filter(customer_id__in=customer_ids, is_primary=True).only(
                "pk", "customer_id", "division_code", "market_tier"
            )
        }
        # Appliances sold with these orders.
        new_apps = []
        for i in indices:
            spec = specs[i]
            cspec = plan.customers[spec.customer]
            for line in spec.lines:
                key = (spec.customer, line.appliance)
                if line.appliance is None or key in b.appliance_ids:
                    continue
                app = cspec.appliances[line.appliance]
                purchase = b._purchase(app.purchase_days_ago)
                ap = Appliance(
                    customer_id=b.customer_ids[spec.customer],
                    product_model=b.models[app.model_code],
                    serial=app.serial,
                    purchase_date=purchase,
                    install_date=purchase + timedelta(days=app.install_delay_days) if app.install_delay_days is not None else None,
                    dealer=b.units[app.dealer_code] if app.dealer_code else None,
                    store_name=app.store_name,
                    invoice_no=app.invoice_no,
                )
                bulk_appliance_fields(ap)
                ap._history_user = self._actor(spec)
                ap._history_date = timelines[i].created - MS
                ap._change_reason = "created"
                ap._plan_key = key
                b.appliance_ids[key] = -1  # reserved; filled in below
                new_apps.append(ap)
        Appliance.objects.bulk_create(new_apps, batch_size=500)
        Appliance.history.bulk_history_create(new_apps, batch_size=500)
        for ap in new_apps:
            b.appliance_ids[ap._plan_key] = ap.pk
        reindex({ap.customer_id for ap in new_apps})
        app_ids = [b.appliance_ids[(s.customer, line.appliance)] for s in specs.values() for line in s.lines if line.appliance is not None]
        warranty = dict(Appliance.objects.filter(pk__in=app_ids).values_list("pk", "warranty_end"))

        built = [self._simulate(i, specs[i], timelines[i], addresses, warranty) for i in indices]
        orders = [o for o, *_ in built]
        with explicit_timestamps(_field(WorkOrder, "created_at"), _field(WorkOrder, "updated_at")):
            WorkOrder.objects.bulk_create(orders, batch_size=500)
        for o in orders:
            o.number = f"WO{_local(o.created_at):%Y%m%d}{o.pk:07d}"
        update_rows(WorkOrder, orders, ["number"])

        history, lines, line_history, changes, callbacks = [], [], [], [], []
        HOrder, HLine = WorkOrder.history.model, OrderLine.history.model
        for order, snaps, order_lines, line_snaps, steps, callback in built:
            for when, user, reason, kind, values in snaps:
                values = {**values, "id": order.pk, "number": order.number if values["status"] != "created" else None}
                history.append(HOrder(history_date=when, history_user=user, history_change_reason=reason, history_type=kind, **values))
            for line in order_lines:
                line.order_id = order.pk
            lines.extend(order_lines)
            line_history.append((order_lines, line_snaps))
            for action, source, target, actor, at, reason, data in steps:
                changes.append(
                    StatusChange(
                        order_id=order.pk, action=action, from_status=source, to_status=target, actor=actor, at=at, reason=reason, data=data
                    )
                )
            if callback:
                callback.order_id = order.pk
                callbacks.append(callback)
        HOrder.objects.bulk_create(history, batch_size=500)
        OrderLine.objects.bulk_create(lines, batch_size=500)
        hl = []
        for _order_lines, snaps in line_history:
            for line, when, user, reason, kind, values in snaps:
                values = {**values, "id": line.pk, "order_id": line.order_id}
                hl.append(HLine(history_date=when, history_user=user, history_change_reason=reason, history_type=kind, **values))
        HLine.objects.bulk_create(hl, batch_size=500)
        with explicit_timestamps(_field(StatusChange, "at")):
            StatusChange.objects.bulk_create(changes, batch_size=1000)
        with explicit_timestamps(_field(Callback, "created_at")):
            Callback.objects.bulk_create(callbacks, batch_size=500)
        for order, *_ in built:
            b.stats[order.status] += 1

    def _actor(self, spec):
        b = self.b
        if spec.actor == "dealer":
            cspec = b.plan.customers[spec.customer]
            code = next(cspec.appliances[line.appliance].dealer_code for line in spec.lines if line.appliance is not None)
            return b.dealer_user[code]
        region = b.units[b.plan.customers[spec.customer].city_key]
        return b.region_staff[(region.pk, Role.AGENT)]

    def _simulate(self, index, spec, timeline, addresses, warranty):
        """Run the state machine in memory; return the order and every row its steps write."""
        b = self.b
        rng = random.Random(spec.rseed ^ 0x5EED)
        cspec = b.plan.customers[spec.customer]
        customer_id = b.customer_ids[spec.customer]
        address = addresses[customer_id]
        region = b.units[cspec.city_key]
        actor = self._actor(spec)
        created = timeline.created
        categories = {b.models[line.model_code].category.code for line in spec.lines}
        outlet = self.route(address.division_code, categories)
        if outlet is None:
            raise SeedError(f"bulk order {index}: no outlet covers {address.division_code} for {categories}")
        o = WorkOrder(
            order_type=spec.order_type,
            channel=spec.channel,
            priority=spec.priority,
            status="created",
            version=1,
            customer_id=customer_id,
            address_id=address.pk,
            is_vip=cspec.group == "vip",
            region=region,
            dealer=b.units[next(cspec.appliances[ln.appliance].dealer_code for ln in spec.lines if ln.appliance is not None)]
            if spec.actor == "dealer"
            else None,
            description=spec.description,
            appointment_start=timeline.appointment[0] if timeline.appointment else None,
            appointment_end=timeline.appointment[1] if timeline.appointment else None,
            visit_deadline=visit_deadline_for(created, address.market_tier),
            created_by=actor,
            created_at=created,
            updated_at=created,
        )
        day = _local(created).date()
        lines = []
        for line in spec.lines:
            app_id = b.appliance_ids[(spec.customer, line.appliance)] if line.appliance is not None else None
            end = warranty.get(app_id)
            lines.append(
                OrderLine(
                    appliance_id=app_id,
                    product_model=b.models[line.model_code],
                    symptom=line.symptom,
                    fault_code=b.faults[line.preset_fault] if line.preset_fault else None,
                    in_warranty=bool(end and day <= end),
                )
            )
        snaps, steps, line_snaps = [], [], []
        order_values = lambda: {f.attname: getattr(o, f.attname) for f in self.order_fields}  # noqa: E731
        line_values = lambda ln: {f.attname: getattr(ln, f.attname) for f in self.line_fields if f.attname not in ("id", "order_id")}  # noqa: E731
        snaps.append((created, actor, "created", "+", order_values()))
        line_snaps.extend((ln, created, actor, "created", "+", line_values(ln)) for ln in lines)
        steps.append(("create", "", "created", actor, created, "", {}))

        def transition(action, when, user, reason="", data=None, target=None):
            t = TRANSITIONS[action]
            source = o.status
            o.status = target or t.target
            o.version += 1
            o.updated_at = when
            snaps.append((when, user, reason or action, "~", order_values()))
            steps.append((action, source, o.status, user, when, reason, data or {}))

        o.outlet = outlet
        transition("route", created + MS, None, data={"outlet": outlet.pk, "outlet_name": outlet.name})
        technician = None
        manager = lambda: b.outlet_manager.get(o.outlet_id)  # noqa: E731
        callback = None
        for step, when in zip(order_steps(spec), timeline.steps, strict=True):
            if step == "accept":
                transition("accept", when, manager())
            elif step == "reject":
                transition("reject", when, manager(), reason=spec.reason or rng.choice(D.REJECT_REASONS))
            elif step == "reroute":
                other = self.route(address.division_code, categories, exclude=o.outlet_id) or o.outlet
                o.outlet = other
                transition("route", when, b.region_staff[(region.pk, Role.AGENT)], data={"outlet": other.pk, "outlet_name": other.name})
            elif step == "cancel":
                transition("cancel", when, b.region_staff[(region.pk, Role.AGENT)], reason=spec.reason)
            elif step == "assign":
                technician = self._pick_technician(o, lines, categories, rng)
                o.technician = technician
                transition("assign", when, manager(), data={"technician": technician.pk, "technician_name": technician.name})
            elif step == "confirm":
                transition("confirm", when, b.tech_user[technician.pk] if rng.random() < 0.5 else manager())
            elif step == "depart":
                transition("depart", when, b.tech_user[technician.pk])
            elif step == "check_in":
                o.checked_in_at = when
                transition("check_in", when, b.tech_user[technician.pk])
            elif step == "complete":
                fault = b._completion_fault(spec, technician, rng)
                resolution = next(r for c, _n, _d, r in b._category_codes(fault) if c == fault)
                fault_obj = b.faults[fault]
                for ln in lines:
                    if ln.product_model.category_id == fault_obj.category_id and ln.fault_code_id != fault_obj.pk:
                        ln.fault_code, ln.resolution = fault_obj, resolution
                        line_snaps.append((ln, when, b.tech_user[technician.pk], "diagnosed", "~", line_values(ln)))
                o.completed_at = when
                transition("complete", when, b.tech_user[technician.pk], data={"fault_code": fault})
            elif step == "callback":
                agent = b.region_staff[(region.pk, Role.CALLBACK_AGENT)]
                o.satisfaction = spec.satisfaction
                transition("record_callback", when, agent, reason=spec.comment, data={"satisfaction": spec.satisfaction})
                callback = Callback(
                    agent=agent, satisfaction=spec.satisfaction, problem_solved=spec.problem_solved, comment=spec.comment, created_at=when
                )
                if spec.problem_solved and spec.satisfaction != "unsatisfied":
                    o.closed_at = when + MS
                    transition("close", when + MS, None)
        check_transitions([(a, s, t) for a, s, t, *_ in steps])
        if o.status != spec.status:
            raise SeedError(f"bulk order {index} ended in {o.status}, planned {spec.status}")
        return o, snaps, lines, line_snaps, steps, callback

    def _pick_technician(self, order, lines, categories, rng):
        b = self.b
        needed = order_required_level(lines=lines, is_vip=order.is_vip, vip_minimum=self.vip_minimum)
        category_ids = {line.product_model.category_id for line in lines}
        eligible = [
            t
            for t in b.techs_by_outlet[order.outlet_id]  # skills prefetched: qualification reads no row
            if not qualification_problems(technician=t, level=needed, category_ids=category_ids, outlet_id=order.outlet_id)
        ]
        if not eligible:
            raise SeedError(f"no technician at {order.outlet} for a bulk order")
        weights = [1.0 + 0.4 * GRADE_LEVEL[t.grade] for t in eligible]
        return rng.choices(eligible, weights=weights)[0]
