// A sample partner subgraph for the federation tests: an association's visits tool.
//
// It knows nothing about sites but their global ID (the hub's `@key(fields: "id")`) and adds
// what its outreach teams record: visits and the date of the last one. Its data is computed
// from the id, so any site has the same two visits on every run.
//
//   node partner.mjs CONFIG.json
//
// CONFIG: {"port": 4001, "sites": ["<a hub site's global ID>", ...], "exitOnStdinEOF": true}
//
// Prints one line `ready <url>` on stdout once it listens on 127.0.0.1:<port>.
import { readFileSync } from 'node:fs';

import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';

import { serve } from './serve.mjs';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));

const typeDefs = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])

  "A visit of the association's outreach team to a site."
  type Visit {
    date: String!
    team: String!
  }

  type Site @key(fields: "id") {
    id: ID!
    "Visits of the outreach teams, most recent first."
    visits: [Visit!]!
    lastVisit: String
  }

  type VisitsTool {
    name: String!
    "Whether the request that reached this subgraph carried a bearer token."
    authenticated: Boolean!
  }

  type Query {
    visitsTool: VisitsTool!
    "The sites the association follows (CONFIG.sites): the hub resolves the rest of each."
    followedSites: [Site]!
  }
`);

const TEAMS = ['Maraude nord', 'Maraude sud', 'Équipe santé'];

// A small stable number from any string (the site's global ID).
function hash(text) {
  let value = 0;
  for (const char of text) value = (value * 31 + char.codePointAt(0)) % 1_000_003;
  return value;
}

function visitsOf(id) {
  const day = String(1 + (hash(id) % 28)).padStart(2, '0');
  return [
    { date: `2026-10-${day}`, team: TEAMS[hash(id) % TEAMS.length] },
    { date: `2026-09-${day}`, team: TEAMS[(hash(id) + 1) % TEAMS.length] },
  ];
}

const resolvers = {
  Query: {
    visitsTool: (_root, _args, context) => ({
      name: 'Visites (association sample subgraph)',
      authenticated: /^Bearer \S+$/.test(context.authorization ?? ''),
    }),
    followedSites: () => (config.sites ?? []).map((id) => ({ id })),
  },
  Site: {
    __resolveReference: (reference) => ({ id: reference.id }),
    visits: (site) => visitsOf(site.id),
    lastVisit: (site) => visitsOf(site.id)[0].date,
  },
};

const server = new ApolloServer({
  schema: buildSubgraphSchema({ typeDefs, resolvers }),
  plugins: [ApolloServerPluginInlineTraceDisabled()],
  // Stopped by serve()'s own handlers (serve.mjs), which exit with code 0.
  stopOnTerminationSignals: false,
});

await serve(server, config);
