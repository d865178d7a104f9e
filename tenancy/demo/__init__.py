"""The demo data `manage.py seed_demo` makes: partners, customers, agents and their history.

Organizations no service makes (the partners, the customers a request needs before any
relationship) and the demo accounts are written here; every relationship, request, acceptance,
subscription, partnership, admin relationship, security group, access assignment, template and
bulk job is made by the services in tenancy.services, with `now=` where the story happened days
or months ago, so their audit lines, webhook events, Customer list rows and emails come from the
record table (tenancy.effects.record) as they would in use. Two exceptions, in
tenancy.demo.templates: the bulk job's worker, which takes no `now=`, runs under a clock set
back to that day, and its one failed item is written as the worker writes one (no rule refuses
a request there). Safe to run again: what exists is left alone.
"""

from tenancy.demo.data import DEMO_PASSWORD, HELPDESK_GROUP
from tenancy.demo.seed import seed

__all__ = ["DEMO_PASSWORD", "HELPDESK_GROUP", "seed"]
