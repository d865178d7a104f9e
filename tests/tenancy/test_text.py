from tenancy.text import possessive


def test_possessive_names():
    assert possessive("Contoso") == "Contoso's"
    assert possessive("Contoso Cloud Partners") == "Contoso Cloud Partners'"
