"""Site mutations: thin entry points over ``resolvers/sites/mutations.py``."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.relay import to_base64
from strawberry.types import Info

from resolvers.context import Context
from resolvers.sites import mutations as sites
from schema.ids import decode_id
from schema.inputs.sites import CloseSiteInput, CreateSiteInput, UpdateSiteInput
from schema.payloads import DeletePayload, SitePayload, UserError, Version

Ctx = Info[Context, None]


def _site(result: Any) -> SitePayload:
    if isinstance(result, list):
        return SitePayload(site=None, errors=UserError.of(result))
    return SitePayload(site=result, errors=[])


@strawberry.type
class SiteMutations:
    @strawberry.mutation(description="Declare a site (site.create on its commune).")
    async def create_site(self, info: Ctx, input: CreateSiteInput) -> SitePayload:
        return _site(await sites.create_site(info.context, input))

    @strawberry.mutation(
        description="Change field groups of a site: site.update, and site.legal.write or "
        "site.owner.write for those groups."
    )
    async def update_site(
        self,
        info: Ctx,
        id: strawberry.ID,
        version: Version,
        input: UpdateSiteInput,
    ) -> SitePayload:
        site_id = decode_id(id, "Site")
        return _site(await sites.update_site(info.context, site_id, version, input))

    @strawberry.mutation(description="Close a site with its date, status and solutions.")
    async def close_site(
        self,
        info: Ctx,
        id: strawberry.ID,
        version: Version,
        input: CloseSiteInput,
    ) -> SitePayload:
        site_id = decode_id(id, "Site")
        return _site(await sites.close_site(info.context, site_id, version, input))

    @strawberry.mutation(description="Reopen a closed site (administrators).")
    async def reopen_site(self, info: Ctx, id: strawberry.ID, version: Version) -> SitePayload:
        return _site(await sites.reopen_site(info.context, decode_id(id, "Site"), version))

    @strawberry.mutation(description="Confirm that nothing changed on the site.")
    async def confirm_site_unchanged(
        self, info: Ctx, id: strawberry.ID, version: Version
    ) -> SitePayload:
        return _site(await sites.confirm_site(info.context, decode_id(id, "Site"), version))

    @strawberry.mutation(description="Delete a site (national administrators).")
    async def delete_site(self, info: Ctx, id: strawberry.ID, version: Version) -> DeletePayload:
        result = await sites.delete_site(info.context, decode_id(id, "Site"), version)
        if isinstance(result, list):
            return DeletePayload(deleted_id=None, errors=UserError.of(result))
        return DeletePayload(deleted_id=strawberry.ID(to_base64("Site", result)), errors=[])
