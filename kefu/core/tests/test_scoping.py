import pytest
from django.http import Http404

from kefu.core.scoping import get_visible_or_404, visible, visible_to_unit
from kefu.orgs.models import Membership, OrgUnit
from kefu.orgs.tests.factories import OrgUnitFactory


def test_visible_units_are_the_viewers_unit_and_its_descendants(group, city, other_city, agent):
    team = OrgUnitFactory(parent=city)
    sub_team = OrgUnitFactory(parent=team)

    names = set(visible(OrgUnit, agent).values_list("pk", flat=True))

    assert names == {city.pk, team.pk, sub_team.pk}


def test_visible_units_of_a_group_viewer_include_every_city(group, city, other_city, group_admin):
    ids = set(visible(OrgUnit, group_admin).values_list("pk", flat=True))

    assert ids == {group.pk, city.pk, other_city.pk}


def test_visible_does_not_confuse_unit_1_with_unit_10(group):
    # Path segments are fixed-width: a prefix match on "1." must not reach unit 10's subtree.
    units = [OrgUnitFactory(parent=group) for _ in range(11)]
    first, tenth = units[0], units[9]

    ids = set(visible_to_unit(OrgUnit, first).values_list("pk", flat=True))

    assert ids == {first.pk}
    assert tenth.pk not in ids


def test_visible_staff_excludes_other_units(agent, outsider, admin):
    ids = set(visible(Membership, agent).values_list("pk", flat=True))

    assert ids == {agent.pk, admin.pk}


def test_get_visible_or_404_raises_404_for_another_units_row(agent, outsider):
    with pytest.raises(Http404):
        get_visible_or_404(Membership, agent, pk=outsider.pk)


def test_get_visible_or_404_raises_404_for_a_malformed_id(agent):
    with pytest.raises(Http404):
        get_visible_or_404(Membership, agent, pk="not-a-number")


def test_get_visible_or_404_returns_own_row(agent):
    assert get_visible_or_404(Membership, agent, pk=agent.pk) == agent
