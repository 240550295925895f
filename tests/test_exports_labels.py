"""The French labels (``hub.labels``): every value of every enumeration an export shows has
one, so that a value added to an enumeration without its label fails here; each labelled
enumeration is labelled whole, each label told apart from the others of its enumeration.
That the exported cells hold these labels, and never the codes, is tests/test_exports_files.py's.
"""

from __future__ import annotations

from enum import Enum

import pytest

from hub.labels import LABELS, label
from hub.models.enums import (
    ActionTopic,
    ClosedWithSolutions,
    ConditionStatus,
    FieldType,
    Origin,
    Role,
    SiteStatus,
    TriState,
)
from resolvers.exports.columns import ACTION_GROUPS, SITE_GROUPS, Column

EXPORTED = {
    column.enum
    for group in (*SITE_GROUPS, *ACTION_GROUPS)
    for column in group.columns
    if column.enum is not None
}


def test_the_exports_show_enumerations() -> None:
    # Not vacuous: the enumerations of the columns are found.
    assert {FieldType, SiteStatus, ConditionStatus, TriState, Origin, ActionTopic} <= EXPORTED


@pytest.mark.parametrize("enum", sorted(EXPORTED, key=lambda enum: enum.__name__))
def test_every_value_an_export_shows_has_a_label(enum: type[Enum]) -> None:
    assert enum in LABELS, f"{enum.__name__} has no labels in hub/labels.py"
    missing = [member.name for member in enum if member not in LABELS[enum]]
    assert not missing, f"{enum.__name__}: no French label for {missing}"


@pytest.mark.parametrize("enum", sorted(LABELS, key=lambda enum: enum.__name__))
def test_each_labelled_enumeration_is_labelled_whole(enum: type[Enum]) -> None:
    labels = LABELS[enum]
    assert set(labels) == set(enum)
    shown = [label(member) for member in enum]
    assert len(set(shown)) == len(shown), shown
    # Words, capitalised, never the code itself.
    for member, text in zip(enum, shown, strict=True):
        assert text[:1].isupper() and text != member.value, (member, text)


def test_labels_are_the_words_of_the_domain() -> None:
    assert [label(value) for value in FieldType] == ["Terrain", "Bâtiment", "Inconnu"]
    assert [label(value) for value in TriState] == ["Oui", "Non", "Inconnu"]
    assert [label(value) for value in ClosedWithSolutions] == ["Oui", "Non", "Inconnu"]
    assert label(ConditionStatus.TO_IMPROVE) == "À améliorer"
    assert [label(value) for value in Origin] == [
        "Française", "Union européenne", "Hors Union européenne",
    ]  # fmt: skip
    assert label(Role.INSTITUTIONAL_PARTNER) == "Partenaire institutionnel"


def test_a_column_of_enumeration_values_must_name_its_enumeration() -> None:
    unnamed = Column("Statut", lambda row, _: row)
    with pytest.raises(TypeError, match="name its enum"):
        unnamed.cell(SiteStatus.OPEN, {})
    # Named, it shows labels, from members or from their stored values alike.
    status = Column("Statut", lambda row, _: row, SiteStatus)
    assert status.cell(SiteStatus.OPEN, {}) == status.cell("open", {}) == "Ouvert"
