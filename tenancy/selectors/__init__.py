"""Reads that several interfaces share, scoped to a tenant.

    lookups        one lookup per kind of object: another tenant's object is a 404 (Http404,
                   which the pages and the API both answer as such), never a leak
    customer_list  the Customer list as a search asks for it
    ties           what binds tenants to others (the operators' console asks)

They read; they never write.
"""

from tenancy.selectors.customer_list import (
    WITH_ADMIN,
    CustomerFilter,
    customer_list_rows,
    customer_list_total,
)
from tenancy.selectors.expiry import WINDOW_CODES, WINDOWS, expiring, expiry_counts
from tenancy.selectors.lookups import (
    access_assignment_of,
    admin_agent_emails,
    admin_relationship_of,
    app_of,
    bulk_job_of,
    customer_admin_relationship_of,
    customer_of,
    customers_of,
    global_administrator_emails,
    invitation_of,
    latest_agreement,
    member_of,
    partnered_with,
    partnership_of,
    related_partner_of,
    security_group_of,
    subscription_of,
    template_of,
    webhook_delivery_of,
    webhook_of,
)
from tenancy.selectors.ties import (
    Ties,
    active_people,
    and_list,
    country_ties,
    tenant_ties,
    two_tier_ties,
    usernames,
)

__all__ = [
    "WINDOWS",
    "WINDOW_CODES",
    "WITH_ADMIN",
    "CustomerFilter",
    "Ties",
    "access_assignment_of",
    "active_people",
    "admin_agent_emails",
    "admin_relationship_of",
    "and_list",
    "app_of",
    "bulk_job_of",
    "country_ties",
    "customer_admin_relationship_of",
    "customer_list_rows",
    "customer_list_total",
    "customer_of",
    "customers_of",
    "expiring",
    "expiry_counts",
    "global_administrator_emails",
    "invitation_of",
    "latest_agreement",
    "member_of",
    "partnered_with",
    "partnership_of",
    "related_partner_of",
    "security_group_of",
    "subscription_of",
    "template_of",
    "tenant_ties",
    "two_tier_ties",
    "usernames",
    "webhook_delivery_of",
    "webhook_of",
]
