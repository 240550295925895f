"""Official geography (INSEE code officiel géographique): reference data, loaded, never edited."""

from tortoise import fields
from tortoise.models import Model


class Region(Model):
    code = fields.CharField(max_length=3, primary_key=True)
    name = fields.CharField(max_length=100)
    overseas = fields.BooleanField(default=False)

    class Meta:
        table = "region"


class Departement(Model):
    code = fields.CharField(max_length=3, primary_key=True)
    name = fields.CharField(max_length=100)
    region: fields.ForeignKeyRelation[Region] = fields.ForeignKeyField(
        "hub.Region", related_name="departements", on_delete=fields.RESTRICT
    )
    overseas = fields.BooleanField(default=False)

    region_id: str

    class Meta:
        table = "departement"


class Epci(Model):
    # An intercommunality, identified by its SIREN; it may span several départements.

    code = fields.CharField(max_length=9, primary_key=True)
    name = fields.CharField(max_length=200)
    kind = fields.CharField(max_length=10)

    class Meta:
        table = "epci"


class Commune(Model):
    # A commune, or a municipal arrondissement of Paris, Lyon or Marseille.
    #
    # Arrondissements point to their main commune through ``main_commune``; scopes and
    # statistics always work on ``scope_code`` (the main commune's code for arrondissements,
    # the commune's own code otherwise).

    code = fields.CharField(max_length=5, primary_key=True)
    name = fields.CharField(max_length=200)
    departement: fields.ForeignKeyRelation[Departement] = fields.ForeignKeyField(
        "hub.Departement", related_name="communes", on_delete=fields.RESTRICT, db_index=True
    )
    region: fields.ForeignKeyRelation[Region] = fields.ForeignKeyField(
        "hub.Region", related_name="communes", on_delete=fields.RESTRICT
    )
    epci: fields.ForeignKeyNullableRelation[Epci] = fields.ForeignKeyField(
        "hub.Epci", related_name="communes", null=True, on_delete=fields.RESTRICT, db_index=True
    )
    main_commune: fields.ForeignKeyNullableRelation["Commune"] = fields.ForeignKeyField(
        "hub.Commune",
        related_name="arrondissements",
        null=True,
        on_delete=fields.RESTRICT,
        db_index=True,
    )
    scope_code = fields.CharField(max_length=5, db_index=True)
    population = fields.IntField(null=True)
    latitude = fields.FloatField(null=True)
    longitude = fields.FloatField(null=True)

    departement_id: str
    region_id: str
    epci_id: str | None
    main_commune_id: str | None

    class Meta:
        table = "commune"
