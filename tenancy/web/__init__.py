"""What every portal's pages share, on top of the core: signing in and its second step, Security
info, the language picker, the middleware that resolves the member, the request types views
receive, rate limits on pages, and the forms both portals ask."""
