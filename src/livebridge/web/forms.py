"""Turning pydantic validation errors into per-field messages in the user's language."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from livebridge.exceptions import AppError
from livebridge.kit.i18n import N_
from livebridge.web.deps import CSRF_FIELD
from livebridge.web.templating import gettext_for

ModelT = TypeVar("ModelT", bound=BaseModel)
Gettext = Callable[[str], str]


def _message(error: Mapping[str, Any], _: Gettext) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return _("This field is required.")
    if kind == "string_too_short":
        if ctx.get("min_length", 1) <= 1:
            return _("This field is required.")
        return _("Enter at least %(count)s characters.") % {"count": ctx.get("min_length")}
    if kind == "string_too_long":
        return _("Enter at most %(count)s characters.") % {"count": ctx.get("max_length")}
    if kind == "string_pattern_mismatch":
        return _("The format is not valid.")
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return _("Enter a whole number.")
    if kind in ("greater_than_equal", "greater_than"):
        return _("Enter a number of at least %(limit)s.") % {"limit": ctx.get("ge", ctx.get("gt"))}
    if kind in ("less_than_equal", "less_than"):
        return _("Enter a number of at most %(limit)s.") % {"limit": ctx.get("le", ctx.get("lt"))}
    if kind in ("enum", "literal_error"):
        return _("Choose one of the options.")
    if kind in ("datetime_parsing", "datetime_from_date_parsing", "datetime_type"):
        return _("Enter a valid date and time.")
    if kind == "value_error":
        # Our own validators raise ValueError with an English message that has a catalogue entry.
        return _(str(ctx.get("error", error.get("msg", ""))))
    return _("The value is not valid.")


async def read_form(request: Request) -> dict[str, str]:
    """The submitted form's text fields, without the CSRF token."""
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str) and key != CSRF_FIELD}


def field_errors(exc: ValidationError, _: Gettext) -> dict[str, str]:
    errors: dict[str, str] = {}
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "__all__"
        errors.setdefault(field, _message(error, _))
    return errors


def parse_form(model: type[ModelT], data: Mapping[str, Any], _: Gettext) -> tuple[ModelT | None, dict[str, str]]:
    """Validate form data; blank optional inputs count as absent."""
    cleaned = {key: value for key, value in data.items() if value != ""}
    try:
        return model.model_validate(cleaned), {}
    except ValidationError as exc:
        return None, field_errors(exc, _)


# Error codes users meet in forms, with the message the console shows for each (translated).
ERROR_MESSAGES: dict[str, str] = {
    "invalid_credentials": N_("Wrong e-mail or password."),
    "slug_taken": N_("This short name is taken already."),
    "name_taken": N_("This name is taken already."),
    "sku_code_taken": N_("This SKU code is taken already."),
    "already_member": N_("This person is a member already."),
    "password_required": N_("A new user needs a password."),
    "last_owner": N_("The last owner cannot be removed."),
    "dealer_role_needs_dealer": N_("Dealer staff must belong to a dealer organization."),
    "link_number_taken": N_("This link number is used already in this session."),
    "product_on_shelf": N_("This product is on the shelf already."),
    "segment_outside_session": N_("The segment must lie within the session."),
    "segment_overlaps": N_("This segment overlaps another explanation."),
    "product_not_on_shelf": N_("Put the product on the shelf first."),
    "invalid_transition": N_("The session cannot move to that state now."),
    "ends_before_start": N_("The end must come after the start."),
    "decline_reason_required": N_("Say why the proposal is declined."),
    "invalid_proposal_transition": N_("The proposal cannot move to that status now."),
    "topic_of_other_product": N_("A chosen topic is about another product."),
    "topic_merged": N_("A chosen topic was merged into another."),
    "nothing_to_merge": N_("Choose at least two topics to merge."),
    "merge_across_products": N_("Topics of different products cannot be merged."),
    "split_takes_all": N_("Leave at least one comment in the topic."),
    "owner_not_member": N_("The owner must be a member of this tenant."),
    "territory_taken": N_("This region is already served for this service by %(dealer_name)s."),
    "invalid_ticket_transition": N_("The ticket cannot make this move in its current state."),
    "address_unresolved": N_("The order's address still has no district; set it first."),
    "visit_in_past": N_("The visit cannot start in the past."),
    "period_open": N_("This period is not over yet: it can be settled once it has ended."),
    "period_overlaps": N_("This period overlaps a statement of another period."),
    "statement_locked": N_("This statement is approved and locked."),
    "unknown_region": N_("This is not a GB/T 2260 province, city or district code."),
    "capability_not_offered": N_("The dealer does not offer this service yet."),
    "pain_point_not_found": N_("No after-sale request has this reason in the period."),
    "proposal_of_other_product": N_("The proposal is about another product."),
    "proposal_closed": N_("The proposal is shipped or declined and takes no more evidence."),
}


def app_error_field(exc: AppError, _: Gettext) -> dict[str, str]:
    """An AppError shown next to its field (or at the top of the form), in the user's language."""
    message = ERROR_MESSAGES.get(exc.code)
    if message is None:
        return {exc.field or "__all__": exc.message}
    text = _(message)
    return {exc.field or "__all__": text % exc.details if exc.details and "%(" in text else text}


def localize_datetimes(form: dict[str, str], fields: tuple[str, ...], zone: str) -> dict[str, str]:
    """<input type=datetime-local> sends wall-clock time; read it in the display zone."""
    localized = dict(form)
    for name in fields:
        value = localized.get(name)
        if not value:
            continue
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            continue  # left as it is: validation names the field
        if moment.tzinfo is None:
            localized[name] = moment.replace(tzinfo=ZoneInfo(zone)).isoformat()
    return localized


async def submit_form(
    request: Request,
    model: type[ModelT],
    save: Callable[[ModelT], Awaitable[Any]],
    *,
    redirect_to: str | Callable[[Any], str],
    show_again: Callable[[dict[str, str], dict[str, str]], Awaitable[Response]],
    prepare: Callable[[dict[str, str]], Mapping[str, Any]] | None = None,
) -> Response:
    """The console's POST-redirect-GET: validate, save, redirect; or show the form again with its errors."""
    _ = gettext_for(request)
    form = await read_form(request)
    payload, errors = parse_form(model, prepare(form) if prepare else form, _)
    if payload is not None:
        try:
            saved = await save(payload)
        except AppError as exc:
            errors = app_error_field(exc, _)
        else:
            target = redirect_to if isinstance(redirect_to, str) else redirect_to(saved)
            return RedirectResponse(target, status_code=303)
    return await show_again(form, errors)
