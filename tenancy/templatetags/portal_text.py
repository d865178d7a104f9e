from django import template

from tenancy import audit_text, text

register = template.Library()


@register.filter
def possessive(name) -> str:
    return text.possessive(str(name))


@register.filter
def country_name(country) -> str:
    """`{{ tenant.country|country_name }}`: the country in the page's language."""
    return text.country_name(country)


@register.filter
def market_name(market) -> str:
    return text.market_name(market)


@register.filter
def day(moment) -> str:
    """`{{ invitation.expires_at|day }}`: "March 4, 2027", "4 mars 2027", "2027年3月4日"."""
    return text.day(moment)


@register.filter
def short_day(moment) -> str:
    """`{{ relationship.created_at|short_day }}`: "Mar 4, 2027", "04.03.2027"."""
    return text.short_day(moment)


@register.filter
def short_day_time(moment) -> str:
    """`{{ invitation.created_at|short_day_time }}`: "Mar 4, 2027 14:05"."""
    return text.short_day_time(moment)


@register.filter
def number(value) -> str:
    return text.number(value)


@register.filter
def audit_detail(event) -> str:
    """`{{ event|audit_detail }}`: why a request was refused, or an app's roles, worded now."""
    return audit_text.audit_detail(event)
