"""Reads of commissions: the list's figures stay right whatever the team's size."""

from datetime import date

from kefu.engagements.selectors import commission_list, my_commissions
from kefu.engagements.services import commission_update


def test_a_managers_list_counts_each_node_once_however_many_members(commission, manager, colleague, boss):
    commission_update(actor=manager, commission=commission, members=[colleague, boss])

    row = my_commissions(manager, today=date(2026, 11, 6))[0]

    assert (row.node_total, row.nodes_done, row.late_nodes) == (3, 0, 2)
    assert [c.pk for c in commission_list(manager, manager_id=colleague.pk)] == [commission.pk]
