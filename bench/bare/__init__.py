"""A bare Django site: the reference the benchmark divides the project's figures by.

One page rendered from a template with `{% csrf_token %}`, through the project's middleware that
needs no database (security, common, CSRF), with DEBUG off and no database at all. Served by
gunicorn with the project's own config/gunicorn.conf.py.
"""
