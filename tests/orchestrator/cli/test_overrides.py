import pytest

from orchestrator.cli.overrides import parse_sets, parse_value


@pytest.mark.parametrize(
    "text, expected",
    [("2.8", 2.8), ("3", 3), ("[30, 60]", [30, 60]), ("true", True), ("False", False),
     ("null", None), ("resnet18", "resnet18"), ("/data/cifar", "/data/cifar")],
)
def test_values_are_read_as_json_where_they_parse(text, expected):
    assert parse_value(text) == expected
    assert type(parse_value(text)) is type(expected)


def test_pairs_become_a_dict_and_later_keys_win():
    assert parse_sets(["gamma=2.4", "milestones=[1,2]", "gamma=4"]) == {"gamma": 4, "milestones": [1, 2]}
    assert parse_sets(None) == {}


@pytest.mark.parametrize("bad", ["gamma", "=3", ""])
def test_a_pair_without_key_or_equals_sign_is_rejected(bad):
    with pytest.raises(ValueError, match="key=value"):
        parse_sets([bad])
