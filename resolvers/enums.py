"""The domain enumerations, exposed as GraphQL enums (values in upper case)."""

import strawberry

from hub.models import enums
from permissions import capabilities

LocationLevel = strawberry.enum(enums.LocationLevel)
Zone = strawberry.enum(enums.Zone, description="Hexagone (metropolitan France) or Outre-mer.")
OrganizationCategory = strawberry.enum(enums.OrganizationCategory)
OrganizationType = strawberry.enum(enums.OrganizationType)
Role = strawberry.enum(enums.Role)
UserStatus = strawberry.enum(enums.UserStatus)
UserOption = strawberry.enum(enums.UserOption)
TriState = strawberry.enum(enums.TriState, description="yes / no / not known")
FieldType = strawberry.enum(enums.FieldType)
Origin = strawberry.enum(
    enums.Origin, description="The only three origin groups the law allows to record."
)
CensusStatus = strawberry.enum(enums.CensusStatus)
WaterAccessType = strawberry.enum(enums.WaterAccessType)
ToiletType = strawberry.enum(enums.ToiletType)
ElectricityType = strawberry.enum(enums.ElectricityType)
ConditionStatus = strawberry.enum(enums.ConditionStatus)
PoliceAssistanceStatus = strawberry.enum(enums.PoliceAssistanceStatus)
OwnerType = strawberry.enum(enums.OwnerType)
SiteStatus = strawberry.enum(enums.SiteStatus)
ClosedWithSolutions = strawberry.enum(enums.ClosedWithSolutions)
ClosingSolution = strawberry.enum(enums.ClosingSolution)
ResorptionPhase = strawberry.enum(enums.ResorptionPhase)
ActorTheme = strawberry.enum(enums.ActorTheme)
ActionTopic = strawberry.enum(enums.ActionTopic)
ActionLocationKind = strawberry.enum(enums.ActionLocationKind)
FinanceType = strawberry.enum(enums.FinanceType)
HistoryOperation = strawberry.enum(enums.HistoryOperation)
ActivityKind = strawberry.enum(
    enums.EventKind, name="ActivityKind", description="What a committed change was."
)
AuditKind = strawberry.enum(
    enums.AuditKind, description="A write, a read of gated data, an export."
)
Capability = strawberry.enum(
    capabilities.Capability, description="What the policy lets a caller do (DOMAIN.md)."
)
PermissionLevel = strawberry.enum(
    capabilities.Level,
    name="PermissionLevel",
    description="How far a capability reaches: N, A, D, opt, own or never (DOMAIN.md).",
)
AccessRequestStatus = strawberry.enum(enums.AccessRequestStatus)
NotificationKind = strawberry.enum(
    enums.NotificationKind, description="A kind of e-mail the hub sends."
)
