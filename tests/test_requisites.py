import pytest

from inboxbot.model.requisites import is_valid_inn, is_valid_kpp, is_valid_ogrn, ogrn_region_code


@pytest.mark.parametrize(
    "inn",
    ["7707083893", "7106346026", "1001597800", "667191272063", "0105367341", "7801734567"],
)
def test_valid_inns(inn: str) -> None:
    assert is_valid_inn(inn)


@pytest.mark.parametrize(
    "inn",
    ["7707083894", "1234567890", "667191272064", "0000000000", "770708389", "77070838930", "77O7083893", ""],
)
def test_invalid_inns(inn: str) -> None:
    assert not is_valid_inn(inn)


def test_ogrn_and_ogrnip() -> None:
    assert is_valid_ogrn("1027700132195")  # Sberbank
    assert not is_valid_ogrn("1027700132196")
    assert ogrn_region_code("1027700132195") == "77"
    assert is_valid_ogrn("304500116000157")
    assert not is_valid_ogrn("304500116000158")


def test_kpp_format() -> None:
    assert is_valid_kpp("773601001")
    assert is_valid_kpp("7736AB001")
    assert not is_valid_kpp("77360100")
    assert not is_valid_kpp("7736ab001")
