"""The permission policy: who may see and do what, where (see ../shared/DOMAIN.md).

Until the policy lands (issue 4), every caller acts as a national administrator; the
principal is nevertheless an explicit object that every resolver and loader receives,
so that scoping can be added in one place.
"""
