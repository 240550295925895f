"""Query logic and DataLoaders, one package per domain area.

Resolvers return database rows; the strawberry types of ``schema/`` are views over them.
"""
