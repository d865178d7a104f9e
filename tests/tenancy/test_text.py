from tenancy.text import in_country, possessive


def test_possessive_names():
    assert possessive("Contoso") == "Contoso's"
    assert possessive("Contoso Cloud Partners") == "Contoso Cloud Partners'"


def test_countries_read_right_in_a_sentence():
    assert in_country("United States") == "the United States"
    assert in_country("Netherlands") == "the Netherlands"
    assert in_country("Cayman Islands") == "the Cayman Islands"
    assert in_country("Canada") == "Canada"
