"""Small pieces of English the pages and messages share."""


def possessive(name: str) -> str:
    """ "Contoso's", but "Contoso Partners'"."""
    return f"{name}'" if name.endswith(("s", "S")) else f"{name}'s"
