"""Deterministic demo data: real territories, invented organizations, people and sites.

``seed_demo(sites=2000, seed=20261126, reset=False)`` builds a data set sized like DOMAIN.md's
"Sizes to design for" (``sites=N`` scales it), identical on every run: all dates derive from
``REFERENCE_DATE`` (2026-11-01), never from today. It needs the territories
(``hub load-territories``, else TerritoriesMissing) and an empty database (else
DemoDataExists), unless ``reset=True`` first deletes everything but the territories; all of
it happens in one transaction.

``PERSONAS``: fixed users, all active, for demonstrations and tests, one per role, e-mail
``<local part>@demo.bidonvilles.example`` (role, organization, area)::

    national_admin         Délégation interministérielle (DIHAL)         nation
    local_admin            DDETS de la Haute-Garonne                     département 31
    correspondent          Préfecture de la Haute-Garonne                département 31
    institutional_partner  Ville de Toulouse                             commune 31555
    operator               Association Solidarités Garonne               département 31
    operator.legal         same, role operator + option legal_access     département 31
    intervener             same, role intervener                         commune 31555 (own)
    national_actor         Ministère chargé du Logement                  nation
    external_observer      Laboratoire Habitat, Migrations et Territoires  département 33

Each also has an OIDC identity at ``DEMO_OIDC_ISSUER`` with subject ``persona_subject(p)``.
The operator personas' association acts on open sites of Haute-Garonne, and the
correspondent, operator and intervener personas manage / run a current action there.
``PARTNER_APPS``: the partner applications (client ids ``demo-association-app``,
``demo-commune-app``, ``demo-ars-app``, and the inactive ``demo-retired-app``).
"""

from hub.demo.geography import TerritoriesMissing
from hub.demo.reference import (
    DEMO_OIDC_ISSUER,
    PARTNER_APPS,
    PERSONAS,
    REFERENCE_DATE,
    REFERENCE_TIME,
    PartnerApp,
    Persona,
)
from hub.demo.seed import seed_demo
from hub.demo.store import DemoDataExists
from hub.demo.users import persona_subject

__all__ = [
    "DEMO_OIDC_ISSUER",
    "PARTNER_APPS",
    "PERSONAS",
    "REFERENCE_DATE",
    "REFERENCE_TIME",
    "DemoDataExists",
    "PartnerApp",
    "Persona",
    "TerritoriesMissing",
    "persona_subject",
    "seed_demo",
]
