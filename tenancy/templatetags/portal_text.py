from django import template

from tenancy.text import possessive as _possessive

register = template.Library()


@register.filter
def possessive(name) -> str:
    return _possessive(str(name))
