"""Audit lines keep codes and facts, worded when shown; queued tasks follow their modules.

Audit lines: a refusal's line kept its reason's code and the sentence the customer was shown, in
English (`message`); now it keeps the code and the facts (`params`), and the reader's language
words it. The sentence is kept among the facts as `said` (nothing is lost). An app's line kept
its roles' English names; now it keeps their codes (each name is one role's).

Tasks: the background tasks moved with the modules that send them. A task still waiting in the
queue (an email during a mail server's outage, a webhook delivery being retried) names its old
path; it is given its new one, and a request email its kind instead of its model, so none is
lost by the deployment that renames them.
"""

from django.db import migrations

ROLE_CODES = {
    "Global admin": "partner.global_admin",
    "Admin agent": "partner.admin_agent",
    "Sales agent": "partner.sales_agent",
    "Helpdesk agent": "partner.helpdesk_agent",
    "Billing admin": "partner.billing_admin",
}

TASK_PATHS = {
    "tenancy.notifications.send_email": "tenancy.effects.email.send_email",
    "tenancy.notifications.send_request_email": "tenancy.effects.email.send_request_email",
    "tenancy.webhooks.webhook_deliver": "tenancy.effects.webhook_delivery.webhook_deliver",
    "tenancy.tasks.admin_relationship_reminders": (
        "tenancy.services.admin_relationship_expiry.admin_relationship_reminders"
    ),
}
REQUEST_KINDS = {"tenancy.invitation": "reseller", "tenancy.adminrelationship": "admin"}


def forwards(apps, schema_editor):
    AuditEvent = apps.get_model("tenancy", "AuditEvent")
    # The historical model's manager is a plain one: the app's append-only queryset, which
    # refuses updates, is not in migrations (this is the one rewrite, and it loses nothing).
    refused = AuditEvent.objects.filter(
        action__in=["invitation.refused", "admin_relationship.refused"]
    ).select_related("partner", "customer")
    for event in refused.iterator():
        details = dict(event.details)
        if "message" not in details:
            continue
        params = dict(details.get("params") or {})
        params["said"] = details.pop("message")
        if event.partner_id:
            params.setdefault("partner", event.partner.name)
        if event.customer_id:
            params.setdefault("customer", event.customer.name)
        details["params"] = params
        AuditEvent.objects.filter(pk=event.pk).update(details=details)
    for event in AuditEvent.objects.filter(action="app.registered").iterator():
        details = dict(event.details)
        roles = details.get("roles") or []
        if all(role in ROLE_CODES.values() for role in roles):
            continue
        details["roles"] = [ROLE_CODES.get(role, role) for role in roles]
        AuditEvent.objects.filter(pk=event.pk).update(details=details)

    DBTaskResult = apps.get_model("django_tasks_database", "DBTaskResult")
    for old, new in TASK_PATHS.items():
        for task in DBTaskResult.objects.filter(task_path=old).iterator():
            arguments = task.args_kwargs
            if new.endswith("send_request_email"):
                kwargs = dict(arguments.get("kwargs", {}))
                if "model" in kwargs:
                    kwargs["kind"] = REQUEST_KINDS.get(kwargs.pop("model"), "reseller")
                arguments = {**arguments, "kwargs": kwargs}
            DBTaskResult.objects.filter(pk=task.pk).update(task_path=new, args_kwargs=arguments)


class Migration(migrations.Migration):
    dependencies = [
        ("tenancy", "0016_languages"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
