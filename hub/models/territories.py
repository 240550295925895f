"""Official geography (INSEE code officiel géographique): reference data, loaded, never edited."""

import json

from tortoise import fields
from tortoise.models import Model

from hub import geography


class Region(Model):
    code = fields.CharField(max_length=3, primary_key=True)
    name = fields.CharField(max_length=100)
    overseas = fields.BooleanField(default=False)
    # The centre (hub/data/geography.json.gz): a point inside the territory, for labels and
    # markers; not a centroid, which can fall outside a concave shape.
    latitude = fields.FloatField(null=True)
    longitude = fields.FloatField(null=True)

    class Meta:
        table = "region"


class Departement(Model):
    code = fields.CharField(max_length=3, primary_key=True)
    name = fields.CharField(max_length=100)
    region: fields.ForeignKeyRelation[Region] = fields.ForeignKeyField(
        "hub.Region", related_name="departements", on_delete=fields.RESTRICT
    )
    overseas = fields.BooleanField(default=False)
    latitude = fields.FloatField(null=True)
    longitude = fields.FloatField(null=True)

    region_id: str

    class Meta:
        table = "departement"


class Epci(Model):
    # An intercommunality, identified by its SIREN; it may span several départements.

    code = fields.CharField(max_length=9, primary_key=True)
    name = fields.CharField(max_length=200)
    kind = fields.CharField(max_length=10)
    latitude = fields.FloatField(null=True)
    longitude = fields.FloatField(null=True)

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


class Outline(Model):
    # A territory's simplified outline, as hub/data/geography.json.gz holds it: encoded
    # polylines (hub.geography), a few hundred bytes where GeoJSON would take kilobytes. The
    # bounding box finds the communes that may hold a point without decoding any outline.

    id = fields.IntField(primary_key=True)
    level = fields.CharField(max_length=12)
    code = fields.CharField(max_length=9)
    south = fields.FloatField()
    west = fields.FloatField()
    north = fields.FloatField()
    east = fields.FloatField()
    rings = fields.TextField()

    def shape(self) -> geography.Shape:
        return geography.decode(json.loads(self.rings))

    class Meta:
        table = "territory_outline"
        unique_together = (("level", "code"),)
        indexes = (("level", "south", "north"),)


class TerritoryRevision(Model):
    # One row, whose token the database changes with every change to the régions,
    # départements, EPCIs and communes (triggers written by migration 0012, on SQLite and
    # PostgreSQL alike), whoever makes it: ``hub load-territories``, or SQL by hand. The
    # serving processes keep the territories they read under the token they read
    # (resolvers.territories.kept) and read them again once it changes.

    id = fields.IntField(primary_key=True)
    token = fields.CharField(max_length=32)

    class Meta:
        table = "territory_revision"
