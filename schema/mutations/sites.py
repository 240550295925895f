"""Site mutations: thin entry points over ``resolvers/sites/mutations.py``."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from hub.ids import decode_id
from resolvers.context import Context
from resolvers.inputs.sites import CloseSiteInput, CreateSiteInput, UpdateSiteInput
from resolvers.sites import mutations as sites
from schema.payloads import DeletePayload, SitePayload, Version, answer, deleted

Ctx = Info[Context, None]


@strawberry.type
class SiteMutations:
    @strawberry.mutation(description="Declare a site (site.create on its commune).")
    async def create_site(self, info: Ctx, input: CreateSiteInput) -> SitePayload:
        return answer(SitePayload, "site", await sites.create_site(info.context, input))

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
        return answer(
            SitePayload, "site", await sites.update_site(info.context, site_id, version, input)
        )

    @strawberry.mutation(description="Close a site with its date, status and solutions.")
    async def close_site(
        self,
        info: Ctx,
        id: strawberry.ID,
        version: Version,
        input: CloseSiteInput,
    ) -> SitePayload:
        site_id = decode_id(id, "Site")
        return answer(
            SitePayload, "site", await sites.close_site(info.context, site_id, version, input)
        )

    @strawberry.mutation(description="Reopen a closed site (administrators).")
    async def reopen_site(self, info: Ctx, id: strawberry.ID, version: Version) -> SitePayload:
        return answer(
            SitePayload,
            "site",
            await sites.reopen_site(info.context, decode_id(id, "Site"), version),
        )

    @strawberry.mutation(description="Confirm that nothing changed on the site.")
    async def confirm_site_unchanged(
        self, info: Ctx, id: strawberry.ID, version: Version
    ) -> SitePayload:
        return answer(
            SitePayload,
            "site",
            await sites.confirm_site(info.context, decode_id(id, "Site"), version),
        )

    @strawberry.mutation(description="Delete a site (national administrators).")
    async def delete_site(self, info: Ctx, id: strawberry.ID, version: Version) -> DeletePayload:
        result = await sites.delete_site(info.context, decode_id(id, "Site"), version)
        return deleted("Site", result)
