"""The hub: a GraphQL federation hub for everyone who works on bidonvilles in France."""
