from django.utils import translation

from scripts.check_translations import problems


def test_chinese_catalogue_has_no_untranslated_or_fuzzy_entries():
    assert problems() == []


def test_chinese_is_the_default_language_of_the_ui(client):
    response = client.get("/accounts/login/")

    assert response.status_code == 200
    assert "登录" in response.content.decode()


def test_english_is_available_from_the_language_switch(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})

    response = client.get("/accounts/login/")

    assert "Sign in" in response.content.decode()
    translation.activate("zh-hans")
