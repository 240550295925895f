"""Social actions: one département, topics, managers, operators, sites, yearly figures."""

from tortoise import fields
from tortoise.models import Model

from hub.models.enums import ActionLocationKind, ActionTopic, FinanceType
from hub.models.fields import CharEnumField
from hub.models.organizations import User
from hub.models.sites import Site
from hub.models.territories import Departement


class Action(Model):
    id = fields.IntField(primary_key=True)
    version = fields.IntField(default=1)
    name = fields.CharField(max_length=200)
    goals = fields.TextField(null=True)
    departement: fields.ForeignKeyRelation[Departement] = fields.ForeignKeyField(
        "hub.Departement", related_name="actions", on_delete=fields.RESTRICT, db_index=True
    )
    region_code = fields.CharField(max_length=3, db_index=True)
    overseas = fields.BooleanField(default=False)
    started_at = fields.DateField()
    ended_at = fields.DateField(null=True)
    location_kind = CharEnumField(ActionLocationKind, max_length=30)
    location_details = fields.TextField(null=True)
    managers: fields.ManyToManyRelation[User] = fields.ManyToManyField(
        "hub.User", related_name="managed_actions", through="action_manager"
    )
    operators: fields.ManyToManyRelation[User] = fields.ManyToManyField(
        "hub.User", related_name="operated_actions", through="action_operator"
    )
    sites: fields.ManyToManyRelation[Site] = fields.ManyToManyField(
        "hub.Site", related_name="actions", through="action_site"
    )
    created_at = fields.DatetimeField()
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "hub.User", related_name="actions_created", null=True, on_delete=fields.SET_NULL
    )
    updated_at = fields.DatetimeField()
    updated_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "hub.User", related_name="actions_updated", null=True, on_delete=fields.SET_NULL
    )

    departement_id: str
    created_by_id: int | None
    updated_by_id: int | None

    class Meta:
        table = "action"


class ActionTopicLink(Model):
    # One topic of an action; a table rather than a list so topic filters stay in SQL.

    id = fields.IntField(primary_key=True)
    action: fields.ForeignKeyRelation[Action] = fields.ForeignKeyField(
        "hub.Action", related_name="topics", on_delete=fields.CASCADE
    )
    topic = CharEnumField(ActionTopic, max_length=20)

    action_id: int

    class Meta:
        table = "action_topic"
        unique_together = (("action", "topic"),)


class ActionFinance(Model):
    id = fields.IntField(primary_key=True)
    action: fields.ForeignKeyRelation[Action] = fields.ForeignKeyField(
        "hub.Action", related_name="finances", on_delete=fields.CASCADE, db_index=True
    )
    year = fields.IntField()
    finance_type = CharEnumField(FinanceType, max_length=40)
    planned_amount = fields.DecimalField(max_digits=14, decimal_places=2, null=True)
    spent_amount = fields.DecimalField(max_digits=14, decimal_places=2, null=True)
    comment = fields.TextField(null=True)

    action_id: int

    class Meta:
        table = "action_finance"


class ActionIndicators(Model):
    # One year of an action's indicators: people reached by the action that year.

    id = fields.IntField(primary_key=True)
    action: fields.ForeignKeyRelation[Action] = fields.ForeignKeyField(
        "hub.Action", related_name="indicators", on_delete=fields.CASCADE
    )
    year = fields.IntField()
    people = fields.IntField(null=True)
    households = fields.IntField(null=True)
    women = fields.IntField(null=True)
    minors = fields.IntField(null=True)
    health_followup = fields.IntField(null=True)
    employment_training = fields.IntField(null=True)
    employment_training_women = fields.IntField(null=True)
    sheltered_people = fields.IntField(null=True)
    sheltered_households = fields.IntField(null=True)
    housed_people = fields.IntField(null=True)
    housed_households = fields.IntField(null=True)
    minors_school_age = fields.IntField(null=True)
    minors_in_mediation = fields.IntField(null=True)
    enrolled_nursery = fields.IntField(null=True)
    enrolled_primary = fields.IntField(null=True)
    enrolled_middle = fields.IntField(null=True)
    enrolled_high = fields.IntField(null=True)

    action_id: int

    class Meta:
        table = "action_indicators"
        unique_together = (("action", "year"),)
