"""The compiled read path: queries planned once per document, executed level by level.

graphql-core resolves a query field by field and object by object: for a list of 500 sites
that is thousands of resolver calls, each with its own resolve info, extension wrappers,
awaitable checks and, for async fields, its own coroutine. This package runs the same
resolvers in a different order: it plans an operation once (``plan``), then executes each
field of a selection for every object of a level at once (``run``): plain attributes are read
in a loop, a field declared with a batch form (``batched``) is resolved for all objects in one
call, and every other resolver is called through strawberry exactly as graphql-core would.
strawberry stays the contract: parsing, validation, the extensions, mutations, introspection
and federation are untouched, and what this path does not plan falls back to graphql-core
(``executor``).
"""
