from tenancy.text import in_country, possessive


def test_possessive_names():
    assert possessive("Contoso") == "Contoso's"
    assert possessive("Contoso Cloud Partners") == "Contoso Cloud Partners'"


def test_countries_read_right_in_a_sentence():
    assert in_country("United States") == "the United States"
    assert in_country("Netherlands") == "the Netherlands"
    assert in_country("Cayman Islands") == "the Cayman Islands"
    assert in_country("Canada") == "Canada"


def test_a_day_worded_once_is_worded_again_in_each_language():
    """The days are remembered by language: the same day asked in English, then in German, then in
    English again reads as each language writes it (a page never shows another language's)."""
    import datetime

    from django.utils import translation

    from tenancy.text import day, short_day

    moment = datetime.date(2027, 3, 4)
    with translation.override("en"):
        assert (day(moment), short_day(moment)) == ("March 4, 2027", "Mar 4, 2027")
    with translation.override("de"):
        assert (day(moment), short_day(moment)) == ("4. März 2027", "04.03.2027")
    with translation.override("en"):
        assert short_day(moment) == "Mar 4, 2027"
